// A change on the account page committed without its audit event (attack 10 of issue 11, the user's
// side): the audit store refuses the users' events (a trigger, as a full disk or a revoked permission
// would). Each change (name, email request and confirmation, password, a session ended, an
// application revoked, the account deleted) is then answered with an error and is not made, and no
// email about it is queued: the change, its event and its emails commit together or not at all.
import { findAccountById } from '../../src/storage/accounts.ts';
import { ACCOUNT, auditEvents, post, reauthenticate } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, PASSWORD } from '../helpers/fixtures.ts';
import { lastEmailTo } from '../helpers/outbox.ts';
import { refuseAuditEvents } from '../helpers/refusing-audit-store.ts';
import type { TestServer } from '../helpers/server.ts';
import { signInForTokens } from '../helpers/user-tokens.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

const count = async (server: TestServer, sql: string, values: unknown[] = []) => (await server.db.query(sql, values)).rows.length;

testEachBackend('when the event of an account-page change cannot be stored, nothing of the change is made', async (t, server) => {
  const user = await createUser(server.db);
  await signInForTokens(server, await createTestClient(server, { firstParty: true }), user.email);
  const browser = await reauthenticate(server, user.email);
  // a link to confirm later, requested while events are still stored
  await post(browser, `${ACCOUNT}/email`, { email: `new-${user.email}` });
  const token = new URL((await lastEmailTo(server, `new-${user.email}`, 'email-change')).data.link!).searchParams.get('token')!;
  await post(browser, `${ACCOUNT}/delete/confirm`, { email: user.email, understand: 'yes' });
  await server.portcullis.audit.flush();
  const session = (await server.db.query<{ uid: string }>(`SELECT uid FROM oidc_models WHERE kind = 'Session'`)).rows[0]!.uid;
  const grant = (await server.db.query<{ id: string }>(`SELECT id FROM oidc_models WHERE kind = 'Grant'`)).rows[0]!.id;

  const before = await findAccountById(server.db, user.id);
  const emails = await count(server, 'SELECT 1 FROM email_outbox');
  const records = await count(server, 'SELECT 1 FROM oidc_models');
  const accept = await refuseAuditEvents(server.db, 'user');
  for (const [path, fields] of [
    [`${ACCOUNT}/name`, { name: 'Unaudited' }],
    [`${ACCOUNT}/email`, { email: `other-${user.email}` }],
    [`${ACCOUNT}/confirm-email`, { token }],
    [`${ACCOUNT}/password`, { current: PASSWORD, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }],
    [`${ACCOUNT}/sessions/end`, { id: session }],
    [`${ACCOUNT}/applications/revoke`, { id: grant }],
    [`${ACCOUNT}/delete`, {}],
  ] as const) {
    const answer = await post(browser, path, fields);
    t.true(answer.status >= 500, `${path}: an error (${answer.status})`);
  }
  t.deepEqual(await findAccountById(server.db, user.id), before, 'the account is as it was');
  t.is(await count(server, 'SELECT 1 FROM email_outbox'), emails, 'no email queued');
  t.is(await count(server, 'SELECT 1 FROM oidc_models'), records, 'no session, grant or token ended');

  await accept();
  t.is((await post(browser, `${ACCOUNT}/confirm-email`, { token })).status, 303, 'the link was not used up');
  t.is((await findAccountById(server.db, user.id))?.email, `new-${user.email}`);
  t.is((await auditEvents(server, 'user.email_changed')).length, 1);
});
