-- Self-service sign-up and invitations (issue 15). Two facts the accounts table did not hold:
--
-- verification_required: the account was created by its own user through the sign-up page, and may
-- not sign in until its email address is verified (by the link sent to it, or by an administrator).
-- Accounts an administrator created keep signing in whatever email_verified says: the flag is false
-- for them, and every account that existed before this migration.
--
-- invitation_pending: an administrator invited this address and the invitation was not accepted yet
-- (the account has no password). Inviting the address again reuses the account; an account that was
-- activated (or made any other way) is never taken over by an invitation.
ALTER TABLE accounts ADD COLUMN verification_required boolean NOT NULL DEFAULT false;
ALTER TABLE accounts ADD COLUMN invitation_pending boolean NOT NULL DEFAULT false;
