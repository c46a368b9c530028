// What the user operations take besides the user they act on (user-ref.ts: userField, userRefInput,
// emailField): a new account, a listing's filters, a change, a password set by an administrator.
import { z } from 'zod';
import { ifMatchInput } from '../operation/entity-tags.ts';
import { pageInput } from '../operation/pagination.ts';
import { emailField, userField } from './user-ref.ts';

const nameField = z.string().trim().max(200, 'must be at most 200 characters');

export const userCreateInput = z.strictObject({
  email: emailField,
  name: nameField.optional(),
  password: z.string(),
  /** Must sign in with a second factor (enrols one at the first login). */
  mfaRequired: z.boolean().default(false),
  /** An administrator: always signs in with a second factor. */
  isAdmin: z.boolean().default(false),
});

export const userListInput = z.strictObject({
  query: z.string().trim().min(1, 'must not be empty').max(254, 'must be at most 254 characters').optional(),
  status: z.enum(['active', 'disabled'], { error: 'must be "active" or "disabled"' }).optional(),
  ...pageInput,
});

export const userUpdateInput = z.strictObject({
  user: userField,
  ifMatch: ifMatchInput,
  email: emailField.optional(),
  /** null or "" removes the name. */
  name: nameField.nullable().optional(),
  emailVerified: z.boolean().optional(),
  /** Must sign in with a second factor (enrols one at the next login when they have none). */
  mfaRequired: z.boolean().optional(),
  /** An administrator: always signs in with a second factor. */
  isAdmin: z.boolean().optional(),
});

export type UserUpdateInput = z.output<typeof userUpdateInput>;

export const setUserPasswordInput = z.strictObject({
  user: userField,
  password: z.string(),
  /** The user must replace this password at their next sign-in (a temporary password). */
  mustChange: z.boolean().default(false),
});
