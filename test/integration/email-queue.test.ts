// Email is queued in the transaction of the change it tells about: both commit, or neither.
import { testEachBackend } from '../helpers/backend-test.ts';
import { emailsTo } from '../helpers/outbox.ts';

testEachBackend('an email queued in a transaction that commits is in the outbox, sealed; one that rolls back is not', async (t, server) => {
  const { emails } = server.portcullis;
  await server.db.transaction((tx) => emails.enqueue(tx, { to: 'kept@example.com', template: 'notice', data: { link: 'https://x/1' } }));
  await t.throwsAsync(
    server.db.transaction(async (tx) => {
      await emails.enqueue(tx, { to: 'gone@example.com', template: 'notice', data: { link: 'https://x/2' } });
      throw new Error('the change failed');
    }),
  );
  t.deepEqual(await emailsTo(server, 'kept@example.com'), [{ template: 'notice', data: { link: 'https://x/1' } }]);
  t.deepEqual(await emailsTo(server, 'gone@example.com'), []);
  const { rows } = await server.db.query<{ payload: string }>('SELECT payload FROM email_outbox');
  t.false(
    rows.some((row) => row.payload.includes('https://x/')),
    'the payload is not stored in the clear',
  );
});
