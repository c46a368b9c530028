-- Client secret rotation: besides its current secret, a client may hold the one that secret
-- replaced, accepted until previous_secret_expires_at so its deployments can switch over without
-- downtime. Two columns, not a table: never more than two secrets can be active at once.
ALTER TABLE clients
  ADD COLUMN previous_secret_hash text,
  ADD COLUMN previous_secret_expires_at timestamptz,
  ADD CONSTRAINT clients_previous_secret_expires CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL));

-- Per-client token lifetimes in seconds; NULL: the server default (ID tokens one hour, refresh
-- tokens REFRESH_TOKEN_TTL). Access tokens already take theirs from the resource server.
ALTER TABLE clients
  ADD COLUMN id_token_ttl integer CHECK (id_token_ttl > 0),
  ADD COLUMN refresh_token_ttl integer CHECK (refresh_token_ttl > 0);
