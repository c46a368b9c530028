// Broken object-level authorisation on the account page: a user names another user's session or
// grant (read from anywhere: a shared screen, a log, a guess) in the forms that end a session or
// revoke an application's access, or adds a field naming another user. Nothing of the other user
// ends: the forms act on the proven session's own account only, and an id that is not theirs is
// answered exactly as one that does not exist.
import { ACCOUNT, auditEvents, post, reauthenticate, refresh } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { signInForTokens } from '../helpers/user-tokens.ts';

const idsOf = async (server: TestServer, kind: 'Session' | 'Grant', accountId: string) =>
  (
    await server.db.query<{ handle: string }>(
      `SELECT CASE kind WHEN 'Session' THEN uid ELSE id END AS handle FROM oidc_models WHERE kind = $1 AND payload->>'accountId' = $2`,
      [kind, accountId],
    )
  ).rows.map((row) => row.handle);

testEachBackend(
  "another user's session id and grant id are not found, and the other user's session and tokens live on",
  async (t, server) => {
    const client = await createTestClient(server, { firstParty: true });
    const victim = await createUser(server.db);
    const victimTokens = (await signInForTokens(server, client, victim.email))!;
    const attacker = await createUser(server.db);
    await signInForTokens(server, client, attacker.email);
    const [victimSession] = await idsOf(server, 'Session', victim.id);
    const [victimGrant] = await idsOf(server, 'Grant', victim.id);
    const [attackerSession] = await idsOf(server, 'Session', attacker.id);
    const browser = await reauthenticate(server, attacker.email);

    const session = await post(browser, `${ACCOUNT}/sessions/end`, { id: victimSession! });
    t.is(session.status, 404);
    t.regex(session.html, /There is no such session on your account/);
    const wrongSession = await post(browser, `${ACCOUNT}/sessions/end`, { id: 'no-such-session-at-all' });
    t.is(wrongSession.status, session.status, 'the same answer as an id that does not exist');
    const grant = await post(browser, `${ACCOUNT}/applications/revoke`, { id: victimGrant! });
    t.is(grant.status, 404);
    t.regex(grant.html, /No such application has access to your account/);
    // a field naming the victim is not read: the user is always the session's own
    const named = await post(browser, `${ACCOUNT}/sessions/end`, { id: victimSession!, user: victim.id });
    t.is(named.status, 404);
    const swapped = await post(browser, `${ACCOUNT}/sessions/end`, { id: attackerSession!, user: victim.id });
    t.is(swapped.status, 303, "the attacker's own session ends");

    t.deepEqual(await idsOf(server, 'Session', victim.id), [victimSession]);
    t.deepEqual(await idsOf(server, 'Grant', victim.id), [victimGrant]);
    t.true((await refresh(server, client, victimTokens.refreshToken!)).ok, "the victim's application still works");
    t.deepEqual(await auditEvents(server, 'user.grant_revoked'), []);
    t.is((await auditEvents(server, 'user.session_revoked')).length, 1, "only the attacker's own");
  },
);
