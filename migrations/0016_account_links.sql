-- One-time links sent by email (issue 15): verify an email address, reset a password, accept an
-- invitation, confirm a new email address. Only a SHA-256 of the token is stored (the token is 256
-- random bits, so a plain hash is as good as a keyed one: nothing to guess). A link is single use
-- (used_at), expires, and is bound to the account's credential epoch when it was issued, so any
-- password change (or other reset of the account) voids it. A newer link of the same purpose voids
-- the older ones.
CREATE TABLE account_links (
  id               bigserial   PRIMARY KEY,
  account_id       uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  purpose          text        NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'invite', 'change_email')),
  token_hash       bytea       NOT NULL UNIQUE,
  credential_epoch bigint      NOT NULL,
  -- what the link carries besides the account: the new address of an email change, the client of an invitation
  detail           jsonb       NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  used_at          timestamptz
);
CREATE INDEX account_links_account ON account_links (account_id, purpose) WHERE used_at IS NULL;
