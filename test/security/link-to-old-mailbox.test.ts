// Attack: a one-time link mailed to an address the account no longer has. The old mailbox may be the
// very reason the address was changed (a lost or taken-over mailbox, a former employer's domain):
// whoever reads it now must not be able to act on the account through a link sent there before the
// change. The account page's own email change voids such links (it moves the credential epoch on);
// an administrator's change of the address (users update --email) must do the same.
import test from 'ava';
import { findAccountById } from '../../src/storage/accounts.ts';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { PasswordReset } from '../helpers/password-reset.ts';
import { createUser, PASSWORD } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';

for (const backend of BACKENDS) {
  test.serial(`[${backend.name}] a reset link sent to the old address is void once an administrator changed the address`, async (t) => {
    const server = await startTestServer(backend);
    t.teardown(() => server.close());
    const user = await createUser(server.db);
    const reset = new PasswordReset(server);
    await reset.request(user.email);
    const oldMailboxToken = PasswordReset.tokenOf(await reset.link(user.email));

    const newEmail = `moved-${user.email}`;
    await runAsOperator(server, 'users.update', { user: user.id, email: newEmail });

    // the reader of the old mailbox opens the link and sets a password of their choosing
    const attacker = new PasswordReset(server);
    const opened = await attacker.get(`/account/reset-password?token=${encodeURIComponent(oldMailboxToken)}`);
    t.is(opened.status, 410, 'the link from the old mailbox no longer opens a reset form');
    const posted = await attacker.setPassword(oldMailboxToken, 'the old mailbox reader chose this one');
    t.is(posted.status, 410);
    const account = await findAccountById(server.db, user.id);
    t.true(await verifyPassword(account!.passwordHash!, PASSWORD), 'the password is unchanged');

    // the owner, at the new address, can still reset it
    await reset.request(newEmail);
    const fresh = PasswordReset.tokenOf(await reset.link(newEmail));
    t.is((await reset.setPassword(fresh)).status, 200);
  });
}
