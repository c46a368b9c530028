// The OpenAPI 3.1 document of the admin API, generated from the route table: request bodies and
// query parameters from the operations' zod schemas (their input side), responses from
// the operations' answer schemas (zod, answer-schemas.ts), errors and the bearer-token security
// scheme from admin-auth.ts' rules.
import { z } from 'zod';
import { ADMIN_ROUTES, OPERATIONS } from '../registry.ts';
import { ADMIN_AUDIENCE, ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { ADMIN_API_PREFIX, pathParameters, type AdminRoute } from '../operation/http-binding.ts';
import { answerJsonSchemas } from '../operation/answer-schemas.ts';

type Schema = Record<string, unknown>;

/** An operation's input as JSON Schema (what a caller sends: defaults make fields optional). */
function inputSchema(route: AdminRoute): Schema {
  const operation = OPERATIONS.get(route.operation);
  if (!operation) throw new Error(`admin route ${route.method} ${route.path}: no operation "${route.operation}"`);
  const { $schema: _dialect, ...schema } = z.toJSONSchema(operation.input, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Schema;
  return schema;
}

/** Every refusal's body (router.ts answerError; the error handler adds request_id). */
const ERROR_SCHEMA: Schema = {
  type: 'object',
  properties: { error: { type: 'string' }, error_description: { type: 'string' }, request_id: { type: 'string' } },
  required: ['error', 'error_description'],
  additionalProperties: false,
};

const errorResponse = (description: string, headers?: Schema) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const RETRY_AFTER = { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } } };
const RATE_LIMIT_HEADERS = {
  ...RETRY_AFTER,
  RateLimit: {
    description: 'IETF RateLimit header fields draft: the policy that refused, with remaining=0 and t (seconds to reset)',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': { description: 'the quota that refused: limit and window (w, seconds)', schema: { type: 'string' } },
};

const CHALLENGE = {
  'WWW-Authenticate': {
    description: 'RFC 6750 challenge: realm, error, error_description, scope (403) or acr_values (RFC 9470)',
    schema: { type: 'string' },
  },
};

const ERRORS: Record<number, Schema> = {
  400: errorResponse('invalid_input: the description names the field at fault ("field: message")'),
  401: errorResponse(
    'no token, or an invalid, expired, revoked or wrong-audience token (invalid_token); a user token without a second factor (insufficient_user_authentication)',
    CHALLENGE,
  ),
  403: errorResponse('insufficient_scope: the token lacks a scope the route needs, or its user is not an administrator', CHALLENGE),
  404: errorResponse('not_found: no such object'),
  409: errorResponse('conflict: the object exists already, or the change is not allowed in the current state'),
  412: errorResponse('precondition_failed: the object has changed since the If-Match ETag was read; read it again and retry'),
  413: errorResponse('payload_too_large: the body exceeds 64 KiB'),
  415: errorResponse('unsupported_media_type: bodies must be application/json'),
  428: errorResponse('precondition_required: an update needs If-Match with the ETag of the object as last read'),
  429: errorResponse('too_many_requests: over the per-address limit (RATE_LIMIT_IP_PER_MINUTE)', RATE_LIMIT_HEADERS),
  500: errorResponse('server_error: an unexpected error, logged with the request_id'),
  503: errorResponse('temporarily_unavailable: a data store is unreachable; retry after Retry-After', RETRY_AFTER),
};

/** Every route can answer these. */
const COMMON_ERRORS = [400, 401, 403, 429, 500, 503] as const;

/** The request body's schema: the input without the fields that come from the path or headers. */
function bodySchema(input: Schema, exclude: readonly string[]): Schema {
  const properties = Object.fromEntries(
    Object.entries((input.properties ?? {}) as Record<string, Schema>).filter(([name]) => !exclude.includes(name)),
  );
  const { required: allRequired, ...rest } = input;
  const required = ((allRequired ?? []) as string[]).filter((name) => !exclude.includes(name));
  return { ...rest, properties, ...(required.length > 0 ? { required } : {}) };
}

function operationObject(route: AdminRoute): Schema {
  const input = inputSchema(route);
  const properties = (input.properties ?? {}) as Record<string, Schema>;
  const required = new Set((input.required ?? []) as string[]);
  const names = pathParameters(route.path);
  const headers = route.headers ?? [];
  const parameters = [
    ...names.map((name) => ({ name, in: 'path', required: true, schema: properties[name] ?? { type: 'string' } })),
    ...headers.map((header) => ({
      name: header.name,
      in: 'header',
      required: header.required,
      description: header.description,
      schema: { type: 'string' },
    })),
    ...(route.query
      ? Object.entries(properties)
          .filter(([name]) => !names.includes(name))
          .map(([name, schema]) => ({
            name,
            in: 'query',
            required: required.has(name),
            schema: route.query!.numbers.includes(name) ? { ...schema, type: 'integer' } : schema,
          }))
      : []),
  ];
  const statuses = [...COMMON_ERRORS, ...route.errors].sort((a, b) => a - b);
  const answerHeaders = {
    ...(route.location ? { Location: { description: 'the URL of the created object', schema: { type: 'string' } } } : {}),
    ...(route.etag
      ? { ETag: { description: 'the entity tag of the object: send it as If-Match to change it', schema: { type: 'string' } } }
      : {}),
  };
  return {
    operationId: route.operation.replace(/[.-](\w)/g, (_, letter: string) => letter.toUpperCase()),
    summary: route.summary,
    tags: [route.tag],
    description: `Runs the \`${route.operation}\` operation (as \`portcullis ${route.operation.replace('.', ' ')}\` does). Scopes: ${route.scopes.join(', ')}.`,
    security: [{ adminToken: [...route.scopes] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body !== 'none'
      ? {
          requestBody: {
            required: route.body === 'json',
            content: { 'application/json': { schema: bodySchema(input, [...names, ...headers.map((header) => header.field)]) } },
          },
        }
      : {}),
    responses: {
      [route.status]: {
        description: route.status === 201 ? 'created' : 'OK',
        ...(Object.keys(answerHeaders).length > 0 ? { headers: answerHeaders } : {}),
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${route.response}` } } },
      },
      ...Object.fromEntries(statuses.map((status) => [status, ERRORS[status]])),
    },
  };
}

export function adminOpenApiDocument(issuer: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of ADMIN_ROUTES) (paths[route.path] ??= {})[route.method.toLowerCase()] = operationObject(route);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Portcullis admin API',
      version: '1',
      description:
        `Manages clients, resource servers, users, signing keys and reads the audit trail. Every call needs a JWT access ` +
        `token from this server for the resource ${ADMIN_AUDIENCE}: a service gets one with client credentials ` +
        `(POST ${issuer}/token, grant_type=client_credentials, resource=${ADMIN_AUDIENCE}, scope=...); an administrator's ` +
        'own token must come from a sign-in with a second factor. Every change is recorded in the audit trail with the admin who made it.',
    },
    servers: [{ url: `${issuer}${ADMIN_API_PREFIX}` }],
    tags: [...new Set(ADMIN_ROUTES.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            `An RFC 9068 access token issued by this server with audience ${ADMIN_AUDIENCE}. Scopes: ` +
            `${ADMIN_SCOPES.read} (read), ${ADMIN_SCOPES.write} (change), ${ADMIN_SCOPES.users} (besides those, for /users).`,
        },
      },
      schemas: { Error: ERROR_SCHEMA, ...answerJsonSchemas() },
    },
  };
}
