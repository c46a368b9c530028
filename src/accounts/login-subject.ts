// The one home of the keys naming the failure counters (table login_failures). Three kinds of
// counter share that table: a login identifier's (the email), a device cookie's budget, and an
// account's second factor. Each key is an HMAC of its kind tag and its value, separated by a NUL
// (which no tag holds), so no value of one kind can ever produce another kind's key: a login email
// typed as "second-factor:<account id>" counts on an email counter, never on that account's second
// factor. Changing how a key is built only starts fresh counters (the old rows are pruned as usual).
import { createHmac, type KeyObject } from 'node:crypto';
import { canonicalEmail } from '../storage/canonical-email.ts';

type SubjectKind = 'email' | 'device' | 'second-factor';

function subjectKey(key: KeyObject, kind: SubjectKind, value: string): string {
  return createHmac('sha256', key).update(kind, 'utf8').update('\0').update(value, 'utf8').digest('base64url');
}

/**
 * A login identifier's counter: of the email's canonical form (the one the account lookup uses), so
 * the table holds no email address and every spelling shares one count.
 */
export const emailSubject = (key: KeyObject, email: string): string => subjectKey(key, 'email', canonicalEmail(email));

/** A device cookie's failure budget, by the cookie's nonce. */
export const deviceSubject = (key: KeyObject, nonce: string): string => subjectKey(key, 'device', nonce);

/** An account's second-factor failures (TOTP and recovery codes), by the account id. */
export const secondFactorSubject = (key: KeyObject, accountId: string): string => subjectKey(key, 'second-factor', accountId);

/** Every counter an operator clears to let a user back in (`users unlock`, `users set-password`). */
export const accountSubjects = (key: KeyObject, account: { id: string; email: string }): string[] => [
  emailSubject(key, account.email),
  secondFactorSubject(key, account.id),
];
