// The audit trail as shown to a reader who may not see users (an admin token without admin:users):
// the same events, in the same order, with whatever identifies a person taken out. Otherwise the
// trail would read around the scope that guards /admin/v1/users (issue 11, attack 18).
//
// Redacted: the id of a user (as actor, as an administrator acting as `user:<id>`, or as target),
// the IP address and user agent of every event, and in `details` every email address (any key
// naming an email, at any depth) and, on an event about a user, its `name` (a passkey's or the
// person's). Kept: what happened, when, to which client / API / key, the outcome and reason codes.
// `hash` and `prevHash` stay as stored: a redacted event no longer verifies against them (the
// chain is verified with the CLI, by the operator, who sees everything).
import type { AuditEvent } from './audit-queries.ts';

export const REDACTED = '[redacted]';

const EMAIL_KEY = /e-?mail/i;

/** An actor id (`user:<id>`, `client:<id>`, `cli:<name>`) with a user's id redacted. */
export const redactActorId = (id: string): string => (id.startsWith('user:') ? `user:${REDACTED}` : id);

const redactId = (reference: { type: string; id: string }): { type: string; id: string } => {
  if (reference.type === 'user') return { type: reference.type, id: REDACTED };
  return { type: reference.type, id: redactActorId(reference.id) };
};

function withoutEmails(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmails);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => !EMAIL_KEY.test(key))
      .map(([key, item]) => [key, withoutEmails(item)]),
  );
}

/** The event without the fields that identify a person. */
export function redactPersonalFields(event: AuditEvent): AuditEvent {
  const aboutUser = event.actor?.type === 'user' || event.target?.type === 'user';
  let details = event.details === null ? null : (withoutEmails(event.details) as Record<string, unknown>);
  if (details && aboutUser && 'name' in details) details = Object.fromEntries(Object.entries(details).filter(([key]) => key !== 'name'));
  return {
    ...event,
    actor: event.actor && redactId(event.actor),
    target: event.target && redactId(event.target),
    ip: null,
    userAgent: null,
    details,
  };
}
