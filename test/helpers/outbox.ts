// The emails a test server queued for one address, opened: what the user would find in their inbox
// once the outbox worker delivered them. (The SMTP tests read the real delivery instead.)
import { listQueuedEmails } from '../../src/storage/email-outbox.ts';
import type { TestServer } from './server.ts';

export interface QueuedEmail {
  template: string;
  data: Record<string, string>;
}

export async function emailsTo(server: TestServer, to: string): Promise<QueuedEmail[]> {
  const rows = await listQueuedEmails(server.db, to);
  return rows.map((row) => ({ template: row.template, data: server.portcullis.emails.open(row) }));
}

/** The last email of `template` queued for `to`; fails the test's expectation loudly when none was. */
export async function lastEmailTo(server: TestServer, to: string, template: string): Promise<QueuedEmail> {
  const email = (await emailsTo(server, to)).filter((queued) => queued.template === template).at(-1);
  if (!email) throw new Error(`no ${template} email was queued for ${to}`);
  return email;
}
