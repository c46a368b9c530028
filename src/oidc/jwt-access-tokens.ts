// oidc-provider refuses to introspect or revoke its own JWT access tokens (it does not store them).
// Portcullis answers both: after the library authenticated the client and refused the JWT, this
// middleware verifies the token and answers from our own state (access-token-verifier.ts) — a revoked
// token (jti), a revoked grant, a disabled or deleted user, or a deleted client make it inactive.
import type Koa from 'koa';
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Queryable } from '../storage/database.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from './access-token-verifier.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';

export interface JwtAccessTokenDeps {
  db: Queryable;
  /** Built from the same provider's keys (access-token-verifier.ts). */
  accessTokens: AccessTokenVerifier;
  revokeGrant: (grantId: string) => Promise<void>;
  audit: AuditTrail;
}

export function jwtAccessTokenEndpoints(deps: JwtAccessTokenDeps): Middleware<Koa.DefaultState, KoaContextWithOIDC> {
  const { accessTokens } = deps;
  // Introspection accepts a token of any audience: the resource server asking is the one to judge.
  const verify = async (token: string): Promise<AccessTokenClaims | undefined> => {
    const verification = await accessTokens.verify(token);
    return verification.ok ? verification.claims : undefined;
  };

  return async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'introspection' && route !== 'revocation') return;
    const client = ctx.oidc.client;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!client || !body) return;

    if (body.error === 'unsupported_token_type') {
      const token = ctx.oidc.params?.token;
      const claims = typeof token === 'string' ? await verify(token) : undefined;
      if (route === 'introspection') {
        const allowed = client.clientAuthMethod !== 'none' || claims?.client_id === client.clientId;
        ctx.status = 200;
        ctx.body = claims && allowed && (await accessTokens.isActive(claims))
          ? { active: true, token_type: 'Bearer', iss: claims.iss, sub: claims.sub, aud: claims.aud, client_id: claims.client_id, scope: claims.scope, exp: claims.exp, iat: claims.iat, jti: claims.jti }
          : { active: false };
        return;
      }
      // RFC 7009: answer 200 whether or not there was anything to revoke.
      if (claims?.jti && claims.client_id === client.clientId) {
        await deps.db.query(
          'INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT (jti) DO NOTHING',
          [claims.jti, claims.exp ?? Math.floor(Date.now() / 1000) + 86_400],
        );
        if (claims.gid) await deps.revokeGrant(claims.gid);
        deps.audit.record({
          ...requestFacts(ctx), type: 'token.revoked', outcome: 'success', actor: { type: 'client', id: client.clientId }, clientId: client.clientId,
          target: { type: 'token', id: claims.jti }, details: { tokenType: 'access_token', ...(claims.gid ? { grantRevoked: true } : {}) },
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
