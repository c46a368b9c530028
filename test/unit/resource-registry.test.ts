// The API registry's rules (pure; no I/O): registry fields, calendar dates, the overdue filter,
// and what a PATCH of a resource server writes.
import test, { type ExecutionContext } from 'ava';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { runOperation } from '../../src/admin/registry.ts';
import { planResourceUpdate } from '../../src/admin/resources/update-resource.ts';
import { toResourceView } from '../../src/admin/resources/resource-view.ts';
import {
  addYears,
  calendarDay,
  overdueFilter,
  resourceCreateInput,
  resourceReviewInput,
  resourceUpdateInput,
} from '../../src/admin/resources/resource-input.ts';
import { AppError } from '../../src/http/app-error.ts';
import type { ResourceServerRecord } from '../../src/storage/resource-servers.ts';

const API = 'https://api.example.com';

const stored = (overrides: Partial<ResourceServerRecord> = {}): ResourceServerRecord => ({
  identifier: API,
  name: 'Example API',
  description: 'Orders',
  owner: 'Orders team',
  purpose: 'Order intake',
  classification: 'internal',
  liveDate: '2025-01-10',
  nextReviewDate: '2026-01-10',
  lastReviewedAt: null,
  riskAssessment: null,
  scopes: [
    { name: 'read', description: 'Read' },
    { name: 'write', description: 'Write' },
  ],
  tokenTtl: null,
  tokenAlg: 'ES256',
  introspectingClients: [],
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  ...overrides,
});

const create = (fields: Record<string, unknown>) => resourceCreateInput.safeParse({ identifier: API, ...fields });
const patch = (fields: Record<string, unknown>) => resourceUpdateInput.parse({ identifier: API, ...fields });

/** The first issue's field and message, as the operation would report it. */
const issue = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) => {
  const first = result.error?.issues[0];
  return first ? `${first.path.join('.')}: ${first.message}` : 'accepted';
};

function refused(t: ExecutionContext, run: () => unknown, code: string, field: string): string {
  const error = t.throws(run, { instanceOf: AppError });
  t.is(error?.code, code);
  t.true(error?.message.startsWith(`${field}: `), error?.message);
  return error?.message ?? '';
}

test('dates are real calendar dates written YYYY-MM-DD', (t) => {
  for (const liveDate of ['2024-02-29', '2025-12-31', '1999-01-01']) t.is(issue(create({ liveDate })), 'accepted', liveDate);
  t.regex(issue(create({ liveDate: '2023-02-29' })), /^liveDate: is not a real date/);
  t.regex(issue(create({ liveDate: '2025-04-31' })), /^liveDate: is not a real date/);
  t.regex(issue(create({ liveDate: '2025-13-01' })), /^liveDate: is not a real date/);
  t.regex(issue(create({ liveDate: '2025-1-5' })), /^liveDate: must be a date written YYYY-MM-DD/);
  t.regex(issue(create({ liveDate: '2025-01-05T00:00:00Z' })), /^liveDate: must be a date written YYYY-MM-DD/);
  t.regex(issue(create({ nextReviewDate: '0000-01-01' })), /^nextReviewDate: must be in 1900 or later/);
  t.regex(issue(create({ nextReviewDate: 20250101 })), /^nextReviewDate: /);
});

test('the next review may not come before the live date', (t) => {
  t.is(issue(create({ liveDate: '2025-06-01', nextReviewDate: '2025-06-01' })), 'accepted');
  t.regex(
    issue(create({ liveDate: '2025-06-01', nextReviewDate: '2025-05-31' })),
    /^nextReviewDate: must not be before the live date \(2025-06-01\)/,
  );
});

test('classification is one of the four levels; owner, name and the texts are bounded and printable', (t) => {
  for (const classification of ['public', 'internal', 'confidential', 'restricted']) t.is(issue(create({ classification })), 'accepted');
  t.is(issue(create({ classification: 'secret' })), 'classification: must be one of public, internal, confidential, restricted');
  t.is(issue(create({ classification: 'Public' })), 'classification: must be one of public, internal, confidential, restricted');
  t.regex(issue(create({ owner: '   ' })), /^owner: must not be empty/);
  t.regex(issue(create({ owner: 'x'.repeat(201) })), /^owner: must be at most 200 characters/);
  t.regex(issue(create({ owner: 'Ops\nteam' })), /^owner: must be one line/);
  t.regex(issue(create({ owner: 'Ops \u001b[2Jteam' })), /^owner: must not contain control characters/);
  t.regex(issue(create({ description: 'x'.repeat(2001) })), /^description: must be at most 2000 characters/);
  t.is(issue(create({ description: 'Two\nlines' })), 'accepted');
  t.regex(issue(create({ purpose: 'x'.repeat(1001) })), /^purpose: must be at most 1000 characters/);
  t.is(create({ owner: '  Ops team  ' }).data?.owner, 'Ops team');
  const defaults = create({}).data!;
  t.deepEqual(
    [defaults.description, defaults.purpose, defaults.owner, defaults.classification],
    ['', '', undefined, undefined],
    'nothing is made up',
  );
});

test('a PATCH is strict: unknown fields and wrong types are refused by name', (t) => {
  const parse = (fields: Record<string, unknown>) => resourceUpdateInput.safeParse({ identifier: API, ...fields });
  t.regex(issue(parse({ colour: 'blue' })), /colour/);
  t.regex(issue(parse({ tokenTtl: '600' })), /^tokenTtl: /);
  t.regex(issue(parse({ scopes: [{ name: 'read' }, { name: 'read' }] })), /^scopes: "read" is listed twice/);
  t.regex(issue(parse({ scopes: [{ name: 'openid' }] })), /^scopes: "openid" is an OpenID Connect scope/);
  t.regex(issue(parse({ nextReviewDate: null })), /^nextReviewDate: /);
  t.is(parse({ liveDate: null, tokenTtl: null }).data?.liveDate, null);
});

test('the overdue filter takes booleans and the query string\'s "true" / "false", nothing else', (t) => {
  t.true(overdueFilter.parse('true'));
  t.false(overdueFilter.parse('false'));
  t.true(overdueFilter.parse(true));
  for (const value of ['yes', '1', 'TRUE', ['true', 'false'], 1]) t.false(overdueFilter.safeParse(value).success, JSON.stringify(value));
});

test('listing and review input are refused by field before the database is touched', async (t) => {
  const noDatabase = {} as Parameters<typeof runOperation>[0];
  const listing = await t.throwsAsync(runOperation(noDatabase, 'resources.list', { overdue: 'yes' }), { instanceOf: AppError });
  t.is(listing?.message, 'overdue: must be true or false');
  const review = await t.throwsAsync(runOperation(noDatabase, 'resources.review', { identifier: API }), { instanceOf: AppError });
  t.is(review?.message, 'nextReviewDate: is required');
  t.regex(
    issue(resourceReviewInput.safeParse({ identifier: API, nextReviewDate: '2030-01-01', note: 'x'.repeat(501) })),
    /^note: must be at most 500/,
  );
  const past = await t.throwsAsync(
    runOperation({ now: () => new Date('2025-06-01T12:00:00Z') } as Parameters<typeof runOperation>[0], 'resources.review', {
      identifier: API,
      nextReviewDate: '2025-06-01',
    }),
    { instanceOf: AppError },
  );
  t.is(past?.message, 'nextReviewDate: must be in the future (after 2025-06-01)');
});

test('calendar arithmetic: UTC days, whole years', (t) => {
  t.is(calendarDay(new Date('2025-06-01T23:59:59Z')), '2025-06-01');
  t.is(addYears('2025-06-01', 1), '2026-06-01');
  t.is(addYears('2024-02-29', 1), '2025-03-01');
});

test('the view says whether the review is overdue on the given day', (t) => {
  t.false(toResourceView(stored(), { today: '2026-01-10', seesUsers: true }).reviewOverdue, 'due today is not overdue');
  t.true(toResourceView(stored(), { today: '2026-01-11', seesUsers: true }).reviewOverdue);
});

test('a patch changes only what it names and lists the changed fields', (t) => {
  const plan = planResourceUpdate(stored(), patch({ owner: 'Platform team', classification: 'restricted', name: 'Example API' }));
  t.deepEqual(plan.changed, ['owner', 'classification']);
  t.like(plan.settings, {
    owner: 'Platform team',
    classification: 'restricted',
    name: 'Example API',
    description: 'Orders',
    liveDate: '2025-01-10',
    tokenTtl: null,
  });
  t.is(plan.scopes, undefined);
  t.deepEqual(plan.removedScopes, []);
  t.deepEqual(planResourceUpdate(stored(), patch({})).changed, []);
});

test('null puts the token lifetime back to the default and the live date to unknown', (t) => {
  const plan = planResourceUpdate(stored({ tokenTtl: 600 }), patch({ tokenTtl: null, liveDate: null }));
  t.deepEqual(plan.changed, ['liveDate', 'tokenTtl']);
  t.is(plan.settings.tokenTtl, null);
  t.is(plan.settings.liveDate, null);
});

test('scopes: the list is the whole new one; the removed ones are named; the same list in another order changes nothing', (t) => {
  const plan = planResourceUpdate(
    stored(),
    patch({
      scopes: [
        { name: 'read', description: 'Read' },
        { name: 'admin', description: 'Administer' },
      ],
    }),
  );
  t.deepEqual(plan.changed, ['scopes']);
  t.deepEqual(plan.removedScopes, ['write']);
  t.deepEqual(plan.scopes, [
    { name: 'admin', description: 'Administer' },
    { name: 'read', description: 'Read' },
  ]);
  t.deepEqual(
    planResourceUpdate(
      stored(),
      patch({
        scopes: [
          { name: 'write', description: 'Write' },
          { name: 'read', description: 'Read' },
        ],
      }),
    ).changed,
    [],
  );
  const described = planResourceUpdate(
    stored(),
    patch({
      scopes: [
        { name: 'read', description: 'Read all' },
        { name: 'write', description: 'Write' },
      ],
    }),
  );
  t.deepEqual([described.changed, described.removedScopes], [['scopes'], []], 'a new description removes nothing');
});

test('the dates must still agree after the patch, refused naming the field sent', (t) => {
  t.regex(
    refused(t, () => planResourceUpdate(stored(), patch({ nextReviewDate: '2025-01-09' })), 'invalid_input', 'nextReviewDate'),
    /live date \(2025-01-10\)/,
  );
  t.regex(
    refused(t, () => planResourceUpdate(stored(), patch({ liveDate: '2026-02-01' })), 'invalid_input', 'liveDate'),
    /next review date \(2026-01-10\)/,
  );
  t.deepEqual(planResourceUpdate(stored(), patch({ liveDate: '2026-02-01', nextReviewDate: '2027-02-01' })).changed, [
    'liveDate',
    'nextReviewDate',
  ]);
});

test("the admin API's own scopes cannot be changed; its registry entry can", (t) => {
  const admin = stored({
    identifier: ADMIN_AUDIENCE,
    scopes: [
      { name: 'admin:read', description: 'R' },
      { name: 'admin:write', description: 'W' },
    ],
  });
  refused(
    t,
    () =>
      planResourceUpdate(
        admin,
        resourceUpdateInput.parse({ identifier: ADMIN_AUDIENCE, scopes: [{ name: 'admin:read', description: 'R' }] }),
      ),
    'conflict',
    'scopes',
  );
  refused(
    t,
    () =>
      planResourceUpdate(
        admin,
        resourceUpdateInput.parse({
          identifier: ADMIN_AUDIENCE,
          scopes: [
            { name: 'admin:read', description: 'R' },
            { name: 'admin:write', description: 'other' },
          ],
        }),
      ),
    'conflict',
    'scopes',
  );
  t.deepEqual(
    planResourceUpdate(
      admin,
      resourceUpdateInput.parse({
        identifier: ADMIN_AUDIENCE,
        owner: 'SRE',
        scopes: [
          { name: 'admin:write', description: 'W' },
          { name: 'admin:read', description: 'R' },
        ],
      }),
    ).changed,
    ['owner'],
  );
});
