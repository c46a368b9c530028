import { page, dateTime, extend, nullable, object, string } from './json-schema.ts';

const user = object({
  id: string,
  email: string,
  name: nullable(string),
  emailVerified: { type: 'boolean' },
  disabled: { type: 'boolean' },
  mfaRequired: { type: 'boolean' },
  isAdmin: { type: 'boolean' },
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const USER_SCHEMAS = {
  User: user,
  UserList: page('User'),
  DisabledUser: extend(user, { revoked: { type: 'integer', description: 'sessions, grants and tokens removed' } }),
  UnlockedUser: object({ id: string, email: string, wasLocked: { type: 'boolean' }, failures: { type: 'integer' } }),
  MfaReset: object({
    id: string,
    email: string,
    removed: object({ totp: { type: 'integer' }, passkeys: { type: 'integer' }, recoveryCodes: { type: 'integer' } }),
    mustEnrol: { type: 'boolean' },
  }),
};
