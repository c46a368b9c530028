// Parameter tampering on the admin API: every route of the route table called with every set of
// admin scopes (the BOLA / broken function-level authorization matrix), and the lost-update guard
// skipped with `If-Match: *` (attack 20 of issue 11).
import { ADMIN_SCOPES, type AdminScope } from '../../src/admin/operation/admin-scopes.ts';
import type { AdminRoute } from '../../src/admin/operation/http-binding.ts';
import { ADMIN_ROUTES } from '../../src/admin/registry.ts';
import { adminTest, API } from '../helpers/admin-harness.ts';
import { createResource } from '../helpers/fixtures.ts';
import test from 'ava';

const { read, write, users } = ADMIN_SCOPES;
const SCOPE_SETS: AdminScope[][] = [[read], [write], [users], [read, write], [read, users], [write, users], [read, write, users]];

/** The route's path with made-up parameters (an email for a user, so the lookup is well-formed). */
const concretePath = (route: AdminRoute) =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'user' ? 'nobody%40example.com' : `nobody-${name}`));

test('the route table asks the scopes the policy says: reads need admin:read, changes admin:write, anything about users admin:users', (t) => {
  for (const route of ADMIN_ROUTES) {
    const expected = [route.method === 'GET' ? read : write, ...(route.tag === 'users' ? [users] : [])];
    t.deepEqual([...route.scopes].sort(), expected.sort(), `${route.method} ${route.path}`);
  }
});

adminTest(
  'every admin route refuses every token lacking one of its scopes with 403 insufficient_scope, and lets the others through',
  async (t, harness) => {
    const { call, bootstrap, token } = harness;
    const admin = await bootstrap();
    const tokens = new Map<AdminScope[], string>();
    for (const scopes of SCOPE_SETS) tokens.set(scopes, await token(admin, scopes.join(' ')));
    let refusals = 0;
    for (const route of ADMIN_ROUTES) {
      for (const [scopes, bearer] of tokens) {
        const body = route.body === 'json' ? { json: {} } : {};
        const answer = await call(route.method, concretePath(route), { token: bearer, ...body, headers: { 'if-match': '"made-up"' } });
        const label = `${route.method} ${route.path} with ${scopes.join(' ')}`;
        if (route.scopes.every((scope) => scopes.includes(scope))) {
          t.not(answer.status, 403, `${label}: ${JSON.stringify(answer.body)}`);
          t.true(answer.status < 500, label);
          continue;
        }
        refusals += 1;
        t.is(answer.status, 403, label);
        t.is(answer.body?.error, 'insufficient_scope', label);
        t.regex(answer.headers.get('www-authenticate') ?? '', /^Bearer .*error="insufficient_scope"/, label);
      }
    }
    t.true(refusals > ADMIN_ROUTES.length, 'the matrix refused many calls');
  },
);

adminTest('If-Match: * does not skip the lost-update guard: an update must name the entity tag it read (428)', async (t, harness) => {
  const { call, bootstrap, token, server } = harness;
  const bearer = await token(await bootstrap());
  await createResource(server.db, API, ['read']);
  const client = await call('POST', '/clients', {
    token: bearer,
    json: { name: 'App', grantTypes: ['client_credentials'], resources: [API], scopes: ['read'] },
  });
  const user = await call('POST', '/users', {
    token: bearer,
    json: { email: 'alice@example.com', password: 'correct horse battery staple' },
  });
  const targets = [
    { path: `/clients/${client.body.clientId}`, json: { name: 'Overwritten' } },
    { path: `/resources/${encodeURIComponent(API)}`, json: { owner: 'Overwritten' } },
    { path: `/users/${user.body.id}`, json: { name: 'Overwritten' } },
  ];
  for (const { path, json } of targets) {
    const before = await call('GET', path, { token: bearer });
    for (const ifMatch of ['*', ' * ', `*, ${before.headers.get('etag')}`]) {
      const blind = await call('PATCH', path, { token: bearer, json, headers: { 'if-match': ifMatch } });
      t.is(blind.status, 428, `${path} with If-Match: ${ifMatch}: ${JSON.stringify(blind.body)}`);
      t.is(blind.body.error, 'precondition_required');
      t.regex(blind.body.error_description, /^ifMatch: /);
    }
    t.is((await call('GET', path, { token: bearer })).headers.get('etag'), before.headers.get('etag'), `${path} was not changed`);
    const named = await call('PATCH', path, { token: bearer, json, headers: { 'if-match': before.headers.get('etag')! } });
    t.is(named.status, 200, `${path}: the tag as read still works`);
  }
});
