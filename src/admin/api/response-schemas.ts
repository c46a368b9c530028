// JSON Schemas (2020-12) of what the admin API answers, one file per area in ./schemas/. Written by
// hand from the operations' output types (ClientView, ResourceServer, Account, ...): the conformance
// test runs every answer the API tests receive through them, so a change to an output type that is
// not made there fails.
import { CLIENT_SCHEMAS } from './schemas/client-schemas.ts';
import { object, string, type Schema } from './schemas/json-schema.ts';
import { USER_SCHEMAS } from './schemas/user-schemas.ts';
import { USER_SESSION_SCHEMAS } from './schemas/user-session-schemas.ts';

export const RESPONSE_SCHEMAS = {
  Error: object({ error: string, error_description: string, request_id: string }, ['request_id']),
  ...CLIENT_SCHEMAS,
  ...USER_SCHEMAS,
  ...USER_SESSION_SCHEMAS,
} satisfies Record<string, Schema>;

export type ResponseSchemaName = keyof typeof RESPONSE_SCHEMAS;
