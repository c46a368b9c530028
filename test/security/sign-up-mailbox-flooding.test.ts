// Attack: flooding someone's inbox through the sign-up page. A sign-up for an address that already has
// an account mails its owner a notice ("someone tried to create an account with your email"), one for
// a new address mails it a verification link; the sign-up budget counted per client address only, so
// sign-ups spread over many client addresses (and over the spellings of the address: case, Unicode
// forms, which all name the one account) mailed that inbox once each. One email address's sign-ups
// are budgeted on their own, counted alike whether it has an account or not: the refusal, a 429 after
// the same number of sign-ups either way, tells nothing about the address.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { createUser } from '../helpers/fixtures.ts';
import { emailsTo } from '../helpers/outbox.ts';
import { signUp } from '../helpers/registration.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { UserAgent } from '../helpers/user-agent.ts';

const SIGN_UPS = 8;

/** The statuses of SIGN_UPS sign-ups with these spellings of one address, each from another client address. */
async function signUpsFromEverywhere(server: TestServer, spellings: string[], network: number): Promise<number[]> {
  const statuses = [];
  for (let i = 0; i < SIGN_UPS; i++) {
    const email = spellings[i % spellings.length]!;
    const answer = await signUp(server, { email }, new UserAgent(), { 'x-forwarded-for': `198.51.${network}.${i + 1}` });
    statuses.push(answer.status);
  }
  return statuses;
}

const spellingsOf = (email: string) => {
  const [local, domain] = email.split('@') as [string, string];
  return [email, email.toUpperCase(), `${local.toUpperCase()}@${domain}`, `${local}@${domain.toUpperCase()}`];
};

for (const backend of BACKENDS) {
  test.serial(`[${backend.name}] sign-ups from many client addresses do not flood one inbox`, async (t) => {
    const server = await startTestServer(backend, { env: { REGISTRATION: 'open', TRUST_PROXY: 'true' } });
    t.teardown(() => server.close());
    const user = await createUser(server.db);
    const existing = await signUpsFromEverywhere(server, spellingsOf(user.email), 100);
    const notices = (await emailsTo(server, user.email)).filter((email) => email.template === 'account-exists');
    t.true(notices.length >= 1, 'the owner is told');
    t.true(notices.length <= 3, `the owner got ${notices.length} notices from ${SIGN_UPS} sign-ups`);

    // a new address: the same answers, in the same order (nothing tells the two apart), and as few emails
    const fresh = `fresh-${randomBytes(4).toString('hex')}@example.com`;
    t.deepEqual(await signUpsFromEverywhere(server, spellingsOf(fresh), 101), existing);
    t.true((await emailsTo(server, fresh)).length <= 3);
    t.true(existing.includes(429), 'past the budget the page says to wait');
  });
}
