// The API registry through the admin API (/resources) on both deployments: registry fields, PATCH
// with ETag / If-Match, scopes taken from clients when an API drops them (on every process), review
// dates judged by the server's clock, every change audited with the admin who made it. Every answer
// is checked against the published OpenAPI document.
import type { ExecutionContext } from 'ava';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { createTestClient, postForm, type TestClient } from '../helpers/fixtures.ts';
import { adminTest, API, type Answer } from '../helpers/admin-harness.ts';
import type { TestServer } from '../helpers/server.ts';

const DAY_MS = 86_400_000;
const at = (identifier: string) => `/resources/${encodeURIComponent(identifier)}`;
/** The UTC calendar date `days` from the real today. */
const day = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

const REGISTRY = {
  identifier: API,
  name: 'Orders API',
  description: 'Takes and tracks customer orders',
  owner: 'Orders team <orders@example.com>',
  purpose: 'Order intake for the web shop and the mobile app',
  classification: 'confidential',
  liveDate: '2025-03-01',
  nextReviewDate: '2099-03-01',
  scopes: [
    { name: 'read', description: 'Read orders' },
    { name: 'write', description: 'Place and change orders' },
  ],
  tokenTtl: 600,
};

async function auditDetails(server: TestServer, type: string) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ actor_type: string; actor_id: string; target_id: string; details: any }>(
    'SELECT actor_type, actor_id, target_id, details FROM audit_events WHERE type = $1 ORDER BY seq',
    [type],
  );
  return rows;
}

/** The token endpoint's answer to a client asking for `scope` on the API. */
const tokenFor = (on: TestServer, client: TestClient, scope: string) =>
  postForm(`${on.url}/token`, { grant_type: 'client_credentials', resource: API, scope }, client);

/**
 * The scope the token endpoint settles on granting. A process learns of a change by NOTIFY, a moment
 * after the commit: a bounded number of requests, no sleeping.
 */
async function settledScope(on: TestServer, client: TestClient, scope: string, from: string): Promise<string | undefined> {
  let granted: string | undefined = from;
  for (let attempt = 0; attempt < 50 && granted === from; attempt++)
    granted = (await tokenFor(on, client, scope)).body.scope as string | undefined;
  return granted;
}

function refusedWith(t: ExecutionContext, answer: Answer, status: number, description?: RegExp): void {
  t.is(answer.status, status, JSON.stringify(answer.body));
  if (description) t.regex(answer.body?.error_description ?? '', description);
}

adminTest(
  'an API is registered with its owner, purpose, classification and dates; every answer carries its ETag',
  async (t, { server, call, token, bootstrap }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    const created = await call('POST', '/resources', { token: bearer, json: REGISTRY });
    t.is(created.status, 201, JSON.stringify(created.body));
    t.like(created.body, { ...REGISTRY, reviewOverdue: false, lastReviewedAt: null });
    t.regex(created.headers.get('etag') ?? '', /^"[\w-]{27}"$/);

    const shown = await call('GET', at(API), { token: bearer });
    t.deepEqual(shown.body, created.body);
    t.is(shown.headers.get('etag'), created.headers.get('etag'), 'the tag of the answer to a create is the tag GET shows');
    t.true(
      (await call('GET', '/resources', { token: bearer })).body.items.some(
        (item: { identifier: string; owner: string }) => item.identifier === API && item.owner === REGISTRY.owner,
      ),
    );

    // without registry fields: nothing is made up, and the API still comes up for review (a year on)
    const bare = await call('POST', '/resources', { token: bearer, json: { identifier: 'urn:example:reports' } });
    t.is(bare.status, 201);
    t.like(bare.body, { owner: null, classification: null, liveDate: null, description: '', purpose: '', reviewOverdue: false });
    t.true([day(365), day(366), day(364)].includes(bare.body.nextReviewDate), bare.body.nextReviewDate);

    // the admin API registered itself (migration 0006): restricted, owned by the operators, live today
    const builtIn = await call('GET', at(ADMIN_AUDIENCE), { token: bearer });
    t.like(builtIn.body, { classification: 'restricted', reviewOverdue: false, lastReviewedAt: null });
    t.regex(builtIn.body.owner, /operators/);
    t.true(builtIn.body.nextReviewDate > builtIn.body.liveDate);

    const [event] = await auditDetails(server, 'resource.created');
    t.like(event, { actor_type: 'admin', actor_id: `client:${admin.clientId}`, target_id: API });
    t.like(event?.details, { owner: REGISTRY.owner, classification: 'confidential', liveDate: '2025-03-01', nextReviewDate: '2099-03-01' });
  },
);

adminTest(
  'PATCH changes what it names with If-Match: a stale tag is 412, a missing one 428, and neither changes anything',
  async (t, { server, call, token, bootstrap }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    const created = await call('POST', '/resources', { token: bearer, json: REGISTRY });
    const first = created.headers.get('etag')!;

    const change = { owner: 'Platform team', classification: 'restricted', description: 'Orders, now with returns', tokenTtl: null };
    const updated = await call('PATCH', at(API), { token: bearer, json: change, headers: { 'if-match': first } });
    t.is(updated.status, 200, JSON.stringify(updated.body));
    t.like(updated.body, {
      ...change,
      name: REGISTRY.name,
      purpose: REGISTRY.purpose,
      liveDate: REGISTRY.liveDate,
      scopes: REGISTRY.scopes,
    });
    const second = updated.headers.get('etag')!;
    t.not(second, first);
    const shown = await call('GET', at(API), { token: bearer });
    t.is(shown.headers.get('etag'), second, "the answer's tag is the one GET shows");
    t.deepEqual(shown.body, updated.body);

    // the first tag is stale now: 412, nothing changed
    refusedWith(
      t,
      await call('PATCH', at(API), { token: bearer, json: { owner: 'Someone else' }, headers: { 'if-match': first } }),
      412,
      /^ifMatch: /,
    );
    refusedWith(t, await call('PATCH', at(API), { token: bearer, json: { owner: 'Someone else' } }), 428, /^ifMatch: /);
    refusedWith(
      t,
      await call('PATCH', at(API), { token: bearer, json: { owner: 'Someone else' }, headers: { 'if-match': `W/${second}` } }),
      412,
    );
    t.is((await call('GET', at(API), { token: bearer })).body.owner, 'Platform team');

    // the same values again: no change, no event, the same tag
    const again = await call('PATCH', at(API), { token: bearer, json: change, headers: { 'if-match': second } });
    t.is(again.status, 200);
    t.is(again.headers.get('etag'), second);

    const events = await auditDetails(server, 'resource.updated');
    t.is(events.length, 1);
    t.like(events[0], { actor_type: 'admin', actor_id: `client:${admin.clientId}`, target_id: API });
    t.deepEqual(events[0]?.details.changed, ['description', 'owner', 'classification', 'tokenTtl']);

    // the admin API's registry entry can be kept up to date; its scopes cannot be changed
    const builtIn = await call('GET', at(ADMIN_AUDIENCE), { token: bearer });
    const keptScopes = builtIn.body.scopes as { name: string; description: string }[];
    refusedWith(
      t,
      await call('PATCH', at(ADMIN_AUDIENCE), {
        token: bearer,
        json: { scopes: keptScopes.slice(1) },
        headers: { 'if-match': builtIn.headers.get('etag')! },
      }),
      409,
      /^scopes: .*built in/,
    );
    const owned = await call('PATCH', at(ADMIN_AUDIENCE), {
      token: bearer,
      json: { owner: 'SRE <sre@example.com>', scopes: keptScopes },
      headers: { 'if-match': builtIn.headers.get('etag')! },
    });
    t.is(owned.status, 200, JSON.stringify(owned.body));
    t.is(owned.body.owner, 'SRE <sre@example.com>');
    t.is((await call('GET', '/clients', { token: bearer })).status, 200, 'the admin API still works');
  },
);

adminTest(
  'bad registry input is refused with a 400 naming the field, and nothing is half-written',
  async (t, { call, token, bootstrap }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    const created = await call('POST', '/resources', { token: bearer, json: REGISTRY });
    const etag = created.headers.get('etag')!;
    const refused = async (
      status: number,
      method: string,
      path: string,
      json: unknown,
      description: RegExp,
      headers: Record<string, string> = {},
    ) => {
      refusedWith(t, await call(method, path, { token: bearer, json, headers }), status, description);
    };
    const other = { identifier: 'https://other.example.com' };
    await refused(400, 'POST', '/resources', { ...other, liveDate: '2025-02-30' }, /^liveDate: is not a real date/);
    await refused(400, 'POST', '/resources', { ...other, liveDate: '01/03/2025' }, /^liveDate: must be a date written YYYY-MM-DD/);
    await refused(
      400,
      'POST',
      '/resources',
      { ...other, classification: 'top-secret' },
      /^classification: must be one of public, internal, confidential, restricted/,
    );
    await refused(
      400,
      'POST',
      '/resources',
      { ...other, liveDate: '2025-06-01', nextReviewDate: '2025-05-01' },
      /^nextReviewDate: must not be before the live date/,
    );
    await refused(400, 'POST', '/resources', { ...other, owner: '' }, /^owner: must not be empty/);
    await refused(400, 'POST', '/resources', { ...other, risk: 'high' }, /^input: unknown field\(s\) "risk"/);
    await refused(413, 'POST', '/resources', { ...other, description: 'x'.repeat(70 * 1024) }, /./);

    const ifMatch = { 'if-match': etag };
    await refused(400, 'PATCH', at(API), { nextReviewDate: '2025-13-01' }, /^nextReviewDate: is not a real date/, ifMatch);
    await refused(400, 'PATCH', at(API), { classification: 'secret' }, /^classification: must be one of/, ifMatch);
    await refused(400, 'PATCH', at(API), { owner: 42 }, /^owner: must be a string/, ifMatch);
    await refused(400, 'PATCH', at(API), { risk: 'high' }, /^input: unknown field\(s\) "risk"/, ifMatch);
    await refused(400, 'PATCH', at(API), { scopes: [{ name: 'read' }, { name: 'read' }] }, /^scopes: "read" is listed twice/, ifMatch);
    await refused(
      400,
      'PATCH',
      at(API),
      { nextReviewDate: '2025-01-01' },
      /^nextReviewDate: must not be before the live date \(2025-03-01\)/,
      ifMatch,
    );
    await refused(400, 'PATCH', at(API), { liveDate: '2100-01-01' }, /^liveDate: must not be after the next review date/, ifMatch);
    await refused(413, 'PATCH', at(API), { purpose: 'x'.repeat(70 * 1024) }, /./, ifMatch);
    await refused(404, 'PATCH', at('https://nowhere.example.com'), { owner: 'X' }, /^identifier: no resource server/, ifMatch);

    await refused(400, 'POST', `${at(API)}/review`, { nextReviewDate: day(-1) }, /^nextReviewDate: must be in the future/);
    await refused(400, 'POST', `${at(API)}/review`, { nextReviewDate: 'next year' }, /^nextReviewDate: must be a date written YYYY-MM-DD/);
    await refused(400, 'POST', `${at(API)}/review`, {}, /^nextReviewDate: is required/);
    await refused(400, 'POST', `${at(API)}/review`, { nextReviewDate: day(30), approved: true }, /unknown field\(s\) "approved"/);
    await refused(
      404,
      'POST',
      `${at('https://nowhere.example.com')}/review`,
      { nextReviewDate: day(30) },
      /^identifier: no resource server/,
    );

    refusedWith(t, await call('GET', '/resources?overdue=yes', { token: bearer }), 400, /^overdue: must be true or false/);
    refusedWith(t, await call('GET', '/resources?overdue=true&overdue=false', { token: bearer }), 400, /^overdue: /);

    // nothing half-written: the API as registered (the same tag), no other API
    const after = await call('GET', at(API), { token: bearer });
    t.is(after.headers.get('etag'), etag);
    t.deepEqual(
      (await call('GET', '/resources', { token: bearer })).body.items.map((item: { identifier: string }) => item.identifier).sort(),
      [API, ADMIN_AUDIENCE].sort(),
    );
  },
);

adminTest('the path names the API: a body cannot retarget a PATCH', async (t, { call, token, bootstrap }) => {
  const admin = await bootstrap();
  const bearer = await token(admin);
  const created = await call('POST', '/resources', { token: bearer, json: REGISTRY });
  const answer = await call('PATCH', at(API), {
    token: bearer,
    json: { identifier: ADMIN_AUDIENCE, owner: 'Mallory' },
    headers: { 'if-match': created.headers.get('etag')! },
  });
  t.is(answer.status, 200);
  t.is(answer.body.identifier, API);
  t.not((await call('GET', at(ADMIN_AUDIENCE), { token: bearer })).body.owner, 'Mallory');
});

adminTest('admin:read cannot change or review an API', async (t, { call, token, bootstrap }) => {
  const admin = await bootstrap();
  const created = await call('POST', '/resources', { token: await token(admin), json: REGISTRY });
  const reader = await token(admin, 'admin:read');
  const patch = await call('PATCH', at(API), {
    token: reader,
    json: { owner: 'Mallory' },
    headers: { 'if-match': created.headers.get('etag')! },
  });
  refusedWith(t, patch, 403);
  t.is(patch.body.error, 'insufficient_scope');
  refusedWith(t, await call('POST', `${at(API)}/review`, { token: reader, json: { nextReviewDate: day(30) } }), 403);
  const shown = await call('GET', at(API), { token: reader });
  t.is(shown.status, 200);
  t.is(shown.headers.get('etag'), created.headers.get('etag'), 'unchanged');
});

adminTest(
  'a scope the API drops is taken from the clients allowed it, and not given back when defined again',
  async (t, { server, call, token, bootstrap }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    const created = await call('POST', '/resources', { token: bearer, json: REGISTRY });
    const worker = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read', 'write'] } });
    const reader = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read'] } });
    t.is((await tokenFor(server, worker, 'write')).status, 200, 'allowed, and now cached');

    const dropped = await call('PATCH', at(API), {
      token: bearer,
      json: { scopes: [REGISTRY.scopes[0]] },
      headers: { 'if-match': created.headers.get('etag')! },
    });
    t.is(dropped.status, 200, JSON.stringify(dropped.body));
    t.deepEqual(dropped.body.scopes, [REGISTRY.scopes[0]]);
    // a scope no API defines any more is unknown: ignored, as OpenID Connect requires, never granted
    t.is(await settledScope(server, worker, 'read write', 'read write'), 'read');
    t.is((await tokenFor(server, worker, 'read')).status, 200, 'the scope it keeps still works');
    t.deepEqual(
      (await call('GET', `/clients/${worker.clientId}`, { token: bearer })).body.resources,
      { [API]: ['read'] },
      "the client's permissions say so",
    );

    const [event] = await auditDetails(server, 'resource.updated');
    t.like(event, { actor_type: 'admin', actor_id: `client:${admin.clientId}`, target_id: API });
    t.deepEqual(
      event?.details,
      { changed: ['scopes'], removedScopes: ['write'], clientsLosingScopes: [{ clientId: worker.clientId, scopes: ['write'] }] },
      'the reader, which never held it, is not named',
    );
    t.is((await tokenFor(server, reader, 'read')).status, 200, 'a client that never held it is untouched');

    // defined again: the clients that lost it do not get it back by themselves
    const readded = await call('PATCH', at(API), {
      token: bearer,
      json: { scopes: REGISTRY.scopes },
      headers: { 'if-match': dropped.headers.get('etag')! },
    });
    t.is(readded.status, 200);
    const refused = await tokenFor(server, worker, 'write');
    t.is(refused.status, 400);
    t.is(refused.body.error, 'invalid_scope', 'a known scope the client may not have is refused');
  },
);

adminTest(
  'a scope dropped through the API on one process is no longer granted by another at once',
  async (t, { server, call, token, bootstrap }) => {
    const sibling = await server.startSibling();
    const admin = await bootstrap();
    const bearer = await token(admin);
    const created = await call('POST', '/resources', { token: bearer, json: REGISTRY });
    const worker = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read', 'write'] } });
    t.is((await tokenFor(sibling, worker, 'write')).status, 200, 'the sibling grants it (and caches the client and the API)');

    const dropped = await call('PATCH', at(API), {
      token: bearer,
      json: { scopes: [REGISTRY.scopes[0]] },
      headers: { 'if-match': created.headers.get('etag')! },
    });
    t.is(dropped.status, 200);
    // the sibling's token endpoint reads its cache, which follows the notification
    t.is(await settledScope(sibling, worker, 'read write', 'read write'), 'read');
    t.is((await tokenFor(sibling, worker, 'read')).status, 200);
    // and the sibling's admin API shows the change (it reads the database). The processes listen on
    // different ports, so each is its own issuer: the sibling takes a token of its own.
    const siblingToken = await postForm(
      `${sibling.url}/token`,
      { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, scope: 'admin:read' },
      admin,
    );
    const shown = await call('GET', at(API), { token: siblingToken.body.access_token as string, on: sibling });
    t.deepEqual(shown.body.scopes, [REGISTRY.scopes[0]]);
    t.is(shown.headers.get('etag'), dropped.headers.get('etag'), 'both processes tag the API alike');
  },
  { only: 'postgres+redis' },
);

adminTest(
  "reviews fall overdue by the server's clock; the listing shows and filters them, page by page; a review clears the flag",
  async (t, { server, call, token, bootstrap, advance }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    // Tokens are issued on the real clock, so the clock goes back first and then forward to today:
    // moving it far ahead would expire every token.
    advance(-10 * 86_400);
    const soon = day(-9); // tomorrow, ten days ago
    const overdueSoon = ['https://a.example.com', 'https://c.example.com', 'https://e.example.com', 'https://g.example.com'];
    const later = ['https://b.example.com', 'https://d.example.com', 'https://f.example.com'];
    for (const identifier of overdueSoon)
      t.is((await call('POST', '/resources', { token: bearer, json: { identifier, owner: 'Team', nextReviewDate: soon } })).status, 201);
    for (const identifier of later)
      t.is((await call('POST', '/resources', { token: bearer, json: { identifier, owner: 'Team' } })).status, 201);
    const before = await call('GET', at(overdueSoon[0]!), { token: bearer });
    t.false(before.body.reviewOverdue);
    t.is((await call('GET', '/resources?overdue=true', { token: bearer })).body.items.length, 0, 'nothing is overdue yet');

    advance(10 * 86_400);
    const now = await call('GET', at(overdueSoon[0]!), { token: bearer });
    t.true(now.body.reviewOverdue);
    t.not(now.headers.get('etag'), before.headers.get('etag'), 'what an admin sees has changed, so has the tag');

    /** Every identifier of the listing, following its cursors `limit` at a time. */
    const listAll = async (query: string) => {
      const identifiers: string[] = [];
      const flags: boolean[] = [];
      let cursor: string | null = null;
      do {
        const page: Answer = await call('GET', `/resources?${query}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
          token: bearer,
        });
        t.is(page.status, 200, JSON.stringify(page.body));
        t.true(page.body.items.length <= 2);
        identifiers.push(...page.body.items.map((item: { identifier: string }) => item.identifier));
        flags.push(...page.body.items.map((item: { reviewOverdue: boolean }) => item.reviewOverdue));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      return { identifiers, flags };
    };
    const overdue = await listAll('overdue=true');
    t.deepEqual(overdue.identifiers, overdueSoon);
    t.true(overdue.flags.every(Boolean));
    const current = await listAll('overdue=false');
    t.deepEqual(current.identifiers, [...later, ADMIN_AUDIENCE]);
    t.false(current.flags.some(Boolean));
    const everything = await call('GET', '/resources?limit=200', { token: bearer });
    t.deepEqual(
      everything.body.items
        .filter((item: { reviewOverdue: boolean }) => item.reviewOverdue)
        .map((item: { identifier: string }) => item.identifier),
      overdueSoon,
      'the full listing shows the flag',
    );

    // an admin who read the API before it fell overdue is told it changed
    refusedWith(
      t,
      await call('PATCH', at(overdueSoon[0]!), {
        token: bearer,
        json: { owner: 'X' },
        headers: { 'if-match': before.headers.get('etag')! },
      }),
      412,
    );

    const next = day(90);
    const reviewed = await call('POST', `${at(overdueSoon[0]!)}/review`, {
      token: bearer,
      json: {
        nextReviewDate: next,
        note: 'scopes and owner checked',
        riskLevel: 'low',
        impactedData: ['order history'],
        treatment: 'accept',
      },
    });
    t.is(reviewed.status, 200, JSON.stringify(reviewed.body));
    t.like(reviewed.body, { nextReviewDate: next, reviewOverdue: false });
    t.true(Math.abs(Date.parse(reviewed.body.lastReviewedAt) - Date.now()) < 60_000, reviewed.body.lastReviewedAt);
    t.is(reviewed.headers.get('etag'), (await call('GET', at(overdueSoon[0]!), { token: bearer })).headers.get('etag'));
    t.deepEqual((await listAll('overdue=true')).identifiers, overdueSoon.slice(1));

    const [event] = await auditDetails(server, 'resource.reviewed');
    t.like(event, { actor_type: 'admin', actor_id: `client:${admin.clientId}`, target_id: overdueSoon[0] });
    t.deepEqual(event?.details, {
      previousReviewDate: soon,
      nextReviewDate: next,
      note: 'scopes and owner checked',
      riskAssessment: {
        riskLevel: 'low',
        impactedSystems: [],
        impactedData: ['order history'],
        treatment: 'accept',
        treatmentPlan: '',
        controls: [],
      },
    });
  },
);
