// A stored client as oidc-provider sees it. Its `client_secret` is the keyed hash of the real
// secret: create-provider.ts compares by hashing what the client presents.
import type { StoredClient } from '../storage/clients.ts';

const converted = new WeakMap<StoredClient, Record<string, unknown>>();

/** The same object for the same cached client: no allocation on the token path. */
export function toProviderClientMetadata(client: StoredClient | undefined): Record<string, unknown> | undefined {
  if (!client) return undefined;
  let metadata = converted.get(client);
  if (!metadata) converted.set(client, (metadata = convert(client)));
  return metadata;
}

function convert(client: StoredClient): Record<string, unknown> {
  return {
    ...client.metadata,
    client_id: client.clientId,
    ...(client.secretHash ? { client_secret: client.secretHash } : {}),
    portcullis_first_party: client.firstParty,
  };
}
