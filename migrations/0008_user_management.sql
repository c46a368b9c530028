-- An administrator can require a user to choose a new password (`users require-password-change`,
-- or `users set-password --must-change`). The sign-in asks for it once the password (and the second
-- factor, when one is needed) is proven and before the login finishes: no session, no code before.
-- Choosing the new password clears the flag.
ALTER TABLE accounts ADD COLUMN password_change_required boolean NOT NULL DEFAULT false;
