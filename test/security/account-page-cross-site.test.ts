// Cross-site request forgery against the account page: another site's form (or a script's fetch)
// posts to each of its changes from a browser proven for the account (SameSite=Strict keeps the
// account cookie off such requests in a real browser; the page's router refuses them before that
// matters). Nothing changes, nothing is queued.
import { findAccountById } from '../../src/storage/accounts.ts';
import { ACCOUNT, post, reauthenticate } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser, PASSWORD } from '../helpers/fixtures.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

testEachBackend('a proven browser posting from another site changes nothing, on every change of the page', async (t, server) => {
  const user = await createUser(server.db);
  const browser = await reauthenticate(server, user.email);
  const before = await findAccountById(server.db, user.id);
  const changes: [string, Record<string, string>][] = [
    [`${ACCOUNT}/name`, { name: 'Mallory' }],
    [`${ACCOUNT}/email`, { email: 'mallory@evil.example' }],
    [`${ACCOUNT}/password`, { current: PASSWORD, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }],
    [`${ACCOUNT}/delete/confirm`, { email: user.email, understand: 'yes' }],
    [`${ACCOUNT}/delete`, {}],
    [`${ACCOUNT}/sessions/end`, { id: 'x' }],
    [`${ACCOUNT}/applications/revoke`, { id: 'x' }],
    [`${ACCOUNT}/confirm-email`, { token: 'a'.repeat(43) }],
  ];
  for (const [path, fields] of changes) {
    for (const origin of ['https://evil.example', 'null']) {
      const answer = await post(browser, path, fields, origin);
      t.is(answer.status, 403, `${path} from ${origin}`);
      t.regex(answer.html, /another site/i);
    }
  }
  t.deepEqual(await findAccountById(server.db, user.id), before, 'the account is untouched');
  t.is((await server.db.query('SELECT 1 FROM email_outbox')).rows.length, 0, 'no email queued');
  // the same post from the page itself goes through
  t.is((await post(browser, `${ACCOUNT}/name`, { name: 'Ada' })).status, 303);
  t.is((await findAccountById(server.db, user.id))?.name, 'Ada');
});
