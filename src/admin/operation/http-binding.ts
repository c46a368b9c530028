// How an operation is reached over the admin API: its method, path, scopes and ETag behaviour,
// declared in the operation's own definition (define.ts). The router (api/router.ts) and the
// OpenAPI document (api/openapi.ts) are both built from the registry's routes (registry.ts), so the
// document cannot describe a route that does not exist, nor miss one.
import type { AdminScope } from './admin-scopes.ts';

export const ADMIN_API_PREFIX = '/admin/v1';

/** A request header that fills an input field (the body schema leaves the field out). */
export interface HeaderInput {
  name: 'If-Match';
  field: string;
  /** Missing: 428 Precondition Required. */
  required: boolean;
  description: string;
}

/** The REST side of an operation; `Result` is what the operation returns (its output schema's type). */
export interface HttpBinding<Result = Record<string, unknown>> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI style, relative to the prefix: `/clients/{clientId}`; each parameter is an input field. */
  path: string;
  summary: string;
  scopes: readonly AdminScope[];
  /** `json`: the JSON body is the operation's input; `optional-json`: the same, or no body at all; `none`: the request takes no body. */
  body: 'json' | 'optional-json' | 'none';
  /** The query string is (part of) the input; these fields are whole numbers. */
  query?: { numbers: readonly string[] };
  headers?: readonly HeaderInput[];
  status: 200 | 201;
  /** Where the created object now lives (201 answers). */
  location?(result: Result): string;
  /** The answer's `ETag`: the entity tag of the object it describes (entity-tags.ts). */
  etag?(result: Result): string;
  /** Answers besides 400, 401, 403, 429, 5xx and 2xx. */
  errors: readonly (404 | 409 | 412 | 413 | 415 | 428)[];
}

/** A route of the admin API: an operation's binding with the operation's name, OpenAPI tag and answer schema. */
export interface AdminRoute extends HttpBinding {
  operation: string;
  /** The OpenAPI tag: the operation's area (the part of its name before the dot). */
  tag: string;
  /** The id of the answer's JSON Schema (a component of the OpenAPI document). */
  response: string;
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

/** A listing's route: GET, no body, `limit` (and `cursor`) in the query string, a page in a 200. */
export const LISTING = { method: 'GET', body: 'none', query: { numbers: ['limit'] }, status: 200 } as const satisfies Partial<HttpBinding>;

/** The path's parameter names, in order. */
export const pathParameters = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
