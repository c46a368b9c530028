import { page, dateTime, extend, nullable, object, string, strings } from './json-schema.ts';

const user = object({
  id: string,
  email: string,
  name: nullable(string),
  emailVerified: { type: 'boolean' },
  disabled: { type: 'boolean' },
  mfaRequired: { type: 'boolean' },
  isAdmin: { type: 'boolean' },
  passwordChangeRequired: { type: 'boolean', description: 'must choose a new password at the next sign-in' },
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const USER_SCHEMAS = {
  User: user,
  UserList: page('User'),
  DisabledUser: extend(user, { revoked: { type: 'integer', description: 'sessions, grants and tokens removed' } }),
  PasswordSet: extend(user, {
    endedSessions: { type: 'integer', description: 'sessions ended with the old password' },
    endedGrants: { type: 'integer', description: 'grants ended with it (with their tokens and codes)' },
    wasLocked: { type: 'boolean', description: 'a failed-login lock was in force (it is cleared)' },
  }),
  DeletedUser: object({
    id: string,
    email: string,
    deleted: { const: true },
    sessionIds: { ...strings, description: 'the sessions ended (their uids, as users/{user}/sessions listed them)' },
    grantIds: { ...strings, description: 'the grants ended' },
    otherRecords: { type: 'integer', description: 'tokens and codes deleted besides the sessions and grants' },
  }),
  UnlockedUser: object({ id: string, email: string, wasLocked: { type: 'boolean' }, failures: { type: 'integer' } }),
  MfaReset: object({
    id: string,
    email: string,
    removed: object({ totp: { type: 'integer' }, passkeys: { type: 'integer' }, recoveryCodes: { type: 'integer' } }),
    mustEnrol: { type: 'boolean' },
  }),
};
