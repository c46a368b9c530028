// What an admin sees of a user's sessions and grants, declared once: the answer schemas (their
// TypeScript types and the OpenAPI components `UserSession`, `UserGrant` and their lists come from
// them), the views built from the stored records, and how the CLI prints them.
//
// A session is named by oidc-provider's `uid`, never by its row id: the row id is the value of the
// session cookie (signed, but still half of a working cookie), whereas the uid is the provider's own
// non-secret handle (tokens already carry it as `sessionUid`) that no endpoint accepts as a
// credential. Reading the listing therefore gives nobody a way into the session.
import { z } from 'zod';
import type { StoredGrant, StoredSession } from '../../storage/user-sessions.ts';
import { answer, dateTime, pageOf } from '../operation/answer-schemas.ts';
import { date } from '../operation/cli-binding.ts';
import { table, type Output } from '../operation/cli-output.ts';

export const sessionAnswer = answer(
  'UserSession',
  z.object({
    id: z.string().describe("the session's handle (for DELETE .../sessions/{sessionId}); not its cookie, it opens nothing"),
    signedInAt: dateTime.nullable(),
    expiresAt: dateTime.nullable(),
    acr: z.string().nullable(),
    amr: z.array(z.string()),
    clients: z.array(
      z.object({
        clientId: z.string(),
        /** null when the client no longer exists. */
        name: z.string().nullable(),
        grantId: z.string().nullable().describe('the grant made through this session; null once it has ended'),
      }),
    ),
  }),
);

export type SessionView = z.output<typeof sessionAnswer>;

export const sessionPage = pageOf('UserSessionList', sessionAnswer);

export const grantAnswer = answer(
  'UserGrant',
  z.object({
    id: z.string(),
    client: z.object({ id: z.string(), name: z.string().nullable() }),
    scopes: z.array(z.string()).describe('OpenID Connect scopes granted'),
    resources: z.array(z.object({ resource: z.string(), scopes: z.array(z.string()) })).describe('API scopes granted, per resource server'),
    createdAt: dateTime.nullable(),
    expiresAt: dateTime.nullable(),
  }),
);

export type GrantView = z.output<typeof grantAnswer>;

export const grantPage = pageOf('UserGrantList', grantAnswer);

const epochIso = (seconds: unknown): string | null =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null;
const words = (scope: string | undefined): string[] => (scope ? scope.split(' ').filter(Boolean) : []);
/** `granted` without `rejected` (oidc-provider's Grant subtracts what the user declined the same way). */
const minus = (granted: string | undefined, rejected: string | undefined, keep: (scope: string) => boolean = () => false) => {
  const declined = new Set(words(rejected));
  return words(granted).filter((scope) => keep(scope) || !declined.has(scope));
};

export function toGrantView(grant: StoredGrant): GrantView {
  const { payload } = grant;
  return {
    id: grant.id,
    client: { id: payload.clientId ?? '', name: grant.clientName },
    // as in Grant#getOIDCScope, `openid` itself cannot be declined
    scopes: minus(payload.openid?.scope, payload.rejected?.openid?.scope, (scope) => scope === 'openid'),
    resources: Object.entries(payload.resources ?? {})
      .map(([resource, scope]) => ({ resource, scopes: minus(scope, payload.rejected?.resources?.[resource]) }))
      .filter((entry) => entry.scopes.length > 0)
      .sort((a, b) => a.resource.localeCompare(b.resource)),
    createdAt: epochIso(payload.iat),
    expiresAt: grant.expiresAt,
  };
}

/** `names`: the clients' names by id; `liveGrants`: the grants (of the user) not ended. */
export function toSessionView(session: StoredSession, names: ReadonlyMap<string, string>, liveGrants: ReadonlySet<string>): SessionView {
  const { payload } = session;
  return {
    id: session.uid,
    signedInAt: epochIso(payload.loginTs),
    expiresAt: session.expiresAt,
    acr: payload.acr ?? null,
    amr: Array.isArray(payload.amr) ? payload.amr : [],
    clients: Object.entries(payload.authorizations ?? {})
      .map(([clientId, authorization]) => ({
        clientId,
        name: names.get(clientId) ?? null,
        grantId: authorization.grantId && liveGrants.has(authorization.grantId) ? authorization.grantId : null,
      }))
      .sort((a, b) => a.clientId.localeCompare(b.clientId)),
  };
}

const joined = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : '-');

/** The CLI's table of sessions. */
export function printSessions(sessions: readonly SessionView[], output: Output): void {
  if (sessions.length === 0) {
    output.out('No sessions.');
    return;
  }
  const rows = sessions.map((session) => [
    session.id,
    date(session.signedInAt),
    date(session.expiresAt),
    [session.acr ?? '-', session.amr.length > 0 ? `(${session.amr.join(' ')})` : ''].join(' ').trim(),
    joined(session.clients.map((client) => client.name ?? client.clientId)),
  ]);
  for (const line of table(['id', 'signed in', 'expires', 'acr (amr)', 'clients'], rows)) output.out(line);
}

/** The CLI's table of grants. */
export function printGrants(grants: readonly GrantView[], output: Output): void {
  if (grants.length === 0) {
    output.out('No grants.');
    return;
  }
  const rows = grants.map((grant) => [
    grant.id,
    grant.client.name ?? grant.client.id,
    joined([...grant.scopes, ...grant.resources.map((entry) => `${entry.resource}: ${entry.scopes.join(' ')}`)]),
    date(grant.createdAt),
    date(grant.expiresAt),
  ]);
  for (const line of table(['id', 'client', 'scopes', 'created', 'expires'], rows)) output.out(line);
}
