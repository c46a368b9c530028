// Consent: a first-party client (marked by an admin) gets the scopes it asks for — within what
// it is allowed — without a consent page. Every other client goes through consent as usual.
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { OIDC_SCOPES } from './oidc-scopes.ts';
import { requestedApiScopes } from './resource-policy.ts';

type PermittedScopes = (clientId: string, resource: string) => Promise<string[] | undefined>;

export async function ensureFirstPartyGrant(ctx: KoaContextWithOIDC, permittedScopes: PermittedScopes): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client!;
  const session = oidc.session!;
  const existingId = oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = existingId ? await oidc.provider.Grant.find(existingId) : undefined;
  if (client.metadata().portcullis_first_party !== true || !session.accountId) return existing;

  const grant = existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const scope = typeof oidc.params?.scope === 'string' ? oidc.params.scope : '';
  const oidcScopes = scope.split(' ').filter((name) => OIDC_SCOPES.has(name));
  if (oidcScopes.length > 0) grant.addOIDCScope(oidcScopes.join(' '));
  const resource = oidc.params?.resource;
  for (const indicator of typeof resource === 'string' ? [resource] : Array.isArray(resource) ? (resource as string[]) : []) {
    const permitted = (await permittedScopes(client.clientId, indicator)) ?? [];
    const apiScopes = requestedApiScopes(scope).filter((name) => permitted.includes(name));
    if (apiScopes.length > 0) grant.addResourceScope(indicator, apiScopes.join(' '));
  }
  await grant.save();
  return grant;
}
