// users.sessions | grants | revoke-session | revoke-grant | sign-out-everywhere: what a user is
// signed in to, and ending it without disabling them.
//
// A session is named by oidc-provider's `uid`, never by its row id: the row id is the value of the
// session cookie (signed, but still half of a working cookie), whereas the uid is the provider's own
// non-secret handle (tokens already carry it as `sessionUid`) that no endpoint accepts as a
// credential. Reading the listing therefore gives nobody a way into the session.
//
// What ends with a session follows oidc-provider's own sign-out (end_session, logout=yes): the
// grants of the clients signed in through it end too, with their codes and tokens, except those the
// user gave offline access (`persistsLogout`: their refresh tokens are meant to outlive the browser
// session). Those are reported as kept; revoke-grant or sign-out-everywhere ends them.
//
// Everything is deleted from SQL, where sessions, grants and tokens live. Redis holds only short-lived
// grant sources (authorization codes, at most 60 s); oidc-provider refuses any of them whose Grant is
// gone ("grant not found"), so they are dead at once and expire on their own.
import { z } from 'zod';
import { bumpCredentialEpoch, type Account } from '../../storage/accounts.ts';
import { deleteGrantRecords } from '../../storage/oidc-models.ts';
import {
  clientNames,
  deleteSessionByUid,
  endEverythingOfUser,
  grantIdsOf,
  listUserGrants,
  listUserSessions,
  lockUserGrant,
  lockUserSession,
  type StoredGrant,
  type StoredSession,
} from '../../storage/user-sessions.ts';
import { adminChange, defineLegacyOperation, invalidInput, notFound } from '../operation/define.ts';
import { decodeCursor, pageInput, toPage, type Page } from '../operation/pagination.ts';
import { resolveAccount, userRefInput } from '../users/user-ref.ts';

export interface SessionClient {
  clientId: string;
  /** null when the client no longer exists. */
  name: string | null;
  /** The grant issued to the client through this session; null when it has ended. */
  grantId: string | null;
}

export interface SessionView {
  /** The session's handle (oidc-provider's uid): names it for revoke-session, opens nothing. */
  id: string;
  signedInAt: string | null;
  expiresAt: string | null;
  acr: string | null;
  amr: string[];
  clients: SessionClient[];
}

export interface GrantView {
  id: string;
  client: { id: string; name: string | null };
  /** OpenID Connect scopes granted (openid, profile, email, offline_access). */
  scopes: string[];
  /** API scopes granted, per resource server. */
  resources: { resource: string; scopes: string[] }[];
  createdAt: string | null;
  expiresAt: string | null;
}

export interface SessionRevoked {
  userId: string;
  email: string;
  sessionId: string;
  /** Grants ended with the session (with their codes and tokens). */
  revokedGrantIds: string[];
  /** Grants with offline access, kept as oidc-provider's sign-out keeps them. */
  keptGrantIds: string[];
}

export interface GrantRevoked {
  userId: string;
  email: string;
  grantId: string;
  clientId: string | null;
  /** The grant and the tokens and codes issued under it. */
  endedRecords: number;
}

export interface SignedOutEverywhere {
  userId: string;
  email: string;
  sessionIds: string[];
  grantIds: string[];
  /** Tokens and codes ended besides the sessions and grants. */
  otherRecords: number;
}

/** oidc-provider's ids (nanoid): letters, digits, `_` and `-`. */
const handleField = (what: string) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(/^[\w-]+$/, `is not a ${what} id (the ids users.${what}s lists)`);

const userListingInput = z.strictObject({ user: userRefInput.shape.user, ...pageInput });

const epochIso = (seconds: unknown): string | null =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null;
const words = (scope: string | undefined): string[] => (scope ? scope.split(' ').filter(Boolean) : []);
/** `granted` without `rejected` (oidc-provider's Grant subtracts what the user declined the same way). */
const minus = (granted: string | undefined, rejected: string | undefined, keep: (scope: string) => boolean = () => false) => {
  const declined = new Set(words(rejected));
  return words(granted).filter((scope) => keep(scope) || !declined.has(scope));
};

/** A listing cursor: [seconds, id], the seconds a whole number. */
function listingPosition(cursor: string | undefined): [string, string] | undefined {
  const position = decodeCursor(cursor, 2) as [string, string] | undefined;
  if (position && !/^\d{1,15}$/.test(position[0])) throw invalidInput('cursor', 'is not a cursor this listing returned');
  return position;
}
const seconds = (value: unknown) => String(typeof value === 'number' && Number.isFinite(value) ? Math.floor(value) : 0);

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

function toSessionView(session: StoredSession, names: ReadonlyMap<string, string>, liveGrants: ReadonlySet<string>): SessionView {
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

const grantIdsIn = (sessions: readonly StoredSession[]) =>
  sessions.flatMap((session) =>
    Object.values(session.payload.authorizations ?? {}).flatMap((authorization) => (authorization.grantId ? [authorization.grantId] : [])),
  );

export const listSessions = defineLegacyOperation({
  name: 'users.sessions',
  summary: "list a user's unexpired sessions (sign-ins), most recent first, a page at a time",
  input: userListingInput,
  async run(ctx, input): Promise<Page<SessionView>> {
    const account = await resolveAccount(ctx.db, input.user);
    const rows = await listUserSessions(ctx.db, account.id, { after: listingPosition(input.cursor), limit: input.limit + 1 });
    const shown = rows.slice(0, input.limit);
    const names = await clientNames(ctx.db, [...new Set(shown.flatMap((session) => Object.keys(session.payload.authorizations ?? {})))]);
    const liveGrants = await grantIdsOf(ctx.db, account.id, grantIdsIn(shown), { live: true });
    return toPage(
      rows,
      input.limit,
      (session) => [seconds(session.payload.loginTs), session.uid],
      (session) => toSessionView(session, names, liveGrants),
    );
  },
});

export const listGrants = defineLegacyOperation({
  name: 'users.grants',
  summary: "list a user's unexpired grants (what each client may do for them), newest first, a page at a time",
  input: userListingInput,
  async run(ctx, input): Promise<Page<GrantView>> {
    const account = await resolveAccount(ctx.db, input.user);
    const rows = await listUserGrants(ctx.db, account.id, { after: listingPosition(input.cursor), limit: input.limit + 1 });
    return toPage(rows, input.limit, (grant) => [seconds(grant.payload.iat), grant.id], toGrantView);
  },
});

export const revokeSession = defineLegacyOperation({
  name: 'users.revoke-session',
  summary: "end one of a user's sessions, and the grants made through it that lack offline access",
  input: z.strictObject({ user: userRefInput.shape.user, sessionId: handleField('session') }),
  async run(ctx, input): Promise<SessionRevoked> {
    return adminChange(ctx, async (tx) => {
      const account: Account = await resolveAccount(tx, input.user);
      // Found only among this user's sessions: another user's session id is a 404, as is a wrong one.
      const session = await lockUserSession(tx, account.id, input.sessionId);
      if (!session) throw notFound('sessionId', `${account.email} has no session "${input.sessionId}"`);
      const authorizations = Object.values(session.payload.authorizations ?? {});
      const ending = authorizations
        .filter((authorization) => authorization.grantId && !authorization.persistsLogout)
        .map((authorization) => authorization.grantId!);
      const keeping = authorizations
        .filter((authorization) => authorization.grantId && authorization.persistsLogout)
        .map((authorization) => authorization.grantId!);
      // Only the user's own grants are touched, whatever the session record says.
      const revoked = [...(await grantIdsOf(tx, account.id, ending, { live: false }))].sort();
      for (const grantId of revoked) await deleteGrantRecords(tx, grantId);
      await deleteSessionByUid(tx, session.uid);
      const kept = [...(await grantIdsOf(tx, account.id, keeping, { live: true }))].sort();
      return {
        result: { userId: account.id, email: account.email, sessionId: input.sessionId, revokedGrantIds: revoked, keptGrantIds: kept },
        event: {
          type: 'user.session_revoked',
          target: { type: 'user', id: account.id },
          details: { sessionId: input.sessionId, revokedGrantIds: revoked, keptGrantIds: kept },
        },
      };
    });
  },
});

export const revokeGrant = defineLegacyOperation({
  name: 'users.revoke-grant',
  summary: "revoke one of a user's grants with every code and token issued under it",
  input: z.strictObject({ user: userRefInput.shape.user, grantId: handleField('grant') }),
  async run(ctx, input): Promise<GrantRevoked> {
    return adminChange(ctx, async (tx) => {
      const account: Account = await resolveAccount(tx, input.user);
      const grant = await lockUserGrant(tx, account.id, input.grantId);
      if (!grant) throw notFound('grantId', `${account.email} has no grant "${input.grantId}"`);
      const endedRecords = await deleteGrantRecords(tx, grant.id);
      const clientId = grant.payload.clientId ?? null;
      return {
        result: { userId: account.id, email: account.email, grantId: grant.id, clientId, endedRecords },
        event: {
          type: 'user.grant_revoked',
          target: { type: 'user', id: account.id },
          details: { grantId: grant.id, clientId, endedRecords },
        },
      };
    });
  },
});

export const signOutEverywhere = defineLegacyOperation({
  name: 'users.sign-out-everywhere',
  summary: "end all of a user's sessions and grants (with their codes and tokens), without disabling them",
  input: userRefInput,
  async run(ctx, input): Promise<SignedOutEverywhere> {
    return adminChange(ctx, async (tx) => {
      const account: Account = await resolveAccount(tx, input.user);
      // sign-ins half-way through and account-page proofs of the user end too (credential epoch)
      await bumpCredentialEpoch(tx, account.id);
      const ended = await endEverythingOfUser(tx, account.id);
      const result = {
        userId: account.id,
        email: account.email,
        sessionIds: ended.sessionIds,
        grantIds: ended.grantIds,
        otherRecords: ended.others,
      };
      const details = { sessionIds: result.sessionIds, grantIds: result.grantIds, otherRecords: result.otherRecords };
      return { result, event: { type: 'user.signed_out_everywhere', target: { type: 'user', id: account.id }, details } };
    });
  },
});

export const userSessionOperations = [listSessions, listGrants, revokeSession, revokeGrant, signOutEverywhere];
