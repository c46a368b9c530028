// What an admin sees of a user account, declared once: the answer schemas (their TypeScript types and
// the OpenAPI components `User`, `UserList`, `DisabledUser`, `PasswordSet` come from them), the ETag
// and Location of an answer that describes the user, and how the CLI prints one. The view itself is
// user-ref.ts' `userView` (the account without an answer's extra members).
import { z } from 'zod';
import { answer, dateTime, pageOf } from '../operation/answer-schemas.ts';
import { date } from '../operation/cli-binding.ts';
import { keyValues, orDash, yesNo, type Output } from '../operation/cli-output.ts';
import { entityTag } from '../operation/entity-tags.ts';
import { userView } from './user-ref.ts';

export const userAnswer = answer(
  'User',
  z.object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    emailVerified: z.boolean(),
    disabled: z.boolean(),
    mfaRequired: z.boolean(),
    isAdmin: z.boolean(),
    passwordChangeRequired: z.boolean().describe('must choose a new password at the next sign-in'),
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
);

export type UserView = z.output<typeof userAnswer>;

export const userPage = pageOf('UserList', userAnswer);

export const disabledUserAnswer = answer(
  'DisabledUser',
  userAnswer.extend({ revoked: z.number().int().describe('sessions, grants and tokens removed') }),
);

export type DisabledUserView = z.output<typeof disabledUserAnswer>;

export const passwordSetAnswer = answer(
  'PasswordSet',
  userAnswer.extend({
    endedSessions: z.number().int().describe('sessions ended with the old password'),
    endedGrants: z.number().int().describe('grants ended with it (with their tokens and codes)'),
    wasLocked: z.boolean().describe('a failed-login lock was in force (it is cleared)'),
  }),
);

export type PasswordSetView = z.output<typeof passwordSetAnswer>;

/** The ETag of an answer that describes the user: the tag of the user as GET shows it (an answer's extra members, such as `revoked`, left out). */
export const userTag = (user: UserView) => entityTag(userView(user));
export const userLocation = (user: UserView) => `/users/${encodeURIComponent(user.id)}`;

/** The CLI's text of a user. */
export function printUser(user: UserView, output: Output): void {
  for (const line of keyValues([
    ['id', user.id],
    ['email', user.email],
    ['name', orDash(user.name)],
    ['status', user.disabled ? 'disabled' : 'active'],
    ['email verified', yesNo(user.emailVerified)],
    ['second factor', user.isAdmin ? 'required (administrator)' : user.mfaRequired ? 'required' : 'per MFA_POLICY'],
    ['new password', user.passwordChangeRequired ? 'must be chosen at the next sign-in' : 'not required'],
    ['created', date(user.createdAt)],
    ['updated', date(user.updatedAt)],
    // what `users update --if-match` takes (the same as the admin API's ETag)
    ['etag', userTag(user)],
  ])) {
    output.out(line);
  }
}
