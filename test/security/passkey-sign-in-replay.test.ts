// Replays at the passkey sign-in, with a synced passkey whose counter stays 0 (as most do): its
// counter cannot tell a replay, so the challenge must. An observed assertion sent in another sign-in
// or browser; the same browser's answer sent twice at once; a challenge answered once and its
// sealed cookie planted again; a challenge (and its cookie) from another interaction. Each is
// refused: a challenge belongs to one interaction of one browser and is answered once, within 10 minutes.
import test from 'ava';
import { PASSKEY_NOT_ACCEPTED } from '../../src/interactions/passkey-sign-in-routes.ts';
import { assertionFor, firstPartyClient, postPasskey, testEachBackendOnLocalhost, userWithPasskey } from '../helpers/passkey-sign-in.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';
import { SignIn } from '../helpers/sign-in-flow.ts';

const COOKIE = 'portcullis-passkey';

/** Loads the sign-in page again (a new challenge), and returns the sealed challenge cookie it set. */
async function reloadLoginPage(flow: SignIn): Promise<string> {
  const response = await flow.agent.request(flow.page.url);
  const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${COOKIE}=`));
  if (!header) throw new Error('the sign-in page set no passkey challenge');
  flow.page = { status: response.status, url: flow.page.url, html: await response.text() };
  return header.slice(COOKIE.length + 1, header.indexOf(';'));
}

const refused = (html: string) => html.replaceAll('&#39;', "'").includes(PASSKEY_NOT_ACCEPTED);

testEachBackendOnLocalhost('an observed assertion replayed in another sign-in (another browser) is refused', async (t, server) => {
  const holder = await userWithPasskey(server, { synced: true });
  const client = await firstPartyClient(server);
  const victim = await SignIn.start(server.url, client.clientId);
  const observed = assertionFor(victim, holder);
  await postPasskey(victim, observed);
  t.truthy(victim.page.code, 'the genuine answer signs the victim in');

  const attacker = await SignIn.start(server.url, client.clientId);
  await postPasskey(attacker, observed);
  t.is(attacker.page.status, 401, 'it answers a challenge the attacker’s page never showed');
  t.is(attacker.page.code, undefined);
  t.true(refused(attacker.page.html));
});

testEachBackendOnLocalhost('the same answer sent twice at once signs in once', async (t, server) => {
  const holder = await userWithPasskey(server, { synced: true });
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  const credential = assertionFor(flow, holder);
  const send = () =>
    flow.agent.request(flow.action('/passkey'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ credential }),
    });
  // both carry the same cookie: the jar is read as each request is sent
  const statuses = (await Promise.all([send(), send()])).map((response) => response.status).sort();
  t.deepEqual(statuses, [303, 401], 'one signs in, the other finds the challenge spent');
});

testEachBackendOnLocalhost('a challenge answered once, its cookie planted again: the genuine answer is refused', async (t, server) => {
  const holder = await userWithPasskey(server, { synced: true });
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  const sealed = await reloadLoginPage(flow);
  const genuine = assertionFor(flow, holder);
  await postPasskey(flow, '{}');
  t.is(flow.page.status, 401, 'a wrong answer spends the challenge');
  flow.agent.setCookie(COOKIE, sealed);
  await postPasskey(flow, genuine);
  t.is(flow.page.status, 401, 'the cookie is back, the challenge is not: answered once');
  t.is(flow.page.code, undefined);

  await postPasskey(flow, assertionFor(flow, holder));
  t.truthy(flow.page.code, 'the challenge of the page shown since works');
});

testEachBackendOnLocalhost('a challenge from another interaction, with or without its cookie, is refused', async (t, server) => {
  const holder = await userWithPasskey(server, { synced: true });
  const client = await firstPartyClient(server);
  const first = await SignIn.start(server.url, client.clientId);
  const sealed = await reloadLoginPage(first);
  const forFirst = assertionFor(first, holder);

  const second = await SignIn.start(server.url, client.clientId);
  await postPasskey(second, forFirst);
  t.is(second.page.status, 401, 'the second interaction holds a challenge of its own');

  const third = await SignIn.start(server.url, client.clientId);
  third.agent.setCookie(COOKIE, sealed);
  await postPasskey(third, forFirst);
  t.is(third.page.status, 401, 'the first interaction’s sealed challenge is not this one’s');
  t.is(third.page.code, undefined);

  await postPasskey(first, forFirst);
  t.truthy(first.page.code, 'in its own interaction, the answer is good');
});

test.serial('an answer to a challenge older than its 10 minutes is refused', async (t) => {
  let shift = 0;
  const server = await startTestServer(BACKENDS[0]!, { publicHost: 'localhost', now: () => new Date(Date.now() + shift) });
  t.teardown(() => server.close());
  const holder = await userWithPasskey(server, { synced: true });
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  const late = assertionFor(flow, holder);
  shift = 11 * 60_000; // the page was left open
  await postPasskey(flow, late);
  t.is(flow.page.status, 401);
  t.is(flow.page.code, undefined);
  await postPasskey(flow, assertionFor(flow, holder));
  t.truthy(flow.page.code, 'the page shown since has a challenge of its own');
});
