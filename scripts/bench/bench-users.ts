// The users both login targets sign in (login-target.ts, floor-target.ts), so that the two compare
// like with like: as many users, the fixtures' password, each with its own argon2id hash at the
// default parameters. Many users log in at once, as on a real server: one account signing in from
// several requests at the same moment would be counted by the lockout while those are in flight.
import { createUser, PASSWORD } from '../../test/helpers/fixtures.ts';
import { findAccountByEmail } from '../../src/storage/accounts.ts';
import type { Database } from '../../src/storage/database.ts';

/** More than any concurrency the benchmark runs at. */
const BENCH_USERS = 64;

export interface BenchUsers {
  emails: string[];
  password: string;
  /** the stored hash of the first user (the argon2 target verifies it) */
  passwordHash: string;
}

export async function createBenchUsers(db: Database): Promise<BenchUsers> {
  const emails: string[] = [];
  for (let index = 0; index < BENCH_USERS; index++) emails.push((await createUser(db)).email);
  const stored = await findAccountByEmail(db, emails[0]!);
  if (!stored?.passwordHash) throw new Error('the benchmark user has no password hash');
  return { emails, password: PASSWORD, passwordHash: stored.passwordHash };
}
