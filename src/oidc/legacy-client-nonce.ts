// PKCE for legacy confidential clients (RFC 9700 §2.1.1). PKCE is required of every client, except
// a confidential code-flow client an admin registered with `pkce: 'optional'` for a library that
// cannot send it (passport-openidconnect). Such a client's codes are then protected against
// injection by the nonce, which comes back in the ID token for the client to compare, and by its
// own authentication at the token endpoint. So every authorization request it sends must carry a
// nonce and the openid scope (no ID token, no nonce coming back); one that also sends a
// code_challenge still has its verifier checked by the library.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { EXTRA_CLIENT_PROPERTIES } from './client-metadata.ts';

type ClientLike = { clientAuthMethod?: string; applicationType?: string } | undefined;

/**
 * Whether `client` may leave PKCE out: the admin's flag, and never a public client whatever its
 * stored metadata says (the admin rules refuse that combination; this does not rely on them). A
 * native app is public whatever its auth method: its secret ships inside it (RFC 8252 §8.5).
 */
export function pkceOptional(client: ClientLike): boolean {
  if (!client || client.clientAuthMethod === 'none' || client.applicationType === 'native') return false;
  return (client as Record<string, unknown>)[EXTRA_CLIENT_PROPERTIES.pkceOptional] === true;
}

/** oidc-provider's `pkce.required`: PKCE for every request but a pkce-optional client's. */
export const pkceRequired = (_ctx: KoaContextWithOIDC, client: ClientLike): boolean => !pkceOptional(client);

/**
 * An `extraParams` validator for `nonce` (oidc-provider runs it on /auth, also for a pushed request
 * it loads, and on the PAR endpoint, after the client and redirect_uri are checked: the error goes
 * back to the client's redirect_uri, or is PAR's JSON answer).
 */
export async function checkLegacyClientNonce(ctx: KoaContextWithOIDC, nonce: unknown, client: ClientLike): Promise<void> {
  if (!pkceOptional(client)) return;
  // whitespace only is no nonce: the same for every sign-in (a blank variable), it binds the code to no session
  if (typeof nonce !== 'string' || nonce.trim().length === 0) {
    throw new errors.InvalidRequest(
      'nonce is required of this client (not empty, not whitespace only): it is registered without PKCE (pkce optional), and the nonce is what protects its authorization codes',
    );
  }
  const scope = ctx.oidc.params?.scope;
  if (typeof scope !== 'string' || !scope.split(' ').includes('openid')) {
    throw new errors.InvalidRequest(
      'the openid scope is required of this client: it is registered without PKCE (pkce optional), and its nonce comes back only in an ID token',
    );
  }
}
