-- Sender-constrained tokens and least-privilege introspection (issue 11, attacks 4 and 5).
--
-- seen_jwt_ids: JWTs that may be accepted only once (RFC 9449 §11.1 DPoP proofs; RFC 7523 client
-- assertions), so a replay is refused by every process, even when two copies arrive at once.
-- Deployments with Redis keep them there instead; this table serves the embedded database and
-- deployments without Redis. id is a SHA-256 of what the JWT is unique within (its key or issuer)
-- and its jti; a row outlives the window in which the JWT is accepted, then the pruner removes it.
CREATE TABLE seen_jwt_ids (
  id         text        PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX seen_jwt_ids_expires_at ON seen_jwt_ids (expires_at);

-- The clients an API (resource server) names as its introspecting clients: besides a token's own
-- client, only they may introspect access tokens whose audience is that API. Deleting the API or
-- the client removes the entry.
CREATE TABLE resource_introspecting_clients (
  resource  text NOT NULL REFERENCES resource_servers (identifier) ON DELETE CASCADE,
  client_id text NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  PRIMARY KEY (resource, client_id)
);
CREATE INDEX resource_introspecting_clients_client ON resource_introspecting_clients (client_id);
