// What an admin API route is: REST onto one operation of the registry (src/admin/operations/registry.ts).
// The router (router.ts) and the OpenAPI document (openapi.ts) are both built from the route table
// (routes.ts), so the document cannot describe a route that does not exist, nor miss one.
import type { AdminScope } from './admin-scopes.ts';
import type { ResponseSchemaName } from '../api/response-schemas.ts';

export const ADMIN_API_PREFIX = '/admin/v1';

/** A request header that fills an input field (the body schema leaves the field out). */
export interface HeaderInput {
  name: 'If-Match';
  field: string;
  /** Missing: 428 Precondition Required. */
  required: boolean;
  description: string;
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI style, relative to the prefix: `/clients/{clientId}`; each parameter is an input field. */
  path: string;
  operation: string;
  summary: string;
  tag: 'clients' | 'resources' | 'users' | 'keys' | 'audit';
  scopes: readonly AdminScope[];
  /** `json`: the JSON body is the operation's input; `optional-json`: the same, or no body at all; `none`: the request takes no body. */
  body: 'json' | 'optional-json' | 'none';
  /** The query string is (part of) the input; these fields are whole numbers. */
  query?: { numbers: readonly string[] };
  headers?: readonly HeaderInput[];
  status: 200 | 201;
  response: ResponseSchemaName;
  /** Where the created object now lives (201 answers). */
  location?: (result: Record<string, unknown>) => string;
  /** The answer's `ETag`: the entity tag of the object it describes (entity-tags.ts). */
  etag?: (result: Record<string, unknown>) => string;
  /** Answers besides 400, 401, 403, 429, 5xx and 2xx. */
  errors: readonly (404 | 409 | 412 | 413 | 415 | 428)[];
}

/** Answers a route with a JSON body can give besides the common ones. */
export const BODY_ERRORS = [413, 415] as const;

/** `If-Match` on an update: required over HTTP, so no admin overwrites a change they have not seen. */
export const IF_MATCH: HeaderInput = {
  name: 'If-Match',
  field: 'ifMatch',
  required: true,
  description:
    'the ETag of the object as last read (GET, or the answer to the last change); 412 when it has changed since, 428 when missing or `*` (which names no version)',
};

/** The errors of an update with `If-Match`. */
export const UPDATE_ERRORS = [404, 412, 428, ...BODY_ERRORS] as const;

/** The path's parameter names, in order. */
export const pathParameters = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
