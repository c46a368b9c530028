// Who may call the admin API: a bearer JWT access token issued by Portcullis itself for the admin
// audience, still active, carrying the route's scopes. A user token (sub ≠ client_id) must also
// belong to an administrator who signed in with a second factor. Refusals are RFC 6750 answers
// (RFC 9470 for the missing second factor).
import type { Context } from 'koa';
import { ACR_MFA } from '../../accounts/mfa-requirement.ts';
import { AppError } from '../../http/app-error.ts';
import type { AccessTokenVerifier, VerificationFailure } from '../../oidc/access-token-verifier.ts';
import type { AuditActor } from '../../security/audit/audit-event.ts';
import { findAccountById } from '../../storage/accounts.ts';
import type { Queryable } from '../../storage/database.ts';
import { ADMIN_AUDIENCE, type AdminScope } from './admin-scopes.ts';

export const ADMIN_REALM = 'portcullis-admin';

/** A refusal with its `WWW-Authenticate` challenge (RFC 6750 §3). */
export class AdminAuthError extends AppError {
  readonly challenge: string;

  constructor(code: string, message: string, status: 401 | 403, challenge: Record<string, string> = {}) {
    super(code, message, status);
    this.name = 'AdminAuthError';
    const attributes = Object.entries({ realm: ADMIN_REALM, ...challenge }).map(([name, value]) => `${name}="${value.replace(/["\\]/g, '')}"`);
    this.challenge = `Bearer ${attributes.join(', ')}`;
  }
}

const invalidToken = (description: string) => new AdminAuthError('invalid_token', description, 401, { error: 'invalid_token', error_description: description });

const FAILURES: Record<VerificationFailure, string> = {
  malformed: 'the access token is malformed, not signed by this server or not an RFC 9068 access token',
  expired: 'the access token has expired',
  wrong_audience: `the access token is not for the admin API (its audience must be ${ADMIN_AUDIENCE})`,
};

export interface AdminPrincipal {
  /** Recorded with every change the admin makes. */
  actor: AuditActor;
  scopes: ReadonlySet<string>;
}

export interface AdminAuthDeps {
  db: Queryable;
  /** The verifier built with the current signing keys (it changes on rotation). */
  accessTokens: () => AccessTokenVerifier;
}

/** Returns a function that authenticates a request and checks it holds every scope in `required`. */
export function adminAuthenticator(deps: AdminAuthDeps) {
  return async function authenticate(ctx: Context, required: readonly AdminScope[]): Promise<AdminPrincipal> {
    const header = ctx.get('authorization');
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) {
      // RFC 6750 §3.1: a request without credentials gets the bare challenge, no error code
      if (!header) throw new AdminAuthError('unauthorized', 'a bearer access token for the admin API is required', 401);
      throw invalidToken('the Authorization header must be "Bearer <access token>"');
    }
    const verifier = deps.accessTokens();
    const verification = await verifier.verify(match[1]!, { audience: ADMIN_AUDIENCE });
    if (!verification.ok) throw invalidToken(FAILURES[verification.reason]);
    const { claims } = verification;
    // Read the client from the database, not the cache: a deleted admin client is refused in every
    // process at once, not when the notification arrives.
    if (!(await verifier.isActive(claims, { authoritative: true }))) {
      throw invalidToken('the access token was revoked, or its client, user or grant no longer exists');
    }

    const scopes = new Set((claims.scope ?? '').split(' ').filter(Boolean));
    const isUser = claims.sub !== claims.client_id;
    if (isUser) {
      const account = await findAccountById(deps.db, claims.sub!);
      if (!account?.isAdmin) {
        throw new AdminAuthError('insufficient_scope', 'the user is not an administrator', 403, { error: 'insufficient_scope', error_description: 'the user is not an administrator' });
      }
      if (claims.acr !== ACR_MFA) {
        const description = 'administrators must sign in with a second factor';
        throw new AdminAuthError('insufficient_user_authentication', description, 401, { error: 'insufficient_user_authentication', error_description: description, acr_values: ACR_MFA });
      }
    }
    const missing = required.filter((scope) => !scopes.has(scope));
    if (missing.length > 0) {
      const description = `the access token lacks the scope(s) ${missing.join(' ')}`;
      throw new AdminAuthError('insufficient_scope', description, 403, { error: 'insufficient_scope', error_description: description, scope: required.join(' ') });
    }
    return { actor: { type: 'admin', id: isUser ? `user:${claims.sub}` : `client:${claims.client_id}` }, scopes };
  };
}

export type AdminAuthenticate = ReturnType<typeof adminAuthenticator>;
