import { dateTime, list, nullable, object, string } from './json-schema.ts';

const reference = object({ type: string, id: string });

const auditEvent = object({
  seq: { type: 'integer' },
  id: string,
  occurredAt: dateTime,
  type: string,
  outcome: string,
  actor: nullable(reference),
  target: nullable(reference),
  clientId: nullable(string),
  ip: nullable(string),
  userAgent: nullable(string),
  requestId: nullable(string),
  details: nullable({ type: 'object' }),
  prevHash: string,
  hash: string,
});

export const AUDIT_SCHEMAS = {
  AuditEvent: auditEvent,
  AuditPage: object({ events: list('AuditEvent'), cursor: { type: 'integer', description: 'pass as afterSeq for what follows' } }),
};
