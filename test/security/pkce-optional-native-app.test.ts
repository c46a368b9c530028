// Attack: code interception on a device (RFC 7636 §1, RFC 8252 §8.1), the attack PKCE was made for.
// A native app (a private-use redirect scheme such as com.example.app:/callback) registered with a
// client secret and `pkce: 'optional'` sends no code_challenge. A malicious app that claims the same
// scheme receives the code, takes the "secret" out of the genuine app's package (a native app cannot
// keep one, RFC 8252 §8.5: it is a public client whatever its auth method) and redeems the code
// itself. The nonce does not help: it guards the genuine client against injected codes, not the code
// against a thief. So PKCE cannot be made optional for a native app: refused when registered or
// changed, and the provider does not honour the flag on one whatever its stored metadata says.
import { generateClientSecret, hashClientSecret } from '../../src/security/client-secrets.ts';
import { AppError } from '../../src/http/app-error.ts';
import { insertClient } from '../../src/storage/clients.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { authorize } from '../helpers/user-agent.ts';

const APP_SCHEME_URI = 'com.example.app:/callback';

async function refusal(run: () => Promise<unknown>): Promise<AppError | undefined> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  return undefined;
}

testEachBackend('pkce optional is refused for a native app (private-use redirect scheme), on create and on update', async (t, server) => {
  const created = await refusal(() =>
    runAsOperator(server, 'clients.create', { name: 'Mobile app', redirectUris: [APP_SCHEME_URI], pkce: 'optional' }),
  );
  t.is(created?.status, 400, 'create');
  t.regex(created?.message ?? '', /^pkce: .*native/);

  const mobile = (await runAsOperator(server, 'clients.create', { name: 'Mobile app', redirectUris: [APP_SCHEME_URI] })) as {
    clientId: string;
    pkce: string;
  };
  t.is(mobile.pkce, 'required');
  const switched = await refusal(() => runAsOperator(server, 'clients.update', { clientId: mobile.clientId, pkce: 'optional' }));
  t.is(switched?.status, 400, 'update of a native app to optional');
  t.regex(switched?.message ?? '', /^pkce: /);

  const legacy = (await runAsOperator(server, 'clients.create', {
    name: 'Legacy web app',
    redirectUris: ['https://app.example.com/cb'],
    pkce: 'optional',
  })) as { clientId: string };
  const becameNative = await refusal(() =>
    runAsOperator(server, 'clients.update', { clientId: legacy.clientId, redirectUris: ['https://app.example.com/cb', APP_SCHEME_URI] }),
  );
  t.is(becameNative?.status, 400, 'an optional client cannot gain a private-use redirect URI');
  t.regex(becameNative?.message ?? '', /^pkce: /);
  const after = (await runAsOperator(server, 'clients.show', { clientId: legacy.clientId })) as { redirectUris: string[]; pkce: string };
  t.deepEqual(after, { ...after, redirectUris: ['https://app.example.com/cb'], pkce: 'optional' }, 'nothing was written');
});

testEachBackend('a native app whose stored metadata carries the pkce-optional flag still gets no code without PKCE', async (t, server) => {
  const user = await createUser(server.db);
  const clientId = 'mobile-with-flag';
  const clientSecret = generateClientSecret();
  await insertClient(server.db, {
    clientId,
    name: 'Mobile app',
    metadata: {
      client_name: 'Mobile app',
      application_type: 'native',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [APP_SCHEME_URI, REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      portcullis_pkce_optional: true,
    },
    secretHash: hashClientSecret(server.portcullis.keys.clientSecretKey, clientSecret),
    firstParty: false,
    requireMfa: false,
    resources: {},
  });

  const flow = await authorize({
    issuer: server.url,
    clientId,
    email: user.email,
    scope: 'openid',
    pkce: false,
    extra: { nonce: 'n-0S6_WzA2Mj' },
  });
  t.is(flow.code, undefined, `${flow.callback} ${flow.pages.at(-1)}`);
  t.is(flow.error, 'invalid_request');
  t.regex(flow.callback?.searchParams.get('error_description') ?? '', /PKCE/);

  // with PKCE it signs in, and the code needs the verifier besides the secret
  const withPkce = await authorize({ issuer: server.url, clientId, email: user.email, scope: 'openid', extra: { nonce: 'n-0S6_WzA2Mk' } });
  t.truthy(withPkce.code, `${withPkce.callback} ${withPkce.pages.at(-1)}`);
  const stolen = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: withPkce.code!, redirect_uri: REDIRECT_URI },
    { clientId, clientSecret },
  );
  t.is(stolen.body.error, 'invalid_grant', JSON.stringify(stolen.body));
});
