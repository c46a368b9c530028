// Queries for resource servers (APIs that accept Portcullis JWT access tokens) and their scopes.
import { notifyChange, type Database, type Queryable } from './database.ts';

export interface ResourceScope {
  name: string;
  description: string;
}

export interface ResourceServer {
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  /** Access-token lifetime in seconds; null means the server default. */
  tokenTtl: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewResourceServer {
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  tokenTtl: number | null;
}

interface Row {
  identifier: string;
  name: string;
  token_ttl: number | null;
  created_at: Date;
  updated_at: Date;
  scopes: ResourceScope[] | null;
}

const SELECT = `SELECT r.identifier, r.name, r.token_ttl, r.created_at, r.updated_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('name', s.name, 'description', s.description) ORDER BY s.name), '[]'::jsonb)
     FROM resource_scopes s WHERE s.resource = r.identifier) AS scopes
  FROM resource_servers r`;

const toResourceServer = (row: Row): ResourceServer => ({
  identifier: row.identifier,
  name: row.name,
  scopes: row.scopes ?? [],
  tokenTtl: row.token_ttl,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

export async function insertResourceServer(db: Database, input: NewResourceServer): Promise<ResourceServer> {
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO resource_servers (identifier, name, token_ttl) VALUES ($1, $2, $3)', [input.identifier, input.name, input.tokenTtl]);
    for (const scope of input.scopes) {
      await tx.query('INSERT INTO resource_scopes (resource, name, description) VALUES ($1, $2, $3)', [input.identifier, scope.name, scope.description]);
    }
    await notifyChange(tx, 'resource', input.identifier);
  });
  return (await findResourceServer(db, input.identifier))!;
}

export async function findResourceServer(db: Queryable, identifier: string): Promise<ResourceServer | undefined> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE r.identifier = $1`, [identifier]);
  return rows[0] && toResourceServer(rows[0]);
}

/** Up to `limit` resource servers in identifier order, after the given one. */
export async function pageResourceServers(db: Queryable, page: { after?: string | undefined; limit: number }): Promise<ResourceServer[]> {
  const { rows } = page.after === undefined
    ? await db.query<Row>(`${SELECT} ORDER BY r.identifier LIMIT $1`, [page.limit])
    : await db.query<Row>(`${SELECT} WHERE r.identifier > $1 ORDER BY r.identifier LIMIT $2`, [page.after, page.limit]);
  return rows.map(toResourceServer);
}

export async function listResourceServers(db: Queryable): Promise<ResourceServer[]> {
  const { rows } = await db.query<Row>(`${SELECT} ORDER BY r.identifier`);
  return rows.map(toResourceServer);
}

/** Deletes the resource server; clients lose their permissions on it (cascade). */
export async function deleteResourceServer(db: Database, identifier: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows: clients } = await tx.query<{ client_id: string }>('SELECT client_id FROM client_resources WHERE resource = $1', [identifier]);
    const { rowCount } = await tx.query('DELETE FROM resource_servers WHERE identifier = $1', [identifier]);
    if (rowCount > 0) {
      await notifyChange(tx, 'resource', identifier);
      for (const { client_id } of clients) await notifyChange(tx, 'client', client_id);
    }
    return rowCount > 0;
  });
}

/** The longest access-token lifetime any resource server configures (for key retirement). */
export async function maxResourceTokenTtl(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ max: number | null }>('SELECT max(token_ttl) AS max FROM resource_servers');
  return rows[0]?.max ?? null;
}
