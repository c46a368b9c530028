// Attack: the account page's email change used as a mail relay. Each request mails a link to the
// address typed (and a notice to the account's own), with the account's name, which its owner
// chooses, in the greeting: an account anyone can make (REGISTRATION=open) could have this server
// mail text of its choosing to any address, limited only by the per-client-address form budget
// (20 a minute). One account's requests are budgeted on their own; past the budget no email leaves,
// and the page says to wait.
import { randomBytes } from 'node:crypto';
import { ACCOUNT, auditEvents, post, reauthenticate } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser } from '../helpers/fixtures.ts';
import { emailsTo } from '../helpers/outbox.ts';

testEachBackend('one account cannot have the server mail link after link to address after address', async (t, server) => {
  const user = await createUser(server.db);
  const browser = await reauthenticate(server, user.email);
  const targets = Array.from({ length: 12 }, () => `victim-${randomBytes(4).toString('hex')}@example.net`);
  const statuses = [];
  for (const target of targets) statuses.push((await post(browser, `${ACCOUNT}/email`, { email: target })).status);

  let mailed = 0;
  for (const target of targets) mailed += (await emailsTo(server, target)).length;
  t.true(mailed >= 1, 'a legitimate change still sends its link');
  t.true(mailed <= 5, `${mailed} addresses were mailed by one account`);
  t.is(statuses.at(-1), 429, 'the page says to wait');
  const refusals = await auditEvents(server, 'rate_limit.exceeded');
  t.is(refusals.length, 1, 'the budget running out is audited once, not once per refused request');
  t.like(refusals[0], { actor_id: user.id, details: { limit: 'email-change' } });
});
