-- Outgoing email (issue 15): written in the transaction of the change that sends it, delivered
-- later by the outbox worker (src/email/outbox-worker.ts), so a committed change never loses its
-- email and a rolled-back one never sends one. The payload (the template's data, links with their
-- one-time tokens inside) is sealed with AES-256-GCM under a key derived from SECRET_KEY, bound to
-- the row's id, and emptied once the email is sent or given up: the tokens do not outlive it.
CREATE TABLE email_outbox (
  id              bigserial   PRIMARY KEY,
  recipient       text        NOT NULL,
  template        text        NOT NULL,
  payload         text        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  attempts        integer     NOT NULL DEFAULT 0,
  sent_at         timestamptz,
  -- given up: retried until its deadline, or undeliverable (an unknown template, a bad address)
  failed_at       timestamptz,
  last_error      text
);
-- what the worker picks next: neither sent nor given up, due
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
