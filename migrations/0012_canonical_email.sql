-- One form of an email for every comparison (src/accounts/canonical-email.ts): the account lookup,
-- uniqueness and the lockout counter's key all use it, so no spelling of an address finds an account
-- on a counter of its own (issue 11, attack 16). It is computed by the application, which writes it
-- with every email; it cannot be a generated column, PostgreSQL has no such folding.
ALTER TABLE accounts ADD COLUMN email_key text;

-- Every address stored so far came through the admin API or CLI, which accept ASCII addresses only;
-- for those the form is exactly lower(email).
UPDATE accounts SET email_key = lower(btrim(email));

ALTER TABLE accounts ALTER COLUMN email_key SET NOT NULL;
CREATE UNIQUE INDEX accounts_email_key ON accounts (email_key);
