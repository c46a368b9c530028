// Attack: record a risk assessment whose audit event does not say what was recorded. The audit trail
// keeps a detail string whole up to MAX_STRING (512, src/security/audit/audit-input.ts); a longer
// treatment plan would be kept and shown by the registry while the tamper-evident trail held only
// its start. A plan (like the note) is bounded below that, so the longest one accepted arrives in
// the event whole, and a longer one is refused by name before anything is written.
import { MAX_STRING } from '../../src/security/audit/audit-input.ts';
import { adminTest } from '../helpers/admin-harness.ts';

const API = 'https://orders.example.com';
const at = (identifier: string) => `/resources/${encodeURIComponent(identifier)}`;
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

adminTest(
  'a treatment plan longer than the audit trail keeps whole is refused; the longest accepted arrives in the event whole',
  async (t, { server, call, token, bootstrap }) => {
    const bearer = await token(await bootstrap());
    t.is((await call('POST', '/resources', { token: bearer, json: { identifier: API } })).status, 201);
    const review = (treatmentPlan: string) =>
      call('POST', `${at(API)}/review`, {
        token: bearer,
        json: {
          nextReviewDate: day(30),
          riskLevel: 'low',
          impactedSystems: ['orders db'],
          treatment: 'mitigate',
          controls: ['mTLS'],
          treatmentPlan,
        },
      });
    const hidden = ' -- and in truth: the risk is accepted, no control is in place';
    const tooLong = `${'Payments team reviews quarterly. '.repeat(20).slice(0, MAX_STRING)}${hidden}`;
    const refused = await review(tooLong);
    t.is(refused.status, 400, JSON.stringify(refused.body));
    t.regex(refused.body.error_description, /^treatmentPlan: must be at most 500 characters/);

    const longest = 'Payments team reviews quarterly; '.repeat(20).slice(0, 500);
    const reviewed = await review(longest);
    t.is(reviewed.status, 200, JSON.stringify(reviewed.body));
    await server.portcullis.audit.flush();
    const { rows } = await server.db.query<{ details: any }>("SELECT details FROM audit_events WHERE type = 'resource.reviewed'");
    t.is(rows.length, 1, 'the refused review left no event');
    t.is(rows[0]!.details.riskAssessment.treatmentPlan, longest, 'the audit event records the plan that was recorded');
  },
);
