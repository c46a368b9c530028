// What the account page shows of the user's sign-ins and applications: their sessions (when, how, the
// applications signed in to through each, and which one is this browser) and the applications holding
// a grant (name, what they may do, since when). Read with the admin area's own queries and views
// (src/admin/sessions/), for the user's own account only.
import type { Context } from 'koa';
import { toGrantView, toSessionView } from '../admin/sessions/session-view.ts';
import type { Database } from '../storage/database.ts';
import { clientNames, grantIdsOf, listUserGrants, listUserSessions, uidOfUserSession } from '../storage/user-sessions.ts';

/** More than anyone has; the page says when some were left out. */
const SHOWN = 50;

const AMR_WORDS: Record<string, string> = {
  pwd: 'password',
  otp: 'authenticator app or recovery code',
  hwk: 'passkey',
  swk: 'passkey',
  user: 'verified on the device',
};

/** `2025-01-31 14:05 UTC` from an ISO timestamp. */
const readable = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : undefined);

export interface SessionLine {
  id: string;
  signedInAt: string | null;
  signedIn: string | undefined;
  methods: string;
  applications: string[];
  thisBrowser: boolean;
}

export interface ApplicationLine {
  id: string;
  name: string;
  scopes: string[];
  sinceAt: string | null;
  since: string | undefined;
}

export interface AccountOverview {
  sessions: SessionLine[];
  applications: ApplicationLine[];
  more: boolean;
}

/**
 * The browser's own sign-in session, by its cookie (the provider's, signed, named as create-provider.ts
 * names it: with the __Host- prefix when the issuer is https): its uid, when it is the user's.
 */
export async function thisBrowserSession(db: Database, ctx: Context, issuer: string, accountId: string): Promise<string | undefined> {
  const cookie = ctx.cookies.get(issuer.startsWith('https:') ? '__Host-portcullis.session' : 'portcullis.session', { signed: true });
  return cookie && cookie.length <= 256 ? uidOfUserSession(db, accountId, cookie) : undefined;
}

export async function accountOverview(db: Database, accountId: string, thisBrowser: string | undefined): Promise<AccountOverview> {
  const [sessions, grants] = await Promise.all([
    listUserSessions(db, accountId, { after: undefined, limit: SHOWN + 1 }),
    listUserGrants(db, accountId, { after: undefined, limit: SHOWN + 1 }),
  ]);
  const shown = sessions.slice(0, SHOWN);
  const clients = [...new Set(shown.flatMap((session) => Object.keys(session.payload.authorizations ?? {})))];
  const grantIds = shown.flatMap((session) =>
    Object.values(session.payload.authorizations ?? {}).flatMap((authorization) => (authorization.grantId ? [authorization.grantId] : [])),
  );
  const [names, live] = await Promise.all([clientNames(db, clients), grantIdsOf(db, accountId, grantIds, { live: true })]);
  return {
    sessions: shown.map((session) => {
      const view = toSessionView(session, names, live);
      return {
        id: view.id,
        signedInAt: view.signedInAt,
        signedIn: readable(view.signedInAt),
        methods: [...new Set(view.amr.map((method) => AMR_WORDS[method] ?? method))].join(', ') || 'unknown',
        applications: view.clients.map((client) => client.name ?? client.clientId),
        thisBrowser: view.id === thisBrowser,
      };
    }),
    applications: grants.slice(0, SHOWN).map((grant) => {
      const view = toGrantView(grant);
      return {
        id: view.id,
        name: view.client.name ?? view.client.id,
        scopes: [...view.scopes, ...view.resources.map((entry) => `${entry.resource}: ${entry.scopes.join(' ')}`)],
        sinceAt: view.createdAt,
        since: readable(view.createdAt),
      };
    }),
    more: sessions.length > SHOWN || grants.length > SHOWN,
  };
}
