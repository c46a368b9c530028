// What the sign-up, verification and invitation pages need (app.ts provides it), and how they render.
import type { KeyObject } from 'node:crypto';
import type { Context } from 'koa';
import type { Config, PasswordSettings } from '../config.ts';
import type { EmailQueue } from '../email/email-queue.ts';
import type { RenderView } from '../http/views.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import type { CreateLimiter } from '../security/rate-limit/limiter-factory.ts';
import type { RegistryCache } from '../oidc/registry-cache.ts';
import type { Database } from '../storage/database.ts';

export interface RegistrationDeps {
  db: Database;
  render: RenderView;
  issuer: string;
  registration: Config['registration'];
  passwords: PasswordSettings;
  emails: EmailQueue;
  audit: AuditTrail;
  createLimiter: CreateLimiter;
  /** Sign-ups per hour from one address. */
  signUpPerHour: number;
  /** Keys the per-email-address sign-up budget (the lockout's subject key: no address kept in the clear). */
  subjectKey: KeyObject;
  /** Seals the "send me a new link" ticket (resend-ticket.ts). */
  encryptionKey: Buffer;
  cache: Pick<RegistryCache, 'client'>;
  now: () => Date;
}

export function page(ctx: Context, render: RenderView, view: string, data: Record<string, unknown>, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = render(view, data);
}
