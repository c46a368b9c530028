// Upgrading must not change what relying parties and APIs already verify: clients registered before
// the ID token algorithm could be chosen were signed ES256 and keep it (new clients get RS256), and
// APIs keep ES256 access tokens (migration 0013).
import test from 'ava';
import { loadMigrations, migrate } from '../../src/storage/migrate.ts';
import { openPglite } from '../../src/storage/pglite.ts';
import { findClient } from '../../src/storage/clients.ts';
import { findResourceServer } from '../../src/storage/resource-servers.ts';
import { toClientView } from '../../src/admin/clients/client-view.ts';

const UPGRADE = '0013';

test('clients and APIs registered before the upgrade keep ES256; a client that had chosen keeps its choice', async (t) => {
  const db = await openPglite(undefined);
  t.teardown(() => db.close());
  const migrations = await loadMigrations();
  await migrate(
    db,
    migrations.filter((migration) => migration.version < UPGRADE),
  );

  const metadata = (alg?: string) =>
    JSON.stringify({
      client_name: 'Old app',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['https://app.example.com/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(alg ? { id_token_signed_response_alg: alg } : {}),
    });
  await db.query(
    `INSERT INTO clients (client_id, name, metadata) VALUES ('old-app', 'Old app', $1::jsonb), ('chose-rs256', 'Chose', $2::jsonb)`,
    [metadata(), metadata('RS256')],
  );
  await db.query(`INSERT INTO resource_servers (identifier, name) VALUES ('https://old-api.example.com', 'Old API')`);

  t.deepEqual(
    await migrate(db, migrations),
    migrations.filter((migration) => migration.version >= UPGRADE).map((migration) => migration.name),
  );

  t.is(toClientView((await findClient(db, 'old-app'))!).idTokenAlg, 'ES256');
  t.is(toClientView((await findClient(db, 'chose-rs256'))!).idTokenAlg, 'RS256');
  t.is((await findResourceServer(db, 'https://old-api.example.com'))!.tokenAlg, 'ES256');
  await t.throwsAsync(
    db.query(`UPDATE resource_servers SET token_alg = 'HS256'`),
    undefined,
    'the column refuses an algorithm the server does not sign with',
  );
});
