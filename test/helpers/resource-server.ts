// A resource server as the client rules read it (pure tests: no database).
import type { ResourceServer } from '../../src/storage/resource-servers.ts';

export const resourceServer = (identifier: string, scopes: string[]): ResourceServer => ({
  identifier,
  name: identifier,
  scopes: scopes.map((name) => ({ name, description: '' })),
  tokenTtl: null,
  tokenAlg: 'ES256',
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
});
