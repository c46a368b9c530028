// One-time links by email: good once, until they expire, and only until the account's next reset.
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser } from '../helpers/fixtures.ts';
import { checkLink, issueLink, LINK_LIFETIME_SECONDS, redeemLink } from '../../src/accounts/account-links.ts';
import { findAccountById, setAccountPassword } from '../../src/storage/accounts.ts';

const at = (iso: string) => new Date(iso);

testEachBackend('a link redeems once, for its purpose only, and is stored only as a hash', async (t, server) => {
  const user = await createUser(server.db);
  const account = (await findAccountById(server.db, user.id))!;
  const now = at('2026-01-01T00:00:00Z');
  const token = await server.db.transaction((tx) => issueLink(tx, account, 'reset_password', { now, detail: { note: 'x' } }));
  t.regex(token, /^[A-Za-z0-9_-]{43}$/);
  const { rows } = await server.db.query<{ token_hash: Buffer }>('SELECT token_hash FROM account_links');
  t.false(rows.some((row) => Buffer.from(row.token_hash).toString('utf8').includes(token)));

  t.is(await checkLink(server.db, 'verify_email', token, now), undefined, 'another purpose');
  t.is((await checkLink(server.db, 'reset_password', token, now))?.account.id, user.id, 'checking does not use it');
  const used = await server.db.transaction((tx) => redeemLink(tx, 'reset_password', token, now));
  t.deepEqual(used?.detail, { note: 'x' });
  t.is(await server.db.transaction((tx) => redeemLink(tx, 'reset_password', token, now)), undefined, 'a second use');
  t.is(await checkLink(server.db, 'reset_password', `${token.slice(0, -1)}A`, now), undefined);
  t.is(await checkLink(server.db, 'reset_password', "' OR 1=1 --", now), undefined);
});

testEachBackend('a link expires; a newer one and any password change void it; parallel uses: exactly one wins', async (t, server) => {
  const user = await createUser(server.db);
  const now = at('2026-01-01T00:00:00Z');
  const issue = async (when = now) =>
    server.db.transaction(async (tx) => issueLink(tx, (await findAccountById(tx, user.id))!, 'reset_password', { now: when }));

  const expiring = await issue();
  const justBefore = new Date(now.getTime() + LINK_LIFETIME_SECONDS.reset_password * 1000 - 1);
  t.truthy(await checkLink(server.db, 'reset_password', expiring, justBefore));
  t.is(await checkLink(server.db, 'reset_password', expiring, new Date(justBefore.getTime() + 1)), undefined, 'expired');

  const older = await issue();
  const newer = await issue();
  t.is(await checkLink(server.db, 'reset_password', older, now), undefined, 'voided by the newer link');
  t.truthy(await checkLink(server.db, 'reset_password', newer, now));
  await setAccountPassword(server.db, user.id, 'another-hash', false);
  t.is(await checkLink(server.db, 'reset_password', newer, now), undefined, 'voided by the password change');
  t.is(await server.db.transaction((tx) => redeemLink(tx, 'reset_password', newer, now)), undefined);

  const raced = await issue();
  const results = await Promise.all([1, 2, 3].map(() => server.db.transaction((tx) => redeemLink(tx, 'reset_password', raced, now))));
  t.is(results.filter(Boolean).length, 1);
});
