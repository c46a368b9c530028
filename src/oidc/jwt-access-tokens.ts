// oidc-provider refuses to introspect or revoke its own JWT access tokens (it does not store them).
// Portcullis answers both: after the library authenticated the client and refused the JWT, this
// middleware verifies the token and answers from our own state — a revoked token (jti), a revoked
// grant, a disabled or deleted user, or a deleted client make it inactive.
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Queryable } from '../storage/database.ts';
import { findAccountById } from '../storage/accounts.ts';
import type { RegistryCache } from './registry-cache.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';

export interface JwtAccessTokenDeps {
  db: Queryable;
  cache: RegistryCache;
  issuer: string;
  jwks: { keys: JWK[] };
  revokeGrant: (grantId: string) => Promise<void>;
  audit: AuditTrail;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

interface AccessTokenClaims extends JWTPayload {
  client_id?: string;
  scope?: string;
  gid?: string;
}

export function jwtAccessTokenEndpoints(deps: JwtAccessTokenDeps): Middleware<Koa.DefaultState, KoaContextWithOIDC> {
  const publicKeys = deps.jwks.keys.map((key) => Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.includes(name) && name !== 'key_ops')));
  const keySet = createLocalJWKSet({ keys: publicKeys as JWK[] });

  async function verify(token: string): Promise<AccessTokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, keySet, { issuer: deps.issuer, typ: 'at+jwt' });
      return payload;
    } catch {
      return undefined;
    }
  }

  /** Whether a verified token still stands: not revoked, its client, user and grant still there. */
  async function isActive(ctx: KoaContextWithOIDC, claims: AccessTokenClaims): Promise<boolean> {
    if (!claims.jti || !claims.client_id) return false;
    const revoked = await deps.db.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1', [claims.jti]);
    if (revoked.rowCount > 0) return false;
    if (!(await deps.cache.client(claims.client_id))) return false;
    if (claims.sub && claims.sub !== claims.client_id && !(await isAccountActive(claims.sub))) return false;
    if (claims.gid && !(await ctx.oidc.provider.Grant.find(claims.gid))) return false;
    return true;
  }

  async function isAccountActive(sub: string): Promise<boolean> {
    const account = await findAccountById(deps.db, sub);
    return account !== undefined && !account.disabled;
  }

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
        ctx.body = claims && allowed && (await isActive(ctx, claims))
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
      if (!(await isAccountActive(body.sub))) ctx.body = { active: false };
    }
  };
}
