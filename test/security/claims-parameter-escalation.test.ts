// Attack: reaching past the granted scopes with the `claims` request parameter (OpenID Connect Core
// §5.5). A relying party (or whoever edits its authorization URL) asks for `email` or profile claims
// in the ID token and at userinfo without the scopes that grant them, marks them essential, or asks
// for an `acr` the sign-in never reached, hoping for personal data the user never agreed to share or
// for an ID token that claims a second factor.
//
// Portcullis leaves oidc-provider's `features.claimsParameter` off: discovery says
// `claims_parameter_supported: false` and the library drops the parameter before it reads it, as
// RFC 6749 §3.1 asks of unrecognised parameters. So it adds nothing, and a malformed value cannot
// break anything (if the feature is ever turned on, a malformed value must become invalid_request:
// this test then fails and says so). The claims parameter with a previously granted scope:
// test/integration/id-token-claims.test.ts.
import { decodeJwt, type JWTPayload } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { signInAndRead } from '../helpers/relying-party.ts';
import { authorize, pkcePair, UserAgent } from '../helpers/user-agent.ts';
import { ACR_MFA, ACR_PASSWORD } from '../../src/accounts/second-factor-requirement.ts';

const EMAIL_CLAIMS = ['email', 'email_verified'];
const PROFILE_CLAIMS = ['name'];
/** How the consent page words the email scope (src/interactions/consent-scopes.ts). */
const SEE_EMAIL = 'See your email address';

const present = (claims: JWTPayload | Record<string, unknown>, names: string[]) => names.filter((name) => name in claims);

/** Asks for every email and profile claim, in the ID token and at userinfo, essential, with the user's own values. */
const greedy = (email: string) =>
  JSON.stringify({
    id_token: {
      email: { essential: true, value: email },
      email_verified: { essential: true },
      name: { essential: true },
      auth_time: { essential: true },
    },
    userinfo: { email: { essential: true }, email_verified: null, name: null },
  });

testEachBackend(
  'claims parameter: discovery says unsupported; asking for email and profile claims without their scopes yields none',
  async (t, server) => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    t.is(discovery.claims_parameter_supported, false, 'relying parties are told not to rely on it');

    const user = await createUser(server.db);
    const client = await createTestClient(server);

    const bare = await signInAndRead(t, server, client, { email: user.email, scope: 'openid', extra: { claims: greedy(user.email) } });
    t.is(bare.idToken.sub, user.id);
    t.deepEqual(present(bare.idToken, [...EMAIL_CLAIMS, ...PROFILE_CLAIMS]), [], 'no email or profile claim in the ID token');
    t.deepEqual(present(bare.userinfo, [...EMAIL_CLAIMS, ...PROFILE_CLAIMS]), [], 'nor at userinfo');
    t.true(
      bare.flow.pages.some((page) => page.includes('Allow access?')),
      'the user was asked to consent',
    );
    t.false(
      bare.flow.pages.some((page) => page.includes(SEE_EMAIL)),
      'to nothing about their email: the user is never asked, the relying party never told',
    );

    // profile granted, email not: the profile claims come, the email still does not
    const profile = await signInAndRead(t, server, client, {
      email: user.email,
      scope: 'openid profile',
      extra: { claims: greedy(user.email) },
    });
    t.deepEqual(present(profile.idToken, PROFILE_CLAIMS), PROFILE_CLAIMS);
    t.deepEqual(present(profile.idToken, EMAIL_CLAIMS), [], 'the email scope was not granted');
    t.deepEqual(present(profile.userinfo, EMAIL_CLAIMS), []);

    // the control: with the email scope the same user's email is there
    const email = await signInAndRead(t, server, client, { email: user.email, scope: 'openid email' });
    t.is(email.idToken.email, user.email);
    t.true(
      email.flow.pages.some((page) => page.includes(SEE_EMAIL)),
      'after the user was asked for it',
    );
  },
);

testEachBackend('claims parameter in a pushed request (PAR) adds no claim either', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server, { firstParty: true });
  const { verifier, challenge } = pkcePair();
  const pushed = await postForm(
    `${server.url}/request`,
    {
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      claims: greedy(user.email),
    },
    client,
  );
  t.is(pushed.status, 201, JSON.stringify(pushed.body));
  // the pushed request, with its claims parameter, is what /auth uses
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid',
    pkce: false,
    extra: { request_uri: pushed.body.request_uri as string },
  });
  t.truthy(flow.code, `${flow.callback}`);
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: verifier },
    client,
  );
  t.is(token.status, 200, JSON.stringify(token.body));
  t.deepEqual(present(decodeJwt(token.body.id_token as string), [...EMAIL_CLAIMS, ...PROFILE_CLAIMS]), []);
});

testEachBackend("claims parameter cannot make a password-only sign-in's ID token claim a second factor", async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server, { firstParty: true });
  const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [ACR_MFA] } } });
  const { idToken, flow } = await signInAndRead(t, server, client, { email: user.email, scope: 'openid', extra: { claims } });
  t.false(
    flow.pages.some((page) => /one-time code|authenticator/i.test(page)),
    'the claims parameter is no step-up request',
  );
  t.is(idToken.acr, ACR_PASSWORD, 'the ID token says how the user really signed in');
  t.not(idToken.acr, ACR_MFA);
});

testEachBackend(
  'claims parameter that is not valid JSON or not an object: never a 500, the sign-in is as without it',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const agent = new UserAgent();
    const malformed = [
      '{',
      '[]',
      'null',
      '"id_token"',
      '{"id_token":"email"}',
      '{"id_token":{"email":{"essential":"yes"}}}',
      '{"__proto__":{"admin":true}}',
      `${'{"a":'.repeat(300)}1${'}'.repeat(300)}`,
    ];
    for (const claims of malformed) {
      const query = new URLSearchParams({
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        state: 's',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
        claims,
      });
      const first = await agent.request(`${server.url}/auth?${query}`);
      await first.arrayBuffer();
      t.true(first.status < 500, `${claims.slice(0, 30)}: ${first.status}`);
      const flow = await authorize({
        issuer: server.url,
        clientId: client.clientId,
        email: user.email,
        scope: 'openid',
        agent,
        extra: { claims },
      });
      t.is(flow.error, undefined, claims.slice(0, 30));
      t.truthy(flow.code, `${claims.slice(0, 30)}: ignored, as RFC 6749 §3.1 asks of a parameter the server does not support`);
    }
    t.is((await fetch(`${server.url}/healthz`)).status, 200);
  },
);
