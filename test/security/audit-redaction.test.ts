// Attack 18 (issue 11): the audit trail reads around admin:users. A token with admin:read alone is
// refused /admin/v1/users, so it must not read who the users are from /admin/v1/audit/events either:
// without admin:users, user ids, email addresses, IP addresses and user agents are redacted, and the
// trail cannot be filtered by user. With admin:users the same events are shown whole.
import { ADMIN_SCOPES } from '../../src/admin/operation/admin-scopes.ts';
import { adminTest } from '../helpers/admin-harness.ts';
import { createTestClient } from '../helpers/fixtures.ts';
import { authorize } from '../helpers/user-agent.ts';

const { read, users } = ADMIN_SCOPES;
const EMAIL = 'alice.private@example.com';
const PASSWORD = 'correct horse battery staple';

adminTest(
  'a token with admin:read alone reads the audit trail without user ids, email or IP addresses, and cannot filter by user',
  async (t, harness) => {
    const { call, bootstrap, token, server } = harness;
    const admin = await bootstrap();
    const full = await token(admin);
    const created = await call('POST', '/users', { token: full, json: { email: EMAIL, password: PASSWORD } });
    t.is(created.status, 201, JSON.stringify(created.body));
    const userId = created.body.id as string;
    const client = await createTestClient(server);
    // one failed and one good sign-in: events about the user, with the address they came from
    await authorize({ issuer: server.url, clientId: client.clientId, email: EMAIL, password: 'not the password at all', scope: 'openid' });
    await authorize({ issuer: server.url, clientId: client.clientId, email: EMAIL, password: PASSWORD, scope: 'openid' });
    await server.portcullis.audit.flush();

    // the attacker: admin:read alone
    const reader = await token(admin, read);
    t.is((await call('GET', '/users', { token: reader })).status, 403, 'refused the user list');
    const page = await call('GET', '/audit/events?limit=200', { token: reader });
    t.is(page.status, 200, JSON.stringify(page.body));
    const types = (page.body.events as { type: string }[]).map((event) => event.type);
    for (const type of ['user.created', 'login.failed', 'login.succeeded']) t.true(types.includes(type), `the ${type} event is listed`);
    const dump = JSON.stringify(page.body);
    t.false(dump.includes(userId), 'no user id');
    t.false(dump.toLowerCase().includes(EMAIL), 'no email address');
    t.false(dump.includes('127.0.0.1'), 'no IP address');
    t.false(
      /node|undici|Mozilla/i.test(JSON.stringify((page.body.events as { userAgent: unknown }[]).map((event) => event.userAgent))),
      'no user agent',
    );

    const filtered = await call('GET', `/audit/events?userId=${userId}`, { token: reader });
    t.is(filtered.status, 403, 'the trail cannot be searched by user');
    t.is(filtered.body.error, 'insufficient_scope');

    // with admin:users the same events are whole
    const whole = await call('GET', '/audit/events?limit=200', { token: await token(admin, `${read} ${users}`) });
    const wholeDump = JSON.stringify(whole.body);
    t.true(wholeDump.includes(userId));
    t.true(wholeDump.includes(EMAIL));
    t.true(wholeDump.includes('127.0.0.1'));
    const byUser = await call('GET', `/audit/events?userId=${userId}`, { token: await token(admin, `${read} ${users}`) });
    t.is(byUser.status, 200);
    t.true(byUser.body.events.length >= 2);
  },
);
