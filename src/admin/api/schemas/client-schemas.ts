import { page, dateTime, extend, nullable, object, string, strings } from './json-schema.ts';

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

export const CLIENT_SCHEMAS = {
  Client: client,
  ClientList: page('Client'),
  CreatedClient: extend(client, { clientSecret: { type: 'string', description: 'shown in this answer only; stored as a keyed hash' } }, ['clientSecret']),
  DeletedClient: object({ clientId: string, deleted: { const: true } }),
};
