// Who holds administrator rights today: a client allowed on the admin API (its audience among the
// client's resources) or an account marked as an administrator. Bootstrap asks, to make only the first.
import type { Queryable } from './database.ts';

/** The kind of one existing administrator, or undefined when there is none. */
export async function findAnyAdministrator(db: Queryable, adminAudience: string): Promise<'client' | 'user' | undefined> {
  const { rows } = await db.query<{ kind: 'client' | 'user' }>(
    `SELECT 'client' AS kind FROM client_resources WHERE resource = $1
     UNION ALL SELECT 'user' AS kind FROM accounts WHERE is_admin
     LIMIT 1`,
    [adminAudience],
  );
  return rows[0]?.kind;
}
