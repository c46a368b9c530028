// Address squatting: someone signs up with another person's email address and never verifies it. The
// address's owner must still be able to take the account over through the forgotten-password link —
// the link reached their mailbox, which is what verification proves — and sign in with their own password.
import { randomBytes } from 'node:crypto';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient } from '../helpers/fixtures.ts';
import { NEW_PASSWORD, PasswordReset } from '../helpers/password-reset.ts';
import { SIGN_UP_PASSWORD, signUp } from '../helpers/registration.ts';
import { authorize, UserAgent } from '../helpers/user-agent.ts';

testEachBackend(
  "a squatter's unverified sign-up with the owner's address: the owner's password reset verifies the address, the squatter's password is gone",
  async (t, server) => {
    const client = await createTestClient(server);
    const email = `owner-${randomBytes(4).toString('hex')}@example.com`;
    t.is((await signUp(server, { email, name: 'Squatter' }, new UserAgent())).status, 200);

    t.is((await new PasswordReset(server).resetTo(email)).status, 200);

    const owner = await authorize({ issuer: server.url, clientId: client.clientId, email, password: NEW_PASSWORD });
    t.truthy(owner.code, 'the owner signs in with the password the reset set');
    const squatter = await authorize({ issuer: server.url, clientId: client.clientId, email, password: SIGN_UP_PASSWORD });
    t.is(squatter.code, undefined, "the squatter's password no longer works");
  },
  { env: { REGISTRATION: 'open' } },
);
