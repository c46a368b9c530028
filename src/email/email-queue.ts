// What a feature calls to send an email: `emails.enqueue(tx, { to, template, data })` inside the
// transaction of the change it tells about. Nothing is sent on the request path: the row commits
// with the change (or not at all), and the outbox worker (outbox-worker.ts) delivers it.
import { decrypt, encrypt } from '../security/encryption.ts';
import type { Queryable } from '../storage/database.ts';
import { insertQueuedEmail, type QueuedEmailRow } from '../storage/email-outbox.ts';
import { isPlainMailbox } from './email-address.ts';

export interface OutgoingEmail {
  to: string;
  /** The base name of its templates in views/email/ (`<template>.txt.eta`, `<template>.html.eta`). */
  template: string;
  /** What the templates show; links are absolute URLs under ISSUER. */
  data: Record<string, string>;
}

export interface EmailQueue {
  enqueue(tx: Queryable, email: OutgoingEmail): Promise<void>;
  /** The data of a queued row (the worker, and tests that read the outbox). */
  open(row: QueuedEmailRow): Record<string, string>;
}

const boundTo = (id: string) => `email_outbox:${id}`;

export function createEmailQueue(deps: { encryptionKey: Buffer; now?: () => Date }): EmailQueue {
  return {
    async enqueue(tx, email) {
      // the caller validated the address; a hostile one that got through fails the change, loudly
      if (!isPlainMailbox(email.to)) throw new Error('refusing to queue an email to something that is not one plain address');
      await insertQueuedEmail(tx, { recipient: email.to, template: email.template, at: deps.now?.() }, (id) =>
        encrypt(deps.encryptionKey, JSON.stringify(email.data), boundTo(id)),
      );
    },
    open(row) {
      return JSON.parse(decrypt(deps.encryptionKey, row.payload, boundTo(row.id))) as Record<string, string>;
    },
  };
}
