// What the sign-in pages need from the rest of Portcullis (app.ts provides it). A file of its own so
// that routes.ts and the step routers it registers (second-factor-routes.ts,
// password-change-routes.ts) share it without importing each other.
import type Provider from 'oidc-provider';
import type { Config, PasswordSettings } from '../config.ts';
import type { Database } from '../storage/database.ts';
import type { PasswordAuthenticator } from '../accounts/authenticate.ts';
import type { DeviceCookies } from '../accounts/device-cookie.ts';
import type { RegistryCache } from '../oidc/registry-cache.ts';
import type { RenderView } from '../http/views.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import type { LoginGuard } from '../accounts/lockout.ts';
import type { MfaDecider } from '../accounts/second-factor-requirement.ts';
import type { DerivedKeys } from '../security/derived-keys.ts';
import type { SignInStates } from './sign-in-state.ts';
import type { JwtReplayStore } from '../storage/jwt-replay.ts';

export interface InteractionDeps {
  provider: () => Provider;
  db: Database;
  authenticator: PasswordAuthenticator;
  guard: LoginGuard;
  mfa: MfaDecider;
  signInStates: SignInStates;
  /** A browser that signed in before: read at the password, issued when a sign-in completes. */
  deviceCookies: DeviceCookies;
  keys: Pick<DerivedKeys, 'encryptionKey' | 'recoveryCodeKey'>;
  cache: RegistryCache;
  render: RenderView;
  issuer: string;
  onLoginAttempt: (outcome: 'success' | 'failure') => void;
  audit: AuditTrail;
  /** Values accepted once across every process (the once-only JWT store): the passkey sign-in's challenges. */
  onceOnly: Pick<JwtReplayStore, 'firstUse'>;
  /** The password policy and hashing parameters (a new password an administrator required). */
  passwords: PasswordSettings;
  /** REGISTRATION: the sign-in page links to the sign-up page when it is `open`. */
  registration?: Config['registration'];
  /** The server's clock (tests move it); the real one when absent. */
  now?: () => Date;
}
