-- Foundation schema: oidc-provider models, clients, resource servers, accounts, signing keys.

-- Every oidc-provider model (sessions, grants, tokens, and — without Redis — interactions and codes)
-- as one JSONB row, with the lookup columns the adapter contract needs.
CREATE TABLE oidc_models (
  kind        text        NOT NULL,
  id          text        NOT NULL,
  payload     jsonb       NOT NULL,
  grant_id    text,
  user_code   text,
  uid         text,
  expires_at  timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (kind, id)
);
CREATE INDEX oidc_models_grant_id ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_uid ON oidc_models (kind, uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_user_code ON oidc_models (kind, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

-- APIs that accept Portcullis access tokens (the audience of a JWT access token).
CREATE TABLE resource_servers (
  identifier  text        PRIMARY KEY,
  name        text        NOT NULL,
  token_ttl   integer     CHECK (token_ttl IS NULL OR token_ttl > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE resource_scopes (
  resource    text NOT NULL REFERENCES resource_servers (identifier) ON DELETE CASCADE,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  PRIMARY KEY (resource, name)
);

-- OAuth clients. `metadata` holds the RFC 7591 metadata oidc-provider validates; the secret is
-- stored only as a keyed hash (HMAC-SHA-256 under a key derived from SECRET_KEY).
CREATE TABLE clients (
  client_id            text        PRIMARY KEY,
  name                 text        NOT NULL,
  metadata             jsonb       NOT NULL,
  secret_hash          text,
  first_party          boolean     NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Which scopes of which resource server a client may ask for (least privilege).
CREATE TABLE client_resources (
  client_id  text   NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
  resource   text   NOT NULL REFERENCES resource_servers (identifier) ON DELETE CASCADE,
  scopes     text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (client_id, resource)
);

CREATE TABLE accounts (
  id             uuid        PRIMARY KEY,
  email          text        NOT NULL,
  name           text,
  email_verified boolean     NOT NULL DEFAULT false,
  password_hash  text,
  disabled_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));

-- Signing keys, private parts encrypted at rest (AES-256-GCM). state: next -> current -> retired.
CREATE TABLE signing_keys (
  kid           text        PRIMARY KEY,
  alg           text        NOT NULL,
  state         text        NOT NULL CHECK (state IN ('next', 'current', 'retired')),
  public_jwk    jsonb       NOT NULL,
  private_jwk   text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  activated_at  timestamptz,
  retired_at    timestamptz,
  -- a retired key stays published until every token it signed has expired
  remove_after  timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_current_per_alg ON signing_keys (alg) WHERE state = 'current';

-- JWT access tokens are not stored; revoking one records its jti until it would have expired.
CREATE TABLE revoked_access_tokens (
  jti        text        PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
