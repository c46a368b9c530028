// Second-factor storage on both SQL backends: a confirmed TOTP authenticator stored once and its
// single-use steps, recovery codes, the factor summary and removal (which moves the credential epoch
// on); on PostgreSQL also two connections racing for the same code, and two first-factor enrolments.
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { generateRecoveryCodes, hashRecoveryCode } from '../../src/accounts/recovery-codes.ts';
import { decryptTotpSecret, encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { findAccountById, insertAccount } from '../../src/storage/accounts.ts';
import type { Database } from '../../src/storage/database.ts';
import {
  deleteSecondFactors,
  describeFactors,
  findTotp,
  insertConfirmedTotp,
  remainingRecoveryCodes,
  replaceRecoveryCodes,
  useRecoveryCode,
  useTotpStep,
  withFactorsLocked,
} from '../../src/storage/mfa.ts';
import { openPostgres } from '../../src/storage/postgres.ts';
import { createTestDatabase } from '../helpers/stores.ts';

type Backend = 'pglite' | 'postgres';

/** A fresh, migrated, isolated database, disposed when the test ends. */
async function open(t: ExecutionContext, backend: Backend): Promise<{ db: Database; url: string | undefined }> {
  const store = await createTestDatabase(backend);
  t.teardown(() => store.dispose());
  return { db: store.db, url: store.url };
}

const newAccount = async (db: Database) =>
  (await insertAccount(db, { email: `mfa-${randomBytes(4).toString('hex')}@example.com`, name: null, passwordHash: 'not-a-real-hash' })).id;

const addPasskey = (db: Database, accountId: string, name: string) =>
  db.query(`INSERT INTO webauthn_credentials (id, account_id, name, public_key, device_type) VALUES ($1, $2, $3, $4, $5)`, [
    randomBytes(16).toString('base64url'),
    accountId,
    name,
    randomBytes(32).toString('base64url'),
    'multiDevice',
  ]);

const KEY = randomBytes(32);
const RECOVERY_KEY = createSecretKey(randomBytes(32));
const STEP = 56_666_667; // a realistic step: late 2023

/** PGlite starts on this thread; serially first, then the PostgreSQL cases concurrently. */
const testOn = (backend: Backend) => (backend === 'pglite' ? test.serial : test);

for (const backend of ['pglite', 'postgres'] as const) {
  testOn(backend)(`[${backend}] a confirmed authenticator is stored once, claims its step, and is never replaced`, async (t) => {
    const { db } = await open(t, backend);
    const accountId = await newAccount(db);
    t.is(await findTotp(db, accountId), undefined);

    t.true(await insertConfirmedTotp(db, accountId, 'sealed-1', STEP));
    t.deepEqual(await findTotp(db, accountId), { secretEncrypted: 'sealed-1', confirmed: true, lastUsedStep: STEP });
    t.false(await insertConfirmedTotp(db, accountId, 'sealed-2', STEP + 1), 'already confirmed');
    t.deepEqual(
      await findTotp(db, accountId),
      { secretEncrypted: 'sealed-1', confirmed: true, lastUsedStep: STEP },
      'the confirmed authenticator is untouched',
    );
    t.false(await useTotpStep(db, accountId, STEP), 'the confirming code cannot sign in again');
    t.true(await useTotpStep(db, accountId, STEP + 1));

    // a row left unconfirmed by an older version is replaced, never shown or confirmed as it was
    const other = await newAccount(db);
    await db.query('INSERT INTO mfa_totp (account_id, secret_encrypted) VALUES ($1, $2)', [other, 'planted']);
    t.false((await describeFactors(db, other)).totp, 'an unconfirmed row is not a factor');
    t.false(await useTotpStep(db, other, STEP), 'an unconfirmed authenticator signs nobody in');
    t.true(await insertConfirmedTotp(db, other, 'sealed-other', STEP));
    t.is((await findTotp(db, other))?.secretEncrypted, 'sealed-other');
  });

  testOn(backend)(`[${backend}] a step is used once; older steps are refused`, async (t) => {
    const { db } = await open(t, backend);
    const accountId = await newAccount(db);
    await insertConfirmedTotp(db, accountId, 'sealed', STEP - 10);

    t.true(await useTotpStep(db, accountId, STEP));
    t.false(await useTotpStep(db, accountId, STEP), 'the same step again');
    t.false(await useTotpStep(db, accountId, STEP - 1), 'an older step (the previous code, still inside the window)');
    t.is((await findTotp(db, accountId))?.lastUsedStep, STEP);
    t.true(await useTotpStep(db, accountId, STEP + 1));
    t.is((await findTotp(db, accountId))?.lastUsedStep, STEP + 1);
    t.false(await useTotpStep(db, randomUUID(), STEP + 5), 'an account without TOTP');
  });

  testOn(backend)(`[${backend}] recovery codes: each works once, a new set voids the old, the count follows`, async (t) => {
    const { db } = await open(t, backend);
    const accountId = await newAccount(db);
    const other = await newAccount(db);
    t.is(await remainingRecoveryCodes(db, accountId), 0);

    const first = generateRecoveryCodes();
    await replaceRecoveryCodes(
      db,
      accountId,
      first.map((code) => hashRecoveryCode(RECOVERY_KEY, code)),
    );
    t.is(await remainingRecoveryCodes(db, accountId), 10);

    const typed = first[0]!.toUpperCase().replaceAll('-', ' ');
    t.true(await useRecoveryCode(db, accountId, hashRecoveryCode(RECOVERY_KEY, typed)));
    t.false(await useRecoveryCode(db, accountId, hashRecoveryCode(RECOVERY_KEY, first[0]!)), 'used once only');
    t.false(await useRecoveryCode(db, other, hashRecoveryCode(RECOVERY_KEY, first[1]!)), 'not another account’s code');
    t.false(await useRecoveryCode(db, accountId, hashRecoveryCode(createSecretKey(randomBytes(32)), first[1]!)), 'hash under another key');
    t.is(await remainingRecoveryCodes(db, accountId), 9);

    const second = generateRecoveryCodes();
    await replaceRecoveryCodes(
      db,
      accountId,
      second.map((code) => hashRecoveryCode(RECOVERY_KEY, code)),
    );
    t.is(await remainingRecoveryCodes(db, accountId), 10, 'the used code of the old set is gone too');
    for (const code of first) t.false(await useRecoveryCode(db, accountId, hashRecoveryCode(RECOVERY_KEY, code)), 'old set void');
    t.true(await useRecoveryCode(db, accountId, hashRecoveryCode(RECOVERY_KEY, second[3]!)));
    t.is(await remainingRecoveryCodes(db, accountId), 9);

    await replaceRecoveryCodes(db, accountId, []);
    t.is(await remainingRecoveryCodes(db, accountId), 0);
    t.is(await remainingRecoveryCodes(db, other), 0);
  });

  testOn(backend)(`[${backend}] replacing recovery codes inside the caller's transaction joins it`, async (t) => {
    const { db } = await open(t, backend);
    const accountId = await newAccount(db);
    const hashes = generateRecoveryCodes().map((code) => hashRecoveryCode(RECOVERY_KEY, code));
    await replaceRecoveryCodes(db, accountId, hashes);

    await t.throwsAsync(
      db.transaction(async (tx) => {
        await replaceRecoveryCodes(
          tx,
          accountId,
          generateRecoveryCodes().map((code) => hashRecoveryCode(RECOVERY_KEY, code)),
        );
        throw new Error('the caller fails after replacing');
      }),
      { message: /caller fails/ },
    );
    t.true(await useRecoveryCode(db, accountId, hashes[0]!), 'rolled back with the caller: the old set still works');
  });

  testOn(backend)(`[${backend}] describeFactors and deleteSecondFactors`, async (t) => {
    const { db } = await open(t, backend);
    const accountId = await newAccount(db);
    const bystander = await newAccount(db);
    t.deepEqual(await describeFactors(db, accountId), { totp: false, recoveryCodesLeft: 0, passkeys: 0 });

    await insertConfirmedTotp(db, accountId, 'sealed', STEP);
    const codes = generateRecoveryCodes();
    await replaceRecoveryCodes(
      db,
      accountId,
      codes.map((code) => hashRecoveryCode(RECOVERY_KEY, code)),
    );
    await useRecoveryCode(db, accountId, hashRecoveryCode(RECOVERY_KEY, codes[0]!));
    await addPasskey(db, accountId, 'Laptop');
    await addPasskey(db, accountId, 'Phone');
    await addPasskey(db, bystander, 'Theirs');
    await replaceRecoveryCodes(db, bystander, [hashRecoveryCode(RECOVERY_KEY, 'bystander')]);
    t.deepEqual(await describeFactors(db, accountId), { totp: true, recoveryCodesLeft: 9, passkeys: 2 });

    const epoch = (await findAccountById(db, accountId))!.credentialEpoch;
    t.deepEqual(
      await deleteSecondFactors(db, accountId),
      { totp: 1, recoveryCodes: 10, passkeys: 2 },
      'used codes count as removed rows too',
    );
    t.is((await findAccountById(db, accountId))!.credentialEpoch, epoch + 1, 'the reset voids what was proven before it');
    t.deepEqual(await describeFactors(db, accountId), { totp: false, recoveryCodesLeft: 0, passkeys: 0 });
    t.is(await findTotp(db, accountId), undefined);
    t.deepEqual(await deleteSecondFactors(db, accountId), { totp: 0, recoveryCodes: 0, passkeys: 0 });
    t.deepEqual(await describeFactors(db, bystander), { totp: false, recoveryCodesLeft: 1, passkeys: 1 }, 'other accounts untouched');

    // after the reset a new authenticator may be stored
    t.true(await insertConfirmedTotp(db, accountId, 'sealed-new', STEP));
    t.is((await findTotp(db, accountId))?.secretEncrypted, 'sealed-new');
  });

  testOn(backend)(`[${backend}] a stored secret decrypts for its account only`, async (t) => {
    const { db } = await open(t, backend);
    const accountId = await newAccount(db);
    const other = await newAccount(db);
    const secret = generateTotpSecret();
    await insertConfirmedTotp(db, accountId, encryptTotpSecret(KEY, accountId, secret), STEP);
    const sealed = (await findTotp(db, accountId))!.secretEncrypted;
    t.false(sealed.includes(secret));
    t.is(decryptTotpSecret(KEY, accountId, sealed), secret);

    // Copied into another account's row, it does not become that account's factor.
    await insertConfirmedTotp(db, other, sealed, STEP);
    const copied = (await findTotp(db, other))!.secretEncrypted;
    t.is(copied, sealed);
    t.throws(() => decryptTotpSecret(KEY, other, copied));
    t.throws(() => decryptTotpSecret(randomBytes(32), accountId, sealed), undefined, 'another key');
  });
}

test('[postgres] two connections racing on the same step: exactly one wins', async (t) => {
  const { db, url } = await open(t, 'postgres');
  const second = openPostgres({ connectionString: url!, max: 5 });
  t.teardown(() => second.close());
  const accountId = await newAccount(db);
  t.true(await insertConfirmedTotp(db, accountId, 'sealed', STEP));

  // Several rounds, each a fresh step claimed by 4 callers on each connection at the same moment.
  for (let round = 1; round <= 10; round++) {
    const step = STEP + round;
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => useTotpStep(i % 2 === 0 ? db : second, accountId, step)));
    t.is(outcomes.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(outcomes)}`);
  }
  t.is((await findTotp(second, accountId))?.lastUsedStep, STEP + 10);

  // An older and a newer code at once: the newer always wins; the older only if it got there first.
  // Either way the last used step only moves forward.
  const [older, newer] = await Promise.all([useTotpStep(db, accountId, STEP + 11), useTotpStep(second, accountId, STEP + 12)]);
  t.true(newer);
  t.is((await findTotp(db, accountId))?.lastUsedStep, STEP + 12);
  t.log(`older code ${older ? 'won before' : 'lost after'} the newer one`);
});

test('[postgres] two connections racing to confirm, to add a first factor, and to spend one recovery code: exactly one wins', async (t) => {
  const { db, url } = await open(t, 'postgres');
  const second = openPostgres({ connectionString: url!, max: 5 });
  t.teardown(() => second.close());
  const accountId = await newAccount(db);
  const confirmations = await Promise.all(
    Array.from({ length: 6 }, (_, i) => insertConfirmedTotp(i % 2 ? db : second, accountId, `sealed-${i}`, STEP + i)),
  );
  t.is(confirmations.filter(Boolean).length, 1);

  // "only a first factor": an authenticator app and a passkey added at once under the account's lock
  const bare = await newAccount(db);
  const firsts = await Promise.all([
    withFactorsLocked(db, bare, async (tx, factors) =>
      factors.totp || factors.passkeys > 0 ? false : insertConfirmedTotp(tx, bare, 'sealed', STEP),
    ),
    withFactorsLocked(second, bare, async (tx, factors) => {
      if (factors.totp || factors.passkeys > 0) return false;
      await addPasskey(tx as Database, bare, 'Key');
      return true;
    }),
  ]);
  t.is(firsts.filter(Boolean).length, 1, `one first factor: ${JSON.stringify(firsts)}`);
  const added = await describeFactors(db, bare);
  t.is(Number(added.totp) + added.passkeys, 1);

  const codes = generateRecoveryCodes();
  await replaceRecoveryCodes(
    db,
    accountId,
    codes.map((code) => hashRecoveryCode(RECOVERY_KEY, code)),
  );
  const hash = hashRecoveryCode(RECOVERY_KEY, codes[5]!);
  const spends = await Promise.all(Array.from({ length: 6 }, (_, i) => useRecoveryCode(i % 2 ? db : second, accountId, hash)));
  t.is(spends.filter(Boolean).length, 1);
  t.is(await remainingRecoveryCodes(second, accountId), 9);

  // Two replacements at once leave exactly one set, not both.
  const sets = [generateRecoveryCodes(), generateRecoveryCodes()];
  await Promise.all(
    sets.map((set, i) =>
      replaceRecoveryCodes(
        i ? db : second,
        accountId,
        set.map((code) => hashRecoveryCode(RECOVERY_KEY, code)),
      ),
    ),
  );
  t.is(await remainingRecoveryCodes(db, accountId), 10);
});
