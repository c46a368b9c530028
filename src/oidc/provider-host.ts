// Holds the live oidc-provider instance. oidc-provider reads its signing keys once, at
// construction, so a key rotation (announced on the change channel) builds a fresh instance;
// it is stateless apart from the stores, so requests simply move to the new one.
import type Provider from 'oidc-provider';

export interface ProviderHost {
  current(): Provider;
  reload(): Promise<void>;
}

export async function createProviderHost(build: () => Promise<Provider>): Promise<ProviderHost> {
  let provider = await build();
  let reloading: Promise<void> | undefined;
  return {
    current: () => provider,
    reload() {
      reloading ??= build()
        .then((fresh) => {
          provider = fresh;
        })
        .finally(() => {
          reloading = undefined;
        });
      return reloading;
    },
  };
}
