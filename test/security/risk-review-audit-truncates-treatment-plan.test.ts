// Attack: record a risk assessment whose audit event does not say what was recorded. The review
// accepts a treatmentPlan of up to 2000 characters (resource-input.ts), but the audit trail caps
// every detail string at MAX_STRING (512, src/security/audit/audit-input.ts): whatever an admin
// writes after character 512 is kept in the registry and shown as the plan in force, yet never
// reaches the tamper-evident trail that `resource.reviewed` promises carries the assessment.
import { MAX_STRING } from '../../src/security/audit/audit-input.ts';
import { adminTest } from '../helpers/admin-harness.ts';

const API = 'https://orders.example.com';
const at = (identifier: string) => `/resources/${encodeURIComponent(identifier)}`;
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

adminTest(
  'a treatment plan longer than the audit trail keeps is recorded, and its tail is missing from the audit event',
  async (t, { server, call, token, bootstrap }) => {
    const bearer = await token(await bootstrap());
    t.is((await call('POST', '/resources', { token: bearer, json: { identifier: API } })).status, 201);
    const hidden = ' -- and in truth: the risk is accepted, no control is in place';
    const treatmentPlan = `${'Payments team reviews quarterly. '.repeat(20).slice(0, MAX_STRING)}${hidden}`;
    t.true(treatmentPlan.length > MAX_STRING && treatmentPlan.length <= 2000);

    const reviewed = await call('POST', `${at(API)}/review`, {
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
    t.is(reviewed.status, 200, JSON.stringify(reviewed.body));
    t.is(reviewed.body.riskAssessment.treatmentPlan, treatmentPlan, 'the registry keeps the whole plan');

    await server.portcullis.audit.flush();
    const { rows } = await server.db.query<{ details: any }>("SELECT details FROM audit_events WHERE type = 'resource.reviewed'");
    t.is(rows.length, 1);
    t.is(rows[0]!.details.riskAssessment.treatmentPlan, treatmentPlan, 'the audit event records the plan that was recorded');
  },
);
