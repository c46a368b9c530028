import { page, dateTime, nullable, object, string } from './json-schema.ts';

const resourceServer = object({
  identifier: string,
  name: string,
  scopes: { type: 'array', items: object({ name: string, description: string }) },
  tokenTtl: nullable({ type: 'integer' }),
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const RESOURCE_SCHEMAS = {
  ResourceServer: resourceServer,
  ResourceServerList: page('ResourceServer'),
  DeletedResourceServer: object({ identifier: string, deleted: { const: true } }),
};
