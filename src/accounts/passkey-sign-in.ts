// Signing in with a passkey alone (a discoverable credential: the browser names the account, the
// user types nothing). The checks of the assertion are the second factor's (passkeys.ts
// `verifyAuthentication`, the counter advanced atomically by `recordCredentialUse`), with two more
// that a ceremony which did not name the account needs: a user handle, which must be the owner's of
// the credential the response names, and user verification, since the passkey is then the whole
// sign-in. Everything else is the same as a passkey second factor: the credential is looked up by
// the id the response names, the signature, origin, RP ID, challenge and counter are checked.
//
// What this does not touch, on purpose:
// - The password lock (lockout.ts). It exists to stop password guessing, and a passkey assertion
//   cannot be guessed: it is a signature by a key that never leaves the authenticator (or its sync
//   service). So a locked account may still sign in with a passkey — the lock, which anyone who
//   knows the email can set off, must not lock out the owner who holds the key (DESIGN: "lockout
//   that cannot be aimed at the owner") — and a passkey sign-in does not clear the lock either, or
//   each of the owner's sign-ins would hand a guesser a fresh run of attempts.
// - The challenge's single use: the caller takes it out of the sign-in's sealed cookie and spends
//   it in the once-only store before calling `verify` (a synced passkey's counter stays 0, so the
//   challenge is the only thing that stops a replayed assertion).
import { isIP } from 'node:net';
import { findAccountById, type AccountWithCredentials } from '../storage/accounts.ts';
import type { Queryable } from '../storage/database.ts';
import { findCredential, recordCredentialUse, type StoredCredential } from '../storage/webauthn-credentials.ts';
import {
  credentialIdOf,
  discoverableAuthenticationOptions,
  relyingPartyFor,
  verifyAuthentication,
  type PublicKeyCredentialRequestOptionsJSON,
  type RejectionListener,
} from './passkeys.ts';

/** Why a passkey sign-in was refused, for the audit trail (the user sees one message for all but `account_disabled`). */
export type PasskeySignInRefusal =
  /** The response names no credential stored here (never registered, removed, or made up). */
  | 'unknown_credential'
  /** Not a valid assertion by that credential for this challenge: signature, origin, RP ID, user handle, UV, counter. */
  | 'not_verified'
  /** A valid assertion, by a disabled account's passkey (said only after the proof, as for a password). */
  | 'account_disabled';

export type PasskeySignInOutcome =
  | { ok: true; account: AccountWithCredentials; credential: StoredCredential }
  | { ok: false; reason: PasskeySignInRefusal; accountId?: string };

export interface PasskeySignIn {
  /**
   * Options for the login page: any discoverable credential of this relying party, user verification
   * required. Undefined when the issuer's host is an IP address, which no browser accepts as a
   * relying party (passkeys.ts `relyingPartyFor`): the page then offers no passkey sign-in at all.
   */
  options(): PublicKeyCredentialRequestOptionsJSON | undefined;
  /** The account whose passkey answered `challenge` (already spent by the caller), its use recorded. */
  verify(response: unknown, challenge: string, onRejected?: RejectionListener): Promise<PasskeySignInOutcome>;
}

export function createPasskeySignIn(deps: { db: Queryable; issuer: string }): PasskeySignIn {
  const rp = relyingPartyFor(deps.issuer);
  // URL hostnames keep IPv6 addresses in brackets
  const offered = isIP(rp.id.replace(/^\[|\]$/g, '')) === 0;
  return {
    options: () => (offered ? discoverableAuthenticationOptions(rp) : undefined),

    async verify(response, challenge, onRejected) {
      const credentialId = credentialIdOf(response);
      const credential = credentialId ? await findCredential(deps.db, credentialId) : undefined;
      if (!credential) return { ok: false, reason: 'unknown_credential' };
      const refused = { ok: false as const, reason: 'not_verified' as const, accountId: credential.accountId };
      // The user handle is required and must be the credential's owner's: an assertion by one
      // account's passkey carrying another account's handle proves nothing about either.
      const verified = await verifyAuthentication(rp, response, challenge, credential, onRejected, {
        userHandle: true,
        userVerification: true,
      });
      if (!verified) return refused;
      const account = await findAccountById(deps.db, credential.accountId);
      if (!account) return { ok: false, reason: 'unknown_credential' };
      if (account.disabled) return { ok: false, reason: 'account_disabled', accountId: account.id };
      // last: the counter moves past this assertion's (or, for a counter-less passkey, its use is noted)
      if (!(await recordCredentialUse(deps.db, credential.id, verified.newSignCount))) return refused;
      return { ok: true, account, credential };
    },
  };
}
