// Where an accepted invitation for a client sends the person: to the client, so that it starts an
// authorization request of its own (PKCE, state and nonce are the client's; this server cannot make
// them up), and the sign-in page opens with the address filled in. The client's registered
// `initiate_login_uri` (OpenID Connect third-party-initiated login) is told the issuer and the
// address as `login_hint`; without one, the origin of its first redirect URI (the application's
// home). Only http(s) addresses the administrator registered: nothing from the request.
import type { StoredClient } from '../storage/clients.ts';

const httpUrl = (value: unknown): URL | undefined => {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
};

export function invitationLanding(client: StoredClient, issuer: string, email: string): string | undefined {
  const initiate = httpUrl(client.metadata.initiate_login_uri);
  if (initiate) {
    initiate.searchParams.set('iss', issuer);
    initiate.searchParams.set('login_hint', email);
    return initiate.toString();
  }
  const redirectUris = client.metadata.redirect_uris;
  const first = httpUrl(Array.isArray(redirectUris) ? redirectUris[0] : undefined);
  return first ? `${first.origin}/` : undefined;
}
