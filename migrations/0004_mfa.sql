-- Second factors: TOTP, recovery codes and passkeys (WebAuthn), and who must use them.

-- One TOTP authenticator per account. The secret is encrypted at rest (AES-256-GCM, the row's
-- account id as associated data). A row with confirmed_at NULL is an enrolment in progress: it only
-- becomes a factor once a correct code was entered. last_used_step makes every code single-use,
-- across processes: a code is accepted only by the UPDATE that moves last_used_step past its step.
CREATE TABLE mfa_totp (
  account_id       uuid        PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  secret_encrypted text        NOT NULL,
  confirmed_at     timestamptz,
  last_used_step   bigint      NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes, stored as a keyed hash (HMAC-SHA-256); a new set replaces the old.
CREATE TABLE mfa_recovery_codes (
  account_id uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  code_hash  text        NOT NULL,
  used_at    timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, code_hash)
);

-- Passkeys / WebAuthn credentials, several per account, each with a name the user chose.
CREATE TABLE webauthn_credentials (
  id           text        PRIMARY KEY,          -- the credential id, base64url
  account_id   uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name         text        NOT NULL,
  public_key   text        NOT NULL,             -- COSE public key, base64url
  sign_count   bigint      NOT NULL DEFAULT 0,
  transports   text[]      NOT NULL DEFAULT '{}',
  device_type  text        NOT NULL,             -- singleDevice | multiDevice
  backed_up    boolean     NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX webauthn_credentials_account ON webauthn_credentials (account_id);

-- Who must use a second factor besides the global MFA_POLICY: a user, an administrator (always),
-- a client whose users must.
ALTER TABLE accounts ADD COLUMN mfa_required boolean NOT NULL DEFAULT false;
ALTER TABLE accounts ADD COLUMN is_admin boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;
