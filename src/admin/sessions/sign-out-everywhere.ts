// users.sign-out-everywhere: end all of a user's sessions and grants (with their codes and tokens),
// without disabling them.
import { z } from 'zod';
import { bumpCredentialEpoch } from '../../storage/accounts.ts';
import { endEverythingOfUser } from '../../storage/user-sessions.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { resolveAccount, userRefInput } from '../users/user-ref.ts';
import { userFlags, userTarget } from '../users/user-flags.ts';

const signedOutEverywhere = answer(
  'UserSignedOutEverywhere',
  z.object({
    userId: z.string(),
    email: z.string(),
    sessionIds: z.array(z.string()),
    grantIds: z.array(z.string()),
    otherRecords: z.number().int().describe('codes and tokens ended besides the sessions and grants'),
  }),
);

export const signOutEverywhere = defineOperation({
  name: 'users.sign-out-everywhere',
  summary: "end all of a user's sessions and grants (with their codes and tokens), without disabling them",
  input: userRefInput,
  output: signedOutEverywhere,
  http: {
    method: 'POST',
    path: '/users/{user}/sign-out-everywhere',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    errors: [404, ...BODY_ERRORS],
    summary: "End all of a user's sessions and grants, with their codes and tokens, without disabling the user",
  },
  cli: {
    command: 'users sign-out-everywhere',
    summary: "end all of a user's sessions and grants (with their tokens) without disabling them",
    target: userTarget,
    flags: userFlags,
    print(ended, output) {
      output.out(
        `Signed ${ended.email} (${ended.userId}) out everywhere: ended ${ended.sessionIds.length} session(s), ${ended.grantIds.length} grant(s) and ${ended.otherRecords} token(s) or code(s)`,
      );
    },
  },
  async run(ctx, input): Promise<z.output<typeof signedOutEverywhere>> {
    return adminChange(ctx, async (tx) => {
      const account = await resolveAccount(tx, input.user);
      // sign-ins half-way through and account-page proofs of the user end too (credential epoch)
      await bumpCredentialEpoch(tx, account.id);
      const ended = await endEverythingOfUser(tx, account.id);
      const result = {
        userId: account.id,
        email: account.email,
        sessionIds: ended.sessionIds,
        grantIds: ended.grantIds,
        otherRecords: ended.others,
      };
      const details = { sessionIds: result.sessionIds, grantIds: result.grantIds, otherRecords: result.otherRecords };
      return { result, event: { type: 'user.signed_out_everywhere', target: { type: 'user', id: account.id }, details } };
    });
  },
});
