// Deleting an account without its confirmations: the final post sent straight away (a forged or
// replayed form, a double click on a stale page), the first confirmation with the wrong address or
// without the box ticked, an administrator deleting their own account here. The account stays.
import { findAccountById } from '../../src/storage/accounts.ts';
import { ACCOUNT, auditEvents, post, reauthenticate } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser, giveAuthenticatorApp } from '../helpers/fixtures.ts';

testEachBackend('the final deletion without the first confirmation, or a wrong one, deletes nothing', async (t, server) => {
  const user = await createUser(server.db);
  const other = await createUser(server.db);
  const browser = await reauthenticate(server, user.email);

  const straight = await post(browser, `${ACCOUNT}/delete`);
  t.is(straight.status, 400);
  t.regex(straight.html, /Confirm first/);
  const wrong: Record<string, string>[] = [
    { email: user.email },
    { email: other.email, understand: 'yes' },
    { email: '', understand: 'yes' },
    { email: user.email, understand: 'no' },
  ];
  for (const fields of wrong) {
    const answer = await post(browser, `${ACCOUNT}/delete/confirm`, fields);
    t.is(answer.status, 400, JSON.stringify(fields));
    t.regex(answer.html, /type its email address and tick the box/);
    t.is((await post(browser, `${ACCOUNT}/delete`)).status, 400, 'a wrong first confirmation does not count');
  }
  t.truthy(await findAccountById(server.db, user.id));
  t.truthy(await findAccountById(server.db, other.id));
  t.deepEqual(await auditEvents(server, 'user.deleted'), []);
});

testEachBackend('an administrator cannot delete their own account here', async (t, server) => {
  const admin = await createUser(server.db);
  await server.db.query('UPDATE accounts SET is_admin = true WHERE id = $1', [admin.id]);
  const secret = await giveAuthenticatorApp(server, admin.id);
  const browser = await reauthenticate(server, admin.email, { secret });
  await browser.go(`${server.url}${ACCOUNT}/delete`);
  t.notRegex(browser.page.html, /action="\/account\/delete\/confirm"/, 'no form is offered');
  t.is((await post(browser, `${ACCOUNT}/delete/confirm`, { email: admin.email, understand: 'yes' })).status, 200);
  const answer = await post(browser, `${ACCOUNT}/delete`);
  t.is(answer.status, 409);
  t.regex(answer.html, /An administrator’s account cannot be deleted here/);
  t.truthy(await findAccountById(server.db, admin.id));
});
