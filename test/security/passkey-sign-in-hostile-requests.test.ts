// Hostile requests to the passkey sign-in endpoint (POST /interaction/:uid/passkey): a form posted
// from another site with the victim's cookies, broken or oversized JSON, bodies past the limit, the
// wrong content type, a duplicated field, and the endpoint at a step where it has no business. Each
// gets a clear 4xx (never a 5xx), no sign-in, and — for the cross-site post — leaves the victim's
// challenge untouched.
import { firstPartyClient, assertionFor, postPasskey, testEachBackendOnLocalhost, userWithPasskey } from '../helpers/passkey-sign-in.ts';
import { createTestClient } from '../helpers/fixtures.ts';
import { SignIn } from '../helpers/sign-in-flow.ts';

const raw = (flow: SignIn, body: string, headers: Record<string, string> = {}, url = flow.action('/passkey')) =>
  flow.agent.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: flow.issuer, accept: 'text/html', ...headers },
    body,
  });

testEachBackendOnLocalhost(
  'a passkey sign-in posted from another site is refused, and the victim’s challenge still works',
  async (t, server) => {
    const holder = await userWithPasskey(server);
    const client = await firstPartyClient(server);
    const flow = await SignIn.start(server.url, client.clientId);
    const credential = assertionFor(flow, holder);
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site', origin: flow.issuer },
    ];
    for (const headers of crossSite) {
      const answer = await raw(flow, new URLSearchParams({ credential }).toString(), headers);
      t.is(answer.status, 403, JSON.stringify(headers));
      t.regex(await answer.text(), /another site/i);
    }
    await postPasskey(flow, credential);
    t.truthy(flow.page.code, 'the refused posts spent nothing: the victim signs in with the same answer');
  },
);

testEachBackendOnLocalhost('broken, hostile or oversized passkey answers get the sign-in page again, never a 5xx', async (t, server) => {
  await userWithPasskey(server);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  const nested = '['.repeat(2000) + ']'.repeat(2000); // deep, within the form limit once URL-encoded
  for (const credential of [
    '',
    '[',
    'null',
    '{}',
    '"a string"',
    nested,
    '{"id":"__proto__","rawId":"__proto__","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"AA"}}',
    JSON.stringify({ id: 'A'.repeat(2000), rawId: 'A'.repeat(2000), type: 'public-key', response: {} }),
    'x'.repeat(15_000),
  ]) {
    await postPasskey(flow, credential);
    t.is(flow.page.status, 401, `${credential.slice(0, 40)}…`);
    t.is(flow.page.code, undefined);
    t.regex(flow.page.html, /id="passkey-options"/, 'the page again, with a new challenge');
  }
});

testEachBackendOnLocalhost('a body past the limit, the wrong content type, a duplicated field: a clear 4xx', async (t, server) => {
  await userWithPasskey(server);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  const huge = await raw(flow, `credential=${'x'.repeat(40 * 1024)}`);
  t.is(huge.status, 413, 'past the form limit');
  const enormous = await raw(flow, `credential=${'x'.repeat(2 * 1024 * 1024)}`);
  t.is(enormous.status, 413, 'past the input guard’s limit');
  const json = await raw(flow, JSON.stringify({ credential: '{}' }), { 'content-type': 'application/json' });
  t.is(json.status, 415);
  const twice = await raw(flow, 'credential=%7B%7D&credential=%7B%7D');
  t.is(twice.status, 400);
  const nul = await raw(flow, 'credential=%00');
  t.true(nul.status >= 400 && nul.status < 500, `NUL: ${nul.status}`);
});

testEachBackendOnLocalhost('the passkey endpoint at the consent step is refused', async (t, server) => {
  const holder = await userWithPasskey(server);
  const thirdParty = await createTestClient(server); // not first party: consent follows the sign-in
  const flow = await SignIn.start(server.url, thirdParty.clientId);
  const credential = assertionFor(flow, holder);
  await postPasskey(flow, credential);
  t.regex(flow.page.html, /action="[^"]*\/confirm"/, 'at the consent page');
  const consentUrl = flow.action('/confirm').replace(/\/confirm$/, '/passkey');
  const again = await raw(flow, new URLSearchParams({ credential }).toString(), {}, consentUrl);
  t.is(again.status, 400, 'no passkey sign-in once the login is done');
});
