// users.invite and users.verify-email over the admin API (the CLI runs the same operations:
// test/integration/invitation.test.ts): answers checked against the OpenAPI document by the harness,
// the inviter named in the email, the administrator as the audit's actor, 409 for an address in use.
import { randomBytes } from 'node:crypto';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { adminTest, adminUserToken, auditEvents } from '../helpers/admin-harness.ts';
import { createTestClient, createUser } from '../helpers/fixtures.ts';
import { lastEmailTo } from '../helpers/outbox.ts';
import { signUp } from '../helpers/registration.ts';

const newEmail = () => `api-${randomBytes(4).toString('hex')}@example.com`;

adminTest(
  'an administrator invites through the admin API: the email names them; an address in use is refused',
  async (t, harness) => {
    const { server, call } = harness;
    const console = await createTestClient(server, {
      firstParty: true,
      resources: { [ADMIN_AUDIENCE]: ['admin:read', 'admin:write', 'admin:users'] },
    });
    const admin = await createUser(server.db);
    await server.db.query("UPDATE accounts SET is_admin = true, name = 'Grace Admin' WHERE id = $1", [admin.id]);
    const secret = generateTotpSecret();
    await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
      admin.id,
      encryptTotpSecret(server.portcullis.keys.encryptionKey, admin.id, secret),
    ]);
    const token = await adminUserToken(harness, admin.email, console, secret);

    const email = newEmail();
    const invited = await call('POST', '/users/invitations', { token, json: { email, name: 'Bob', clientId: console.clientId } });
    t.is(invited.status, 200);
    t.like(invited.body, { email, name: 'Bob', emailVerified: false, clientId: console.clientId, reinvited: false });
    const mail = await lastEmailTo(server, email, 'invite');
    t.is(mail.data.inviter, 'Grace Admin');
    const events = await auditEvents(server);
    t.true(
      events.some((event) => event.type === 'user.invited' && event.actor_id === `user:${admin.id}` && event.target_id === invited.body.id),
    );

    const again = await call('POST', '/users/invitations', { token, json: { email } });
    t.is(again.status, 200);
    t.true(again.body.reinvited);

    const taken = await call('POST', '/users/invitations', { token, json: { email: admin.email } });
    t.is(taken.status, 409);
    const noClient = await call('POST', '/users/invitations', { token, json: { email: newEmail(), clientId: 'no-such-client' } });
    t.is(noClient.status, 400);
    t.regex(noClient.body.error_description, /^clientId: /);
    const badEmail = await call('POST', '/users/invitations', { token, json: { email: 'not an address\r\nBcc: x@example.com' } });
    t.is(badEmail.status, 400);
  },
  { env: { REGISTRATION: 'invite' } },
);

adminTest(
  'users verify-email over the admin API: a self-registered account is verified, audited, ETag of the user',
  async (t, harness) => {
    const { server, call } = harness;
    const client = await harness.bootstrap();
    const token = await harness.token(client);
    const email = newEmail();
    await signUp(server, { email });
    const shown = await call('GET', `/users/${encodeURIComponent(email)}`, { token });
    t.false(shown.body.emailVerified);
    const verified = await call('POST', `/users/${encodeURIComponent(email)}/verify-email`, { token });
    t.is(verified.status, 200);
    t.true(verified.body.emailVerified);
    t.truthy(verified.headers.get('etag'));
    // again: nothing to change, no second event
    t.is((await call('POST', `/users/${encodeURIComponent(email)}/verify-email`, { token })).status, 200);
    const events = (await auditEvents(server)).filter((event) => event.type === 'user.email_verified');
    t.is(events.length, 1);
    t.is(events[0]!.actor_id, `client:${client.clientId}`);
    t.is((await call('POST', '/users/nobody@example.com/verify-email', { token })).status, 404);
  },
  { env: { REGISTRATION: 'open' } },
);
