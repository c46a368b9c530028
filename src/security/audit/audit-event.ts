import type { Queryable } from '../../storage/database.ts';

// What one audit event says. Every feature records through the AuditTrail (audit-trail.ts); no
// event ever carries a password, secret, code, OTP or token (`details` is checked on the way in).

export type AuditOutcome = 'success' | 'failure';

export interface AuditActor {
  type: 'user' | 'client' | 'admin' | 'system';
  id: string;
}

export interface AuditTarget {
  type: 'user' | 'client' | 'resource' | 'key' | 'grant' | 'session' | 'token';
  id: string;
}

export interface AuditEventInput {
  /** Dotted event name, for example `login.succeeded`, `token.issued`, `client.created`. */
  type: string;
  outcome: AuditOutcome;
  actor?: AuditActor;
  target?: AuditTarget;
  clientId?: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
  /** Event-specific facts (reason codes, grant type, scopes …), never credentials. */
  details?: Record<string, unknown>;
}

export interface AuditTrail {
  /** Queues the event; it is written in a batch off the request path, retried until stored. */
  record(event: AuditEventInput): void;
  /** Writes the event (and everything queued before it) before resolving; rejects if it cannot. */
  recordDurable(event: AuditEventInput): Promise<void>;
  /**
   * Appends the event to the chain inside the caller's transaction `tx`: it commits with the change
   * it describes, or neither does (admin changes). Rejects, and so rolls `tx` back, if it cannot.
   * It takes the chain's lock until `tx` ends: call it last, just before the commit.
   */
  recordWithin(tx: Queryable, event: AuditEventInput): Promise<void>;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Flushes everything and stops the background writer (clean shutdown loses nothing). */
  close(): Promise<void>;
}
