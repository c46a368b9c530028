// Who may call the admin API: a JWT access token issued by Portcullis itself for the admin
// audience, still active, carrying the route's scopes; a DPoP-bound one (RFC 9449) only under the
// DPoP scheme with a valid proof of its key. A user token (sub ≠ client_id) must also belong to an
// administrator who signed in with a second factor. Refusals are RFC 6750 answers (RFC 9449 §7.1
// under the DPoP scheme, RFC 9470 for the missing second factor).
import type { Context } from 'koa';
import { ACR_MFA } from '../../accounts/second-factor-requirement.ts';
import { AppError } from '../../http/app-error.ts';
import { dpopThumbprint, type AccessTokenVerifier, type VerificationFailure } from '../../oidc/access-token-verifier.ts';
import { DPOP_ALGORITHMS } from '../../oidc/dpop-proof.ts';
import type { AuditActor } from '../../security/audit/audit-event.ts';
import { findAccountById } from '../../storage/accounts.ts';
import type { Queryable } from '../../storage/database.ts';
import { ADMIN_AUDIENCE, type AdminScope } from '../operation/admin-scopes.ts';

export const ADMIN_REALM = 'portcullis-admin';

export type AuthScheme = 'Bearer' | 'DPoP';

/** A refusal with its `WWW-Authenticate` challenge (RFC 6750 §3; RFC 9449 §7.1 for the DPoP scheme). */
export class AdminAuthError extends AppError {
  readonly challenge: string;

  constructor(code: string, message: string, status: 401 | 403, challenge: Record<string, string> = {}, scheme: AuthScheme = 'Bearer') {
    super(code, message, status);
    this.name = 'AdminAuthError';
    const dpop: Record<string, string> = scheme === 'DPoP' ? { algs: DPOP_ALGORITHMS.join(' ') } : {};
    const attributes = Object.entries({ realm: ADMIN_REALM, ...challenge, ...dpop }).map(
      ([name, value]) => `${name}="${value.replace(/["\\]/g, '')}"`,
    );
    this.challenge = `${scheme} ${attributes.join(', ')}`;
  }
}

const invalidToken = (description: string, scheme: AuthScheme = 'Bearer') =>
  new AdminAuthError('invalid_token', description, 401, { error: 'invalid_token', error_description: description }, scheme);

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
  /** ISSUER: a DPoP proof names the request's public URL, built from it (never from the Host header). */
  issuer: string;
  /** The verifier built with the current signing keys (it changes on rotation). */
  accessTokens: () => AccessTokenVerifier;
}

/** Returns a function that authenticates a request and checks it holds every scope in `required`. */
export function adminAuthenticator(deps: AdminAuthDeps) {
  return async function authenticate(ctx: Context, required: readonly AdminScope[]): Promise<AdminPrincipal> {
    const header = ctx.get('authorization');
    const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) {
      // RFC 6750 §3.1: a request without credentials gets the bare challenge, no error code
      if (!header) throw new AdminAuthError('unauthorized', 'a bearer access token for the admin API is required', 401);
      throw invalidToken('the Authorization header must be "Bearer <access token>" (or "DPoP <access token>" with a DPoP proof)');
    }
    const presentedScheme: AuthScheme = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = match[2]!;
    const verifier = deps.accessTokens();
    const verification = await verifier.verify(token, { audience: ADMIN_AUDIENCE });
    if (!verification.ok) throw invalidToken(FAILURES[verification.reason], presentedScheme);
    const { claims } = verification;
    // Challenges name the scheme the token needs: DPoP for a bound token, whatever it was sent as.
    const scheme: AuthScheme = dpopThumbprint(claims) || presentedScheme === 'DPoP' ? 'DPoP' : 'Bearer';
    // Read the client from the database, not the cache: a deleted admin client is refused in every
    // process at once, not when the notification arrives.
    if (!(await verifier.isActive(claims, { authoritative: true }))) {
      throw invalidToken('the access token was revoked, or its client, user or grant no longer exists', scheme);
    }
    const binding = await verifier.checkSenderConstraint(claims, {
      scheme: presentedScheme,
      token,
      proof: ctx.get('dpop') || undefined,
      method: ctx.method,
      url: `${deps.issuer}${ctx.path}`,
    });
    if (!binding.ok) throw invalidToken(binding.description, scheme);

    const scopes = new Set((claims.scope ?? '').split(' ').filter(Boolean));
    const isUser = claims.sub !== claims.client_id;
    if (isUser) {
      const account = await findAccountById(deps.db, claims.sub!);
      if (!account?.isAdmin) {
        throw new AdminAuthError(
          'insufficient_scope',
          'the user is not an administrator',
          403,
          { error: 'insufficient_scope', error_description: 'the user is not an administrator' },
          scheme,
        );
      }
      if (claims.acr !== ACR_MFA) {
        const description = 'administrators must sign in with a second factor';
        throw new AdminAuthError(
          'insufficient_user_authentication',
          description,
          401,
          { error: 'insufficient_user_authentication', error_description: description, acr_values: ACR_MFA },
          scheme,
        );
      }
    }
    const missing = required.filter((scope) => !scopes.has(scope));
    if (missing.length > 0) {
      const description = `the access token lacks the scope(s) ${missing.join(' ')}`;
      throw new AdminAuthError(
        'insufficient_scope',
        description,
        403,
        { error: 'insufficient_scope', error_description: description, scope: required.join(' ') },
        scheme,
      );
    }
    return { actor: { type: 'admin', id: isUser ? `user:${claims.sub}` : `client:${claims.client_id}` }, scopes };
  };
}

export type AdminAuthenticate = ReturnType<typeof adminAuthenticator>;
