// Attack: read around admin:users through the API registry's risk assessment. The audit trail
// redacts an administrator's user id (`user:<id>`) for a token without admin:users
// (src/security/audit/audit-redaction.ts, issue 11 attack 18); the review history
// (GET /resources/{id}/reviews: reviewedBy) and the API itself (riskAssessment.assessedBy), both
// admin:read only, hand the same id out unredacted.
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { createTestClient, createUser } from '../helpers/fixtures.ts';
import { adminTest, adminUserToken } from '../helpers/admin-harness.ts';

const API = 'https://orders.example.com';
const at = (identifier: string) => `/resources/${encodeURIComponent(identifier)}`;
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

adminTest(
  "an admin:read token without admin:users does not learn the reviewing administrator's user id from the review history",
  async (t, harness) => {
    const { server, call, token, bootstrap } = harness;
    const operatorClient = await bootstrap();
    const console = await createTestClient(server, {
      firstParty: true,
      resources: { [ADMIN_AUDIENCE]: ['admin:read', 'admin:write', 'admin:users'] },
    });
    const admin = await createUser(server.db);
    const secret = generateTotpSecret();
    await server.db.query('UPDATE accounts SET is_admin = true WHERE id = $1', [admin.id]);
    await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
      admin.id,
      encryptTotpSecret(server.portcullis.keys.encryptionKey, admin.id, secret),
    ]);
    const adminToken = await adminUserToken(harness, admin.email, console, secret);

    t.is((await call('POST', '/resources', { token: adminToken, json: { identifier: API } })).status, 201);
    const reviewed = await call('POST', `${at(API)}/review`, {
      token: adminToken,
      json: { nextReviewDate: day(30), riskLevel: 'high', impactedSystems: ['orders db'], treatment: 'accept' },
    });
    t.is(reviewed.status, 200, JSON.stringify(reviewed.body));

    // a reader that may not see users: admin:read only
    const reader = await token(operatorClient, 'admin:read');

    // the audit trail hides who the administrator is from this reader ...
    const audit = await call('GET', '/audit/events?type=resource.reviewed', { token: reader });
    t.is(audit.status, 200);
    t.false(JSON.stringify(audit.body).includes(admin.id), 'the audit listing redacts the user id');

    // ... the registry must not hand it out either
    const history = await call('GET', `${at(API)}/reviews`, { token: reader });
    t.is(history.status, 200);
    t.false(JSON.stringify(history.body).includes(admin.id), `reviews: ${JSON.stringify(history.body.items[0]?.reviewedBy)}`);
    const shown = await call('GET', at(API), { token: reader });
    t.false(JSON.stringify(shown.body).includes(admin.id), `resource: ${JSON.stringify(shown.body.riskAssessment?.assessedBy)}`);
    const listed = await call('GET', '/resources', { token: reader });
    t.false(JSON.stringify(listed.body).includes(admin.id), 'resources listing');
  },
);
