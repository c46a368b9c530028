import { CLASSIFICATIONS } from '../../../storage/resource-servers.ts';
import { SIGNING_ALGORITHMS } from '../../../security/signing-algorithms.ts';
import { dateTime, nullable, object, page, string, strings } from './json-schema.ts';

const calendarDate: Record<string, unknown> = { type: 'string', format: 'date' };

const resourceServer = object({
  identifier: { ...string, description: "absolute URI: the audience of the API's access tokens" },
  name: string,
  description: string,
  owner: {
    ...nullable(string),
    description: 'the team or person to contact about the API; null: not recorded (registered before the registry)',
  },
  purpose: string,
  classification: {
    anyOf: [{ enum: [...CLASSIFICATIONS] }, { type: 'null' }],
    description: 'data classification: public < internal < confidential < restricted; null: not recorded',
  },
  liveDate: { ...nullable(calendarDate), description: 'when the API went (or goes) live; null: not recorded' },
  nextReviewDate: calendarDate,
  reviewOverdue: { type: 'boolean', description: "the next review date is before today (the server's UTC date)" },
  lastReviewedAt: { ...nullable(dateTime), description: 'when the last review was recorded; null: never' },
  scopes: { type: 'array', items: object({ name: string, description: string }) },
  tokenTtl: {
    ...nullable({ type: 'integer' }),
    description: 'access-token lifetime in seconds; null: the server default (ACCESS_TOKEN_TTL)',
  },
  tokenAlg: { enum: [...SIGNING_ALGORITHMS], description: "the JWS algorithm of the API's access tokens" },
  introspectingClients: {
    ...strings,
    description: "clients (ids) that may introspect the API's access tokens besides each token's own client",
  },
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const RESOURCE_SCHEMAS = {
  ResourceServer: resourceServer,
  ResourceServerList: page('ResourceServer'),
  DeletedResourceServer: object({ identifier: string, deleted: { const: true } }),
};
