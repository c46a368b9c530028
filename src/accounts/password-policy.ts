// Password rules when a password is set (NIST SP 800-63B): a minimum length, no composition rules,
// any Unicode, never truncated. The blocklist and strength score come with the lockout work.
export const MIN_PASSWORD_LENGTH = 15;
/** Long enough for any passphrase; the ceiling only stops hashing megabytes per request. */
export const MAX_PASSWORD_LENGTH = 1024;

export type PasswordProblem = { code: 'password_too_short' | 'password_too_long'; message: string };

export function checkPassword(password: string): PasswordProblem | undefined {
  const length = [...password.normalize('NFKC')].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return { code: 'password_too_short', message: `password must be at least ${MIN_PASSWORD_LENGTH} characters` };
  }
  if (length > MAX_PASSWORD_LENGTH) {
    return { code: 'password_too_long', message: `password must be at most ${MAX_PASSWORD_LENGTH} characters` };
  }
  return undefined;
}
