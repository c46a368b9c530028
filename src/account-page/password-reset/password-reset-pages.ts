// The forgotten-password pages put together from the app's own dependencies, so the app mounts them
// with one call (src/app.ts) and what they are made of stays here.
import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { LoginGuard } from '../../accounts/lockout.ts';
import type { Config } from '../../config.ts';
import type { EmailQueue } from '../../email/email-queue.ts';
import type { RenderView } from '../../http/views.ts';
import type { AuditTrail } from '../../security/audit/audit-event.ts';
import type { DerivedKeys } from '../../security/derived-keys.ts';
import type { CreateLimiter } from '../../security/rate-limit/limiter-factory.ts';
import type { Database } from '../../storage/database.ts';
import { createPasswordResetRequests } from './reset-request.ts';
import { passwordResetRoutes } from './reset-routes.ts';
import { createResetStates } from './reset-state.ts';

export interface PasswordResetPagesDeps {
  config: Pick<Config, 'issuer' | 'passwords' | 'rateLimits'>;
  db: Database;
  audit: AuditTrail;
  emails: EmailQueue;
  keys: DerivedKeys;
  guard: LoginGuard;
  render: RenderView;
  provider: () => Provider;
  createLimiter: CreateLimiter;
  /** The server's clock (tests move it). */
  now?: (() => Date) | undefined;
}

export function passwordResetPages(deps: PasswordResetPagesDeps): Router {
  const now = deps.now ?? (() => new Date());
  const { issuer } = deps.config;
  return passwordResetRoutes({
    db: deps.db,
    audit: deps.audit,
    emails: deps.emails,
    keys: deps.keys,
    guard: deps.guard,
    issuer,
    now,
    render: deps.render,
    passwords: deps.config.passwords,
    provider: deps.provider,
    // sealed under the sign-in state key, with associated data of their own (reset-state.ts)
    states: createResetStates(deps.keys.signInStateKey, () => now().getTime()),
    requestReset: createPasswordResetRequests({
      db: deps.db,
      emails: deps.emails,
      audit: deps.audit,
      issuer,
      now,
      createLimiter: deps.createLimiter,
      limits: deps.config.rateLimits,
      subjectKey: deps.keys.loginSubjectKey,
    }),
  });
}
