-- A user's sessions, grants and tokens are found by the account they belong to (the admin API's
-- sessions and grants listings, users disable / delete / sign-out-everywhere): an index on the
-- payload's accountId keeps those lookups off a scan of every oidc-provider record.
CREATE INDEX oidc_models_account_id ON oidc_models ((payload->>'accountId'));
