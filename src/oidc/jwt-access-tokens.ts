// oidc-provider refuses to introspect or revoke its own JWT access tokens (it does not store them).
// Portcullis answers both: after the library authenticated the client and refused the JWT, this
// middleware verifies the token and answers from our own state (access-token-verifier.ts) — a revoked
// token (jti), a revoked grant, a disabled or deleted user, or a deleted client make it inactive.
// Only a caller the introspection policy allows learns anything (introspection-policy.ts); a
// DPoP-bound token is reported as such (RFC 9449 §6.2: token_type DPoP, cnf.jkt), so the resource
// server asking knows to demand the proof.
import type Koa from 'koa';
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Queryable } from '../storage/database.ts';
import { revokeAccessToken } from '../storage/revoked-access-tokens.ts';
import { dpopThumbprint, type AccessTokenClaims, type AccessTokenVerifier } from './access-token-verifier.ts';
import type { IntrospectionPolicy } from './introspection-policy.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';

export interface JwtAccessTokenDeps {
  db: Queryable;
  /** Built from the same provider's keys (access-token-verifier.ts). */
  accessTokens: AccessTokenVerifier;
  revokeGrant: (grantId: string) => Promise<void>;
  audit: AuditTrail;
  /** Whether the authenticated client may introspect a token. */
  introspection: IntrospectionPolicy;
}

/** RFC 7662 answer for an active JWT access token. */
function introspectionAnswer(claims: AccessTokenClaims): Record<string, unknown> {
  const jkt = dpopThumbprint(claims);
  return {
    active: true,
    token_type: jkt ? 'DPoP' : 'Bearer',
    iss: claims.iss,
    sub: claims.sub,
    aud: claims.aud,
    client_id: claims.client_id,
    scope: claims.scope,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    ...(jkt ? { cnf: { jkt } } : {}),
  };
}

export function jwtAccessTokenEndpoints(deps: JwtAccessTokenDeps): Middleware<Koa.DefaultState, KoaContextWithOIDC> {
  const { accessTokens } = deps;
  // Any audience verifies here; whether the caller may learn about it is the introspection policy's call.
  const verify = async (token: string): Promise<AccessTokenClaims | undefined> => {
    const verification = await accessTokens.verify(token);
    return verification.ok ? verification.claims : undefined;
  };

  return async (ctx, next) => {
    await next();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a request oidc-provider did not route has no ctx.oidc
    const route = ctx.oidc?.route;
    if (route !== 'introspection' && route !== 'revocation') return;
    const client = ctx.oidc.client;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!client || !body) return;

    if (body.error === 'unsupported_token_type') {
      const token = ctx.oidc.params?.token;
      const claims = typeof token === 'string' ? await verify(token) : undefined;
      if (route === 'introspection') {
        const allowed =
          claims !== undefined &&
          (await deps.introspection(client.clientId, { clientId: claims.client_id, kind: 'access_token', audience: claims.aud }));
        ctx.status = 200;
        ctx.body = claims && allowed && (await accessTokens.isActive(claims)) ? introspectionAnswer(claims) : { active: false };
        return;
      }
      // RFC 7009: answer 200 whether or not there was anything to revoke.
      if (claims?.jti && claims.client_id === client.clientId) {
        await revokeAccessToken(deps.db, claims.jti, claims.exp ?? Math.floor(Date.now() / 1000) + 86_400);
        if (claims.gid) await deps.revokeGrant(claims.gid);
        deps.audit.record({
          ...requestFacts(ctx),
          type: 'token.revoked',
          outcome: 'success',
          actor: { type: 'client', id: client.clientId },
          clientId: client.clientId,
          target: { type: 'token', id: claims.jti },
          details: { tokenType: 'access_token', ...(claims.gid ? { grantRevoked: true } : {}) },
        });
      }
      ctx.status = 200;
      ctx.body = '';
      return;
    }

    // Opaque and refresh tokens: the library answered; a disabled user still makes them inactive.
    if (route === 'introspection' && body.active === true && typeof body.sub === 'string' && body.sub !== body.client_id) {
      if (!(await accessTokens.isAccountActive(body.sub))) ctx.body = { active: false };
    }
  };
}
