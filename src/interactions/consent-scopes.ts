// What the consent page lists: OpenID scopes in plain words, API scopes with their descriptions.
import type { RegistryCache } from '../oidc/registry-cache.ts';

const OIDC_DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Keep access while you are away',
};

export interface ConsentScope {
  description: string;
  resource?: string;
}

interface PromptDetails {
  prompt: { details: Record<string, unknown> };
}

export async function describeConsent(details: PromptDetails, cache: RegistryCache): Promise<ConsentScope[]> {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  const scopes: ConsentScope[] = (missing.missingOIDCScope ?? []).map((name) => ({ description: OIDC_DESCRIPTIONS[name] ?? name }));
  for (const [resource, names] of Object.entries(missing.missingResourceScopes ?? {})) {
    const server = await cache.resourceServer(resource);
    for (const name of names) {
      const described = server?.scopes.find((scope) => scope.name === name)?.description;
      scopes.push({ description: described ? `${described} (${name})` : name, resource: server?.name ?? resource });
    }
  }
  return scopes;
}
