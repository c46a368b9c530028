// Removes records past their expiry: oidc-provider models, revoked-JWT markers and long-forgotten
// failed-login counters.
import type { Database } from './database.ts';
import { pruneExpiredModels } from '../oidc/adapters/adapter-factory.ts';
import { pruneLoginFailures } from './login-failures.ts';

export async function pruneExpired(db: Database): Promise<void> {
  await pruneExpiredModels(db);
  await db.query('DELETE FROM revoked_access_tokens WHERE expires_at <= now()');
  await pruneLoginFailures(db);
}
