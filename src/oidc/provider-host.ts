// Holds the live oidc-provider instance. oidc-provider reads its signing keys once, at
// construction, so a key rotation (announced on the change channel) builds a fresh instance;
// it is stateless apart from the stores, so requests simply move to the new one. The access-token
// verifier is built with the same keys and swapped with it, so nothing verifies with stale keys.
import type Provider from 'oidc-provider';
import type { AccessTokenVerifier } from './access-token-verifier.ts';

export interface ProviderHost {
  current: () => Provider;
  /** Verifies Portcullis' JWT access tokens with the current provider's keys. */
  accessTokens: () => AccessTokenVerifier;
  reload: () => Promise<void>;
}

export interface HostedProvider {
  provider: Provider;
  accessTokens: AccessTokenVerifier;
}

export async function createProviderHost(build: () => Promise<HostedProvider>): Promise<ProviderHost> {
  let hosted = await build();
  let reloading: Promise<void> | undefined;
  return {
    current: () => hosted.provider,
    accessTokens: () => hosted.accessTokens,
    reload() {
      reloading ??= build()
        .then((fresh) => {
          hosted = fresh;
        })
        .finally(() => {
          reloading = undefined;
        });
      return reloading;
    },
  };
}
