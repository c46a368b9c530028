// A stored client as oidc-provider sees it. Its `client_secret` is the keyed hash of the real
// secret: create-provider.ts compares by hashing what the client presents, against that hash and,
// during a secret rotation, against the previous secret's hash until it expires. The client's own
// token lifetimes ride along as extra metadata, read by the provider's `ttl` functions.
import type { StoredClient } from '../storage/clients.ts';

/** Extra client metadata Portcullis adds (oidc-provider's `extraClientMetadata.properties`). */
export const EXTRA_CLIENT_PROPERTIES = {
  firstParty: 'portcullis_first_party',
  previousSecretHash: 'portcullis_previous_secret_hash',
  /** Epoch milliseconds. */
  previousSecretExpiresAt: 'portcullis_previous_secret_expires_at',
  idTokenTtl: 'portcullis_id_token_ttl',
  refreshTokenTtl: 'portcullis_refresh_token_ttl',
  /**
   * `true` only on a confidential code-flow client registered with `pkce: 'optional'` (the admin's
   * choice, stored in the client's metadata; absent means PKCE is required). See legacy-client-nonce.ts.
   */
  pkceOptional: 'portcullis_pkce_optional',
} as const;

/** A client's PKCE setting as admins give it (`pkce`, `--pkce`); `required` is the default. */
export const PKCE_MODES = ['required', 'optional'] as const;
export type PkceMode = (typeof PKCE_MODES)[number];

/**
 * RFC 9449 §5.2 client metadata: the client must send a DPoP proof to the token endpoint, so every
 * access token it gets is bound to its key (a bearer token is never issued to it). Set by the
 * admin's `requireDpop` (`--require-dpop`), stored in the client's metadata, enforced by oidc-provider.
 */
export const DPOP_BOUND_ACCESS_TOKENS = 'dpop_bound_access_tokens';

/** The lifetime of an ID token when its client sets none. */
export const DEFAULT_ID_TOKEN_TTL = 3600;

const converted = new WeakMap<StoredClient, Record<string, unknown>>();

/** The same object for the same cached client: no allocation on the token path. */
export function toProviderClientMetadata(client: StoredClient | undefined): Record<string, unknown> | undefined {
  if (!client) return undefined;
  let metadata = converted.get(client);
  if (!metadata) converted.set(client, (metadata = convert(client)));
  return metadata;
}

function convert(client: StoredClient): Record<string, unknown> {
  const extra = EXTRA_CLIENT_PROPERTIES;
  return {
    ...client.metadata,
    client_id: client.clientId,
    ...(client.secretHash ? { client_secret: client.secretHash } : {}),
    [extra.firstParty]: client.firstParty,
    ...(client.secretHash && client.previousSecretHash && client.previousSecretExpiresAt
      ? {
          [extra.previousSecretHash]: client.previousSecretHash,
          [extra.previousSecretExpiresAt]: Date.parse(client.previousSecretExpiresAt),
        }
      : {}),
    ...(client.idTokenTtl !== null ? { [extra.idTokenTtl]: client.idTokenTtl } : {}),
    ...(client.refreshTokenTtl !== null ? { [extra.refreshTokenTtl]: client.refreshTokenTtl } : {}),
  };
}
