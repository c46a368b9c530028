// Attack: flooding someone's inbox (or the outbox) through "Forgot your password?", from one
// address or for one account. Past RATE_LIMIT_PASSWORD_RESET_EMAIL_PER_HOUR requests for an email
// address, or RATE_LIMIT_PASSWORD_RESET_IP_PER_HOUR from one client address, no email is sent; the
// answer stays the same page (a refusal would tell which addresses are known), and the first
// refusal of a budget is audited.
import { randomBytes } from 'node:crypto';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser } from '../helpers/fixtures.ts';
import { emailsTo } from '../helpers/outbox.ts';
import { PasswordReset } from '../helpers/password-reset.ts';

const exceeded = async (server: Parameters<Parameters<typeof testEachBackend>[1]>[1], limit: string) => {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_events WHERE type = 'rate_limit.exceeded' AND details->>'limit' = $1`,
    [limit],
  );
  return rows[0]!.n;
};

testEachBackend(
  'one email address: past its budget the same page, and no more emails',
  async (t, server) => {
    const user = await createUser(server.db);
    const reset = new PasswordReset(server);
    const pages = new Set<string>();
    for (let request = 0; request < 6; request++) {
      const answer = await reset.request(user.email);
      t.is(answer.status, 200);
      pages.add(answer.html);
    }
    t.is(pages.size, 1, 'the same page every time');
    t.is((await emailsTo(server, user.email)).length, 3);
    t.is(await exceeded(server, 'password-reset-email'), 1, 'one event when the budget ran out, not one per request');
    // the address spelled differently is the same address (the budget is keyed by its canonical form)
    await reset.request(user.email.toUpperCase());
    t.is((await emailsTo(server, user.email)).length, 3);
  },
  { env: { RATE_LIMIT_PASSWORD_RESET_EMAIL_PER_HOUR: '3' } },
);

testEachBackend(
  'one client address: past its budget no email to anyone, the same page',
  async (t, server) => {
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(server.db)));
    const reset = new PasswordReset(server);
    // unknown addresses spend the address's budget as known ones do
    await reset.request(`nobody-${randomBytes(4).toString('hex')}@example.com`);
    for (const user of users) t.is((await reset.request(user.email)).status, 200);
    const sent = await Promise.all(users.map(async (user) => (await emailsTo(server, user.email)).length));
    t.deepEqual(sent, [1, 1, 1, 0, 0, 0]);
    t.is(await exceeded(server, 'password-reset-ip'), 1);
  },
  { env: { RATE_LIMIT_PASSWORD_RESET_IP_PER_HOUR: '4' } },
);
