// Hostile input in the account page's forms: a NUL byte, a line break (CR LF: a header injected into
// the emails that greet the user by name, or that are sent to the new address), a huge value,
// duplicated fields, and addresses that are no addresses. Each is a clear 4xx; nothing is stored or
// queued.
import { findAccountById } from '../../src/storage/accounts.ts';
import { ACCOUNT, post, reauthenticate } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser } from '../helpers/fixtures.ts';

testEachBackend('NUL, CR LF and huge values are refused with a clear 4xx, and nothing is stored or queued', async (t, server) => {
  const user = await createUser(server.db);
  const browser = await reauthenticate(server, user.email);
  const before = await findAccountById(server.db, user.id);

  const nul = await post(browser, `${ACCOUNT}/name`, { name: 'Ada\u0000Lovelace' });
  t.is(nul.status, 400, 'NUL is refused at the edge');
  const crlf = await post(browser, `${ACCOUNT}/name`, { name: 'Ada\r\nBcc: everyone@example.com' });
  t.is(crlf.status, 400);
  t.regex(crlf.html, /Your name must be one line/);
  const long = await post(browser, `${ACCOUNT}/name`, { name: 'A'.repeat(201) });
  t.is(long.status, 400);
  t.regex(long.html, /at most 200 characters/);
  const huge = await post(browser, `${ACCOUNT}/name`, { name: 'A'.repeat(100_000) });
  t.true(huge.status === 413 || huge.status === 400, `a huge body is refused (${huge.status})`);

  for (const email of [
    'new@example.com\r\nBcc: everyone@example.com',
    'not an address',
    `${'a'.repeat(300)}@example.com`,
    '<script>@example.com',
  ]) {
    const answer = await post(browser, `${ACCOUNT}/email`, { email });
    t.is(answer.status, 400, JSON.stringify(email));
    t.regex(answer.html, /Enter a valid email address/);
    t.notRegex(answer.html, /<script>@/, 'nothing typed is echoed unescaped');
  }
  const duplicated = await browser.agent.request(`${server.url}${ACCOUNT}/name`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    body: 'name=Ada&name=Mallory',
  });
  t.is(duplicated.status, 400);
  for (const id of ['x\r\ny', '../../etc', 'a'.repeat(200)]) {
    t.is((await post(browser, `${ACCOUNT}/sessions/end`, { id })).status, 404);
    t.is((await post(browser, `${ACCOUNT}/applications/revoke`, { id })).status, 404);
  }
  t.is((await post(browser, `${ACCOUNT}/confirm-email`, { token: 'a\r\n'.repeat(40) })).status, 410);
  t.deepEqual(await findAccountById(server.db, user.id), before, 'nothing stored');
  t.is((await server.db.query('SELECT 1 FROM email_outbox')).rows.length, 0, 'nothing queued');
});
