// Removes records past their expiry: oidc-provider models, revoked-JWT markers, long-forgotten
// failed-login counters, emails sent or given up a week ago, and the ids of once-only JWTs (DPoP proofs) that can no longer be replayed.
import type { Database } from './database.ts';
import { pruneFinishedEmails } from './email-outbox.ts';
import { pruneLoginFailures } from './login-failures.ts';
import { pruneSeenJwtIds } from './jwt-replay.ts';
import { pruneExpiredOidcModels } from './oidc-models.ts';
import { pruneRevokedAccessTokens } from './revoked-access-tokens.ts';

export async function pruneExpired(db: Database): Promise<void> {
  await pruneExpiredOidcModels(db);
  await pruneRevokedAccessTokens(db);
  await pruneLoginFailures(db);
  await pruneSeenJwtIds(db);
  await pruneFinishedEmails(db);
}
