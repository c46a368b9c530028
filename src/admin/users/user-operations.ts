// The users area (accounts): its operations, in the order the CLI's help lists them. Their sessions
// and grants (`users sessions ...`) are an area of their own.
import { createUser } from './create-user.ts';
import { deleteUser } from './delete-user.ts';
import { disableUser } from './disable-user.ts';
import { enableUser } from './enable-user.ts';
import { listUsers } from './list-users.ts';
import { requirePasswordChange } from './require-password-change.ts';
import { resetUserMfa } from './reset-user-mfa.ts';
import { sendPasswordReset } from './send-password-reset.ts';
import { setUserPassword } from './set-user-password.ts';
import { showUser } from './show-user.ts';
import { unlockUser } from './unlock-user.ts';
import { updateUser } from './update-user.ts';
import { inviteUser } from './invite-user.ts';
import { verifyUserEmail } from './verify-user-email.ts';

export const USER_OPERATIONS = [
  createUser,
  inviteUser,
  listUsers,
  showUser,
  updateUser,
  setUserPassword,
  sendPasswordReset,
  requirePasswordChange,
  verifyUserEmail,
  disableUser,
  enableUser,
  resetUserMfa,
  unlockUser,
  deleteUser,
];
