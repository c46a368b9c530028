// What the passkey sign-in tests share: a server reached as `localhost` (the sign-in page offers no
// passkey sign-in on an IP address, which no browser accepts as a relying party), a user with a
// discoverable passkey held by the software authenticator, and the sign-in page's passkey form
// answered with an assertion made for its challenge (or changed, as an attacker would).
import test, { type ExecutionContext } from 'ava';
import { userHandleFor } from '../../src/accounts/passkeys.ts';
import type { Account } from '../../src/storage/accounts.ts';
import { insertCredential } from '../../src/storage/webauthn-credentials.ts';
import { createTestClient, createUser, type TestClient } from './fixtures.ts';
import { BACKENDS, startTestServer, type BackendSetup, type TestServer } from './server.ts';
import type { SignIn } from './sign-in-flow.ts';
import {
  assertionResponse,
  newSoftwareAuthenticator,
  passkeyChallengeOf,
  relyingPartyOf,
  type SoftwareAuthenticator,
} from './software-authenticator.ts';

/** Like testEachBackend, with the issuer at http://localhost:<port>. */
export function testEachBackendOnLocalhost(
  title: string,
  body: (t: ExecutionContext, server: TestServer, backend: BackendSetup) => Promise<void>,
): void {
  for (const backend of BACKENDS) {
    test.serial(`[${backend.name}] ${title}`, async (t) => {
      const server = await startTestServer(backend, { publicHost: 'localhost' });
      t.teardown(() => server.close());
      await body(t, server, backend);
    });
  }
}

export interface PasskeyHolder {
  user: Account;
  key: SoftwareAuthenticator;
  credentialId: string;
}

/** A user (password PASSWORD) with a passkey in the software authenticator; `synced`: backup eligible. */
export async function userWithPasskey(server: TestServer, options: { synced?: boolean; counter?: number } = {}): Promise<PasskeyHolder> {
  const user = await createUser(server.db);
  const key = newSoftwareAuthenticator(options);
  const credentialId = key.credentialId.toString('base64url');
  await insertCredential(server.db, {
    id: credentialId,
    accountId: user.id,
    name: 'Laptop',
    publicKey: key.coseKey.toString('base64url'),
    signCount: key.counter,
    transports: ['internal'],
    deviceType: options.synced ? 'multiDevice' : 'singleDevice',
    backedUp: options.synced === true,
  });
  return { user, key, credentialId };
}

export const firstPartyClient = (server: TestServer): Promise<TestClient> => createTestClient(server, { firstParty: true });

/** The assertion `holder`'s key makes for the challenge the sign-in page shows, with its own user handle unless changed. */
export function assertionFor(
  flow: SignIn,
  holder: { key: PasskeyHolder['key']; user: Pick<PasskeyHolder['user'], 'id'> },
  change: Parameters<typeof assertionResponse>[3] = {},
): string {
  return JSON.stringify(
    assertionResponse(holder.key, passkeyChallengeOf(flow.page.html), relyingPartyOf(flow.issuer), {
      userHandle: userHandleFor(holder.user.id),
      ...change,
    }),
  );
}

/** Posts the sign-in page's passkey form. */
export const postPasskey = (flow: SignIn, credential: string, headers: Record<string, string> = {}) =>
  flow.submit('/passkey', { credential }, headers);
