// Attack: flooding someone's inbox through the sign-up page. A sign-up for an address that already has
// an account mails its owner a notice ("someone tried to create an account with your email"); the
// sign-up budget counts per client address only, so requests spread over many client addresses (and
// over the spellings of the address: case, Unicode forms, which all name the one account) would mail
// that owner once each. The notices to one account are budgeted on their own; past the budget the
// answer stays exactly the same (no enumeration), only no further email is queued.
import test from 'ava';
import { createUser } from '../helpers/fixtures.ts';
import { emailsTo } from '../helpers/outbox.ts';
import { signUp } from '../helpers/registration.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';
import { UserAgent } from '../helpers/user-agent.ts';

for (const backend of BACKENDS) {
  test.serial(`[${backend.name}] sign-ups from many client addresses do not flood an existing account's owner`, async (t) => {
    const server = await startTestServer(backend, { env: { REGISTRATION: 'open', TRUST_PROXY: 'true' } });
    t.teardown(() => server.close());
    const user = await createUser(server.db);
    const [local, domain] = user.email.split('@') as [string, string];
    const spellings = [user.email, user.email.toUpperCase(), `${local.toUpperCase()}@${domain}`, `${local}@${domain.toUpperCase()}`];

    const answers = [];
    for (let i = 0; i < 12; i++) {
      const email = spellings[i % spellings.length]!;
      answers.push(await signUp(server, { email }, new UserAgent(), { 'x-forwarded-for': `203.0.113.${i + 1}` }));
    }
    // every answer is the one a new address gets: nothing tells the budget was spent
    for (const answer of answers) t.is(answer.status, 200);

    const notices = (await emailsTo(server, user.email)).filter((email) => email.template === 'account-exists');
    t.true(notices.length >= 1, 'the owner is told');
    t.true(notices.length <= 3, `the owner got ${notices.length} notices from 12 sign-ups`);
  });
}
