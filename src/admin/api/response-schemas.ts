// JSON Schemas (2020-12) of what the admin API answers, one per resource. Written by hand from the
// operations' output types (ClientView, ResourceServer, Account, ...): the conformance test runs every
// answer the API tests receive through them, so a change to an output type that is not made here fails.
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const string: Schema = { type: 'string' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
const strings: Schema = { type: 'array', items: string };
const object = (properties: Record<string, Schema>, optional: readonly string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
  additionalProperties: false,
});
const list = (name: string): Schema => ({ type: 'array', items: ref(name) });
/** `base` with more properties, still closed to any other. */
const extend = (base: Schema, properties: Record<string, Schema>, optional: readonly string[] = []): Schema => {
  return {
    ...base,
    properties: { ...(base.properties as Record<string, Schema>), ...properties },
    required: [...(base.required as string[]), ...Object.keys(properties).filter((name) => !optional.includes(name))],
    additionalProperties: false,
  };
};

const client = object({
  clientId: string,
  name: string,
  applicationType: { enum: ['web', 'native'] },
  authMethod: string,
  grantTypes: strings,
  redirectUris: strings,
  postLogoutRedirectUris: strings,
  backchannelLogoutUri: nullable(string),
  jwksUri: nullable(string),
  firstParty: { type: 'boolean' },
  requireMfa: { type: 'boolean' },
  resources: { type: 'object', additionalProperties: strings, description: 'resource identifier -> the scopes the client may request for it' },
  rateLimitPerMinute: nullable({ type: 'integer', minimum: 1 }),
  createdAt: dateTime,
  updatedAt: dateTime,
});

const resourceServer = object({
  identifier: string,
  name: string,
  scopes: { type: 'array', items: object({ name: string, description: string }) },
  tokenTtl: nullable({ type: 'integer' }),
  createdAt: dateTime,
  updatedAt: dateTime,
});

const user = object({
  id: string,
  email: string,
  name: nullable(string),
  emailVerified: { type: 'boolean' },
  disabled: { type: 'boolean' },
  mfaRequired: { type: 'boolean' },
  isAdmin: { type: 'boolean' },
  createdAt: dateTime,
  updatedAt: dateTime,
});

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

export const RESPONSE_SCHEMAS = {
  Error: object({ error: string, error_description: string, request_id: string }, ['request_id']),
  Client: client,
  ClientList: list('Client'),
  CreatedClient: extend(client, { clientSecret: { type: 'string', description: 'shown in this answer only; stored as a keyed hash' } }, ['clientSecret']),
  DeletedClient: object({ clientId: string, deleted: { const: true } }),
  ResourceServer: resourceServer,
  ResourceServerList: list('ResourceServer'),
  DeletedResourceServer: object({ identifier: string, deleted: { const: true } }),
  User: user,
  UserList: list('User'),
  DisabledUser: extend(user, { revoked: { type: 'integer', description: 'sessions, grants and tokens removed' } }),
  UnlockedUser: object({ id: string, email: string, wasLocked: { type: 'boolean' }, failures: { type: 'integer' } }),
  MfaReset: object({
    id: string,
    email: string,
    removed: object({ totp: { type: 'integer' }, passkeys: { type: 'integer' }, recoveryCodes: { type: 'integer' } }),
    mustEnrol: { type: 'boolean' },
  }),
  SigningKey: object({
    kid: string,
    alg: string,
    state: { enum: ['next', 'current', 'retired'] },
    createdAt: dateTime,
    activatedAt: nullable(dateTime),
    retiredAt: nullable(dateTime),
    removeAfter: nullable(dateTime),
  }),
  SigningKeyList: list('SigningKey'),
  AuditEvent: auditEvent,
  AuditPage: object({ events: list('AuditEvent'), cursor: { type: 'integer', description: 'pass as afterSeq for what follows' } }),
} satisfies Record<string, Schema>;

export type ResponseSchemaName = keyof typeof RESPONSE_SCHEMAS;
