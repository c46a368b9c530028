-- The credential epoch of an account: a counter moved on by everything that takes an account back
-- (a new password, set by the user or an administrator; sign-out-everywhere; disabling; removing
-- its second factors). A sign-in in progress and the account page's proof carry the epoch they
-- began at, and are void once it moved: a reset voids whatever began before it.
ALTER TABLE accounts ADD COLUMN credential_epoch bigint NOT NULL DEFAULT 0;

-- An authenticator key being enrolled now lives in the sealed state of the one sign-in or account
-- page that created it, and expires with it. Keys pending in this table were shown to whoever
-- opened enrolment first, and would be shown to the next one: they are dropped, never confirmed.
DELETE FROM mfa_totp WHERE confirmed_at IS NULL;
