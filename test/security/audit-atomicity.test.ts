// Attack 10 (issue 11): an admin change committed without its audit event. The audit store refuses
// the admin's events (a trigger in the test database, as a full disk or a revoked permission would);
// every change is then answered with an error and is not there afterwards: the change and its event
// commit together or not at all. Once the store accepts events again, the same change goes through
// and the hash chain still verifies, gapless.
import { verifyAuditChain } from '../../src/security/audit/audit-queries.ts';
import { adminTest, API, type Answer } from '../helpers/admin-harness.ts';
import { createResource } from '../helpers/fixtures.ts';
import { refuseAuditEvents } from '../helpers/refusing-audit-store.ts';

const refusedWithError = (answer: Answer) => answer.status >= 500;

adminTest(
  'when the audit event of an admin change cannot be stored, the change is not made and the API answers an error',
  async (t, harness) => {
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
    const clientPath = `/clients/${client.body.clientId}`;
    const userPath = `/users/${user.body.id}`;
    const clientTag = client.headers.get('etag')!;
    const userTag = user.headers.get('etag')!;
    const keysBefore = (await call('GET', '/keys', { token: bearer })).body;

    await server.portcullis.audit.flush();
    const adminEventsBefore = (await server.db.query(`SELECT 1 FROM audit_events WHERE actor_type = 'admin'`)).rows.length;
    const allow = await refuseAuditEvents(server.db, 'admin');
    const attempts: [string, () => Promise<Answer>][] = [
      [
        'create a client',
        () => call('POST', '/clients', { token: bearer, json: { name: 'Unaudited', grantTypes: ['client_credentials'] } }),
      ],
      [
        'change a client',
        () => call('PATCH', clientPath, { token: bearer, json: { name: 'Unaudited' }, headers: { 'if-match': clientTag } }),
      ],
      ['rotate a client secret', () => call('POST', `${clientPath}/secret/rotate`, { token: bearer, json: { previousSecretTtl: 0 } })],
      ['delete a client', () => call('DELETE', clientPath, { token: bearer })],
      [
        'register an API',
        () =>
          call('POST', '/resources', {
            token: bearer,
            json: { identifier: 'https://unaudited.example.com', scopes: [{ name: 'x', description: 'x' }] },
          }),
      ],
      [
        'create a user',
        () => call('POST', '/users', { token: bearer, json: { email: 'unaudited@example.com', password: 'correct horse battery staple' } }),
      ],
      [
        'make a user an administrator',
        () => call('PATCH', userPath, { token: bearer, json: { isAdmin: true }, headers: { 'if-match': userTag } }),
      ],
      ['disable a user', () => call('POST', `${userPath}/disable`, { token: bearer })],
      ['delete a user', () => call('DELETE', userPath, { token: bearer })],
      ['rotate the signing keys', () => call('POST', '/keys/rotate', { token: bearer })],
    ];
    for (const [what, attempt] of attempts) {
      const answer = await attempt();
      t.true(refusedWithError(answer), `${what}: answered ${answer.status} ${JSON.stringify(answer.body)}`);
    }

    const clients = (await call('GET', '/clients?limit=100', { token: bearer })).body.items as { name: string }[];
    t.false(
      clients.some((listed) => listed.name === 'Unaudited'),
      'no client was created or renamed',
    );
    const kept = await call('GET', clientPath, { token: bearer });
    t.is(kept.status, 200, 'the client was not deleted');
    t.is(kept.headers.get('etag'), clientTag, 'the client is unchanged (its secret was not rotated)');
    t.is(
      (await call('GET', `/resources/${encodeURIComponent('https://unaudited.example.com')}`, { token: bearer })).status,
      404,
      'no API was registered',
    );
    t.is((await call('GET', '/users/unaudited@example.com', { token: bearer })).status, 404, 'no user was created');
    const alice = await call('GET', userPath, { token: bearer });
    t.is(alice.status, 200, 'the user was not deleted');
    t.like(alice.body, { isAdmin: false, disabled: false });
    t.deepEqual((await call('GET', '/keys', { token: bearer })).body, keysBefore, 'the signing keys were not rotated');

    // the store accepts events again: the change goes through, audited, and the chain is whole
    await allow();
    const retried = await call('PATCH', clientPath, { token: bearer, json: { name: 'Audited' }, headers: { 'if-match': clientTag } });
    t.is(retried.status, 200, JSON.stringify(retried.body));
    await server.portcullis.audit.flush();
    const { rows } = await server.db.query<{ type: string }>(`SELECT type FROM audit_events WHERE actor_type = 'admin' ORDER BY seq`);
    t.is(rows.at(-1)?.type, 'client.updated');
    t.is(rows.length, adminEventsBefore + 1, 'no event of a refused change was stored, and the retried one was');
    const verification = await verifyAuditChain(server.db, server.portcullis.keys.auditKey);
    t.true(verification.ok, JSON.stringify(verification));
  },
);

adminTest(
  'admin changes appended in their own transactions and batched events written meanwhile form one gapless, verifiable chain',
  async (t, harness) => {
    const { call, bootstrap, token, server } = harness;
    const admin = await bootstrap();
    const bearer = await token(admin);
    // parallel admin changes (each appends inside its transaction) and token requests (batched events)
    const changes = Array.from({ length: 8 }, (_, index) =>
      call('POST', '/clients', { token: bearer, json: { name: `Parallel ${index}`, grantTypes: ['client_credentials'] } }),
    );
    const tokens = Array.from({ length: 8 }, () => token(admin, 'admin:read'));
    const answers = await Promise.all(changes);
    await Promise.all(tokens);
    t.deepEqual(
      answers.map((answer) => answer.status),
      Array(8).fill(201),
    );
    await server.portcullis.audit.flush();
    const { rows } = await server.db.query<{ seq: string; type: string }>(
      'SELECT seq::text AS seq, type FROM audit_events ORDER BY audit_events.seq',
    );
    t.deepEqual(
      rows.map((row) => Number(row.seq)),
      rows.map((_, index) => index + 1),
      'gapless',
    );
    t.is(rows.filter((row) => row.type === 'client.created').length, 9, 'the bootstrap client and the eight');
    const verification = await verifyAuditChain(server.db, server.portcullis.keys.auditKey);
    t.true(verification.ok, JSON.stringify(verification));
  },
);
