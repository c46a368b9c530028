// The API registry's risk assessment (issue 13): each review records what a compromise of the API
// would impact, its risk level, and the treatment with its controls; the registry shows the one in
// force, keeps every review (history, paged) and audits each. Checked against the published
// OpenAPI document on both backends, which lists the new route without any change outside the
// resources area's definitions.
import type { ExecutionContext } from 'ava';
import { adminTest, type Answer } from '../helpers/admin-harness.ts';
import { refuseAuditEvents } from '../helpers/refusing-audit-store.ts';
import type { TestServer } from '../helpers/server.ts';

const API = 'https://orders.example.com';
const at = (identifier: string) => `/resources/${encodeURIComponent(identifier)}`;
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

const ASSESSMENT = {
  riskLevel: 'high',
  impactedSystems: ['order database', 'payment gateway'],
  impactedData: ['customer addresses', 'order history'],
  treatment: 'mitigate',
  treatmentPlan: 'Payments team, by 2027-06',
  controls: ['mTLS from the gateway', 'per-client quotas'],
};

function refusedWith(t: ExecutionContext, answer: Answer, status: number, description?: RegExp): void {
  t.is(answer.status, status, JSON.stringify(answer.body));
  if (description) t.regex(answer.body.error_description, description);
}

async function reviewEvents(server: TestServer) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ actor_id: string; details: any }>(
    "SELECT actor_id, details FROM audit_events WHERE type = 'resource.reviewed' ORDER BY seq",
  );
  return rows;
}

const reviewCount = async (server: TestServer) =>
  Number((await server.db.query<{ n: string }>('SELECT count(*) AS n FROM resource_reviews')).rows[0]!.n);

adminTest(
  'a review records the risk assessment; the API shows the one in force, the history keeps each, the audit names it',
  async (t, { server, call, token, bootstrap }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    t.is((await call('POST', '/resources', { token: bearer, json: { identifier: API, owner: 'Orders team' } })).status, 201);
    t.is((await call('GET', at(API), { token: bearer })).body.riskAssessment, null, 'a new API is not assessed yet');

    const first = await call('POST', `${at(API)}/review`, {
      token: bearer,
      json: { nextReviewDate: day(90), note: 'first look', ...ASSESSMENT },
    });
    t.is(first.status, 200, JSON.stringify(first.body));
    t.like(first.body.riskAssessment, { ...ASSESSMENT, assessedBy: `client:${admin.clientId}` });
    t.true(Math.abs(Date.parse(first.body.riskAssessment.assessedAt) - Date.now()) < 60_000);
    t.deepEqual((await call('GET', at(API), { token: bearer })).body, first.body);

    // A later review changes what it names and re-affirms the rest.
    const second = await call('POST', `${at(API)}/review`, {
      token: bearer,
      json: { nextReviewDate: day(180), riskLevel: 'critical', impactedData: ['card tokens'] },
    });
    t.is(second.status, 200, JSON.stringify(second.body));
    t.like(second.body.riskAssessment, { ...ASSESSMENT, riskLevel: 'critical', impactedData: ['card tokens'] });
    t.not(second.headers.get('etag'), first.headers.get('etag'));

    // The history, newest first, a page at a time.
    const page1 = await call('GET', `${at(API)}/reviews?limit=1`, { token: bearer });
    t.is(page1.status, 200, JSON.stringify(page1.body));
    t.like(page1.body.items[0], { riskLevel: 'critical', note: '', nextReviewDate: day(180), reviewedBy: `client:${admin.clientId}` });
    t.truthy(page1.body.nextCursor);
    const page2 = await call('GET', `${at(API)}/reviews?limit=1&cursor=${page1.body.nextCursor}`, { token: bearer });
    t.like(page2.body, { nextCursor: null });
    t.like(page2.body.items[0], { ...ASSESSMENT, note: 'first look', nextReviewDate: day(90) });

    // The listing (overdue or not) carries the assessment in force.
    const listed = (await call('GET', '/resources', { token: bearer })).body.items.find(
      (item: { identifier: string }) => item.identifier === API,
    );
    t.is(listed.riskAssessment.riskLevel, 'critical');

    const events = await reviewEvents(server);
    t.is(events.length, 2);
    t.deepEqual(events[0]!.details.riskAssessment, ASSESSMENT);
    t.like(events[1]!.details, { previousRiskLevel: 'high', riskAssessment: { riskLevel: 'critical', impactedData: ['card tokens'] } });
  },
);

adminTest('an incomplete assessment is refused by field, and nothing is recorded', async (t, { server, call, token, bootstrap }) => {
  const bearer = await token(await bootstrap());
  await call('POST', '/resources', { token: bearer, json: { identifier: API } });
  const review = (json: Record<string, unknown>) =>
    call('POST', `${at(API)}/review`, { token: bearer, json: { nextReviewDate: day(30), ...json } });

  refusedWith(t, await review({}), 400, /^riskLevel: is required: a review records the API's risk assessment/);
  refusedWith(t, await review({ riskLevel: 'low' }), 400, /^treatment: is required/);
  refusedWith(t, await review({ riskLevel: 'low', treatment: 'accept' }), 400, /^impactedSystems: name at least one system/);
  refusedWith(t, await review({ ...ASSESSMENT, controls: [] }), 400, /^controls: name at least one control/);
  refusedWith(t, await review({ ...ASSESSMENT, riskLevel: 'severe' }), 400, /^riskLevel: must be one of low, medium, high, critical/);
  refusedWith(t, await review({ ...ASSESSMENT, treatment: 'ignore' }), 400, /^treatment: must be one of mitigate, accept, transfer, avoid/);
  t.is(await reviewCount(server), 0);
  t.is((await reviewEvents(server)).length, 0);
});

adminTest(
  'attacks: a reader cannot review, the reviewer cannot be forged, hostile input and forged cursors are 400, an unaudited review is not kept',
  async (t, { server, call, token, bootstrap }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    await call('POST', '/resources', { token: bearer, json: { identifier: API } });
    const review = (json: Record<string, unknown>, as = bearer) =>
      call('POST', `${at(API)}/review`, { token: as, json: { nextReviewDate: day(30), ...ASSESSMENT, ...json } });

    // least privilege: admin:read reads the history but records nothing
    const reader = await token(admin, 'admin:read');
    refusedWith(t, await review({}, reader), 403);
    t.is((await call('GET', `${at(API)}/reviews`, { token: reader })).status, 200);

    // who reviewed comes from the token, never from the body
    refusedWith(t, await review({ reviewedBy: 'user:someone-else' }), 400, /unknown field\(s\) "reviewedBy"/);
    refusedWith(t, await review({ assessedBy: 'someone' }), 400, /unknown field\(s\) "assessedBy"/);

    // hostile values: control characters (terminal rewriting), CRLF, huge lists, wrong types
    refusedWith(t, await review({ controls: ['ok\u001b[2J'] }), 400, /^controls\[0\]: must not contain control characters/);
    refusedWith(t, await review({ controls: ['ok\u0000'] }), 400, /NUL character/);
    refusedWith(t, await review({ impactedSystems: ['db\r\nX-Injected: 1'] }), 400, /^impactedSystems\[0\]: must/);
    refusedWith(t, await review({ impactedData: Array.from({ length: 51 }, (_, i) => `kind ${i}`) }), 400, /^impactedData: at most 50/);
    refusedWith(t, await review({ controls: 'one control' }), 400, /^controls: must be an array/);
    refusedWith(t, await review({ riskLevel: { $ne: null } }), 400, /^riskLevel: /);

    // a cursor is only ever one this listing returned (a forged bigint would reach SQL otherwise)
    const forged = Buffer.from(JSON.stringify(['1; DROP TABLE resource_reviews'])).toString('base64url');
    refusedWith(t, await call('GET', `${at(API)}/reviews?cursor=${forged}`, { token: bearer }), 400, /^cursor: is not a cursor/);
    refusedWith(
      t,
      await call('GET', `${at('https://nowhere.example.com')}/reviews`, { token: bearer }),
      404,
      /^identifier: no resource server/,
    );

    // the review and its audit event commit together or not at all
    const accept = await refuseAuditEvents(server.db, 'admin');
    const unaudited = await review({});
    await accept();
    t.true(unaudited.status >= 500, JSON.stringify(unaudited.body));
    t.is(await reviewCount(server), 0);
    t.is((await call('GET', at(API), { token: bearer })).body.riskAssessment, null);

    t.is((await review({})).status, 200);
    t.is(await reviewCount(server), 1);
  },
);

adminTest(
  'the OpenAPI document describes the review history and the assessment, from the definitions alone',
  async (t, { server, call }) => {
    // the route is served (and its refusal documented) as the document says
    t.is((await call('GET', `${at(API)}/reviews`)).status, 401);
    const document = (await (await fetch(`${server.url}/admin/v1/openapi.json`)).json()) as Record<string, any>;
    const history = document.paths['/resources/{identifier}/reviews']?.get;
    t.is(history?.operationId, 'resourcesReviews');
    t.deepEqual(history?.security, [{ adminToken: ['admin:read'] }]);
    t.is(history?.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/ResourceReviewList');
    const review = document.paths['/resources/{identifier}/review'].post.requestBody.content['application/json'].schema;
    t.deepEqual(review.properties.riskLevel.enum, ['low', 'medium', 'high', 'critical']);
    t.deepEqual(document.components.schemas.ResourceServer.properties.riskAssessment.anyOf[0], {
      $ref: '#/components/schemas/RiskAssessment',
    });
  },
);

adminTest(
  'with If-Match a review signs off exactly what was read: a change made meanwhile is a 412 and nothing is recorded',
  async (t, { server, call, token, bootstrap }) => {
    const bearer = await token(await bootstrap());
    await call('POST', '/resources', { token: bearer, json: { identifier: API } });
    const first = await call('POST', `${at(API)}/review`, { token: bearer, json: { nextReviewDate: day(30), ...ASSESSMENT } });
    const read = first.headers.get('etag')!;
    // another admin lowers the risk meanwhile
    t.is((await call('POST', `${at(API)}/review`, { token: bearer, json: { nextReviewDate: day(40), riskLevel: 'low' } })).status, 200);
    const reaffirm = (ifMatch: string) =>
      call('POST', `${at(API)}/review`, { token: bearer, json: { nextReviewDate: day(60) }, headers: { 'if-match': ifMatch } });
    refusedWith(t, await reaffirm(read), 412, /^ifMatch: the object has changed since it was read/);
    refusedWith(t, await reaffirm('*'), 428, /^ifMatch: "\*" does not say which version was read/);
    t.is(await reviewCount(server), 2, 'the refused sign-offs recorded nothing');
    const current = (await call('GET', at(API), { token: bearer })).headers.get('etag')!;
    const signed = await reaffirm(current);
    t.is(signed.status, 200, JSON.stringify(signed.body));
    t.like(signed.body.riskAssessment, { riskLevel: 'low', impactedSystems: ASSESSMENT.impactedSystems });
  },
);

adminTest("reviewing the admin API's own entry takes every admin scope, as changing it does", async (t, { call, token, bootstrap }) => {
  const admin = await bootstrap();
  const review = async (scope: string) =>
    call('POST', `/resources/${encodeURIComponent('urn:portcullis:admin')}/review`, {
      token: await token(admin, scope),
      json: { nextReviewDate: day(30), riskLevel: 'low', impactedSystems: ['every client and user'], treatment: 'accept' },
    });
  refusedWith(t, await review('admin:read admin:write'), 403, /admin:users/);
  t.is((await review('admin:read admin:write admin:users')).status, 200);
});
