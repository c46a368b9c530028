// JSON Schemas (2020-12) of what the admin API answers, one file per area in ./schemas/. Written by
// hand from the operations' output types (ClientView, ResourceServer, Account, ...): the conformance
// test runs every answer the API tests receive through them, so a change to an output type that is
// not made there fails.
import { AUDIT_SCHEMAS } from './schemas/audit-schemas.ts';
import { object, string, type Schema } from './schemas/json-schema.ts';
import { KEY_SCHEMAS } from './schemas/key-schemas.ts';

export const RESPONSE_SCHEMAS = {
  Error: object({ error: string, error_description: string, request_id: string }, ['request_id']),
  ...CLIENT_SCHEMAS,
  ...KEY_SCHEMAS,
  ...AUDIT_SCHEMAS,
} satisfies Record<string, Schema>;

export type ResponseSchemaName = keyof typeof RESPONSE_SCHEMAS;
