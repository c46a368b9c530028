-- Audit trail: an append-only, hash-chained log of who did what (src/security/audit/).
--
-- Every event carries `hash = HMAC-SHA-256(audit key, prev_hash || canonical(event))`, the audit key
-- being derived from SECRET_KEY: a row edited, deleted or inserted directly in SQL breaks the chain,
-- and someone with write access to the database but without SECRET_KEY cannot repair it.
-- `seq` is assigned by the writer (src/security/audit/audit-writer.ts) under the advisory lock
-- hashtext('portcullis:audit'): gapless, in commit order, one chain for every process.
CREATE TABLE audit_events (
  seq          bigint      PRIMARY KEY,
  id           uuid        NOT NULL UNIQUE,
  occurred_at  timestamptz NOT NULL,
  type         text        NOT NULL,
  outcome      text        NOT NULL CHECK (outcome IN ('success', 'failure')),
  actor_type   text,
  actor_id     text,
  target_type  text,
  target_id    text,
  client_id    text,
  ip           text,
  user_agent   text,
  request_id   text,
  details      jsonb,
  prev_hash    text        NOT NULL,
  hash         text        NOT NULL
);
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
CREATE INDEX audit_events_type ON audit_events (type, seq);
CREATE INDEX audit_events_actor_id ON audit_events (actor_id, seq) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_events_target_id ON audit_events (target_id, seq) WHERE target_id IS NOT NULL;
CREATE INDEX audit_events_client_id ON audit_events (client_id, seq) WHERE client_id IS NOT NULL;

-- Where the remaining chain starts after retention pruning: the seq and hash of the last pruned
-- event, with an HMAC under the audit key so the anchor cannot be moved forward to hide deletions.
-- At most one row (the `singleton` key).
CREATE TABLE audit_chain_anchor (
  singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  seq        bigint      NOT NULL,
  hash       text        NOT NULL,
  pruned_at  timestamptz NOT NULL,
  mac        text        NOT NULL
);

-- Guard rails against mistakes (not against an attacker with DDL rights: the hash chain is the
-- protection there). Events are never updated or truncated. Rows are deleted, and the anchor
-- written, only by the retention prune (pruneAuditEvents in audit-queries.ts), which sets
-- `portcullis.audit_prune = on` for its own transaction (set_config(..., true)).
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_events' THEN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP USING ERRCODE = '55000';
  END IF;
  IF TG_OP = 'TRUNCATE' OR coalesce(current_setting('portcullis.audit_prune', true), '') <> 'on' THEN
    RAISE EXCEPTION '% on % is reserved to the audit retention prune', TG_OP, TG_TABLE_NAME USING ERRCODE = '55000';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_chain_anchor_prune_only
  BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON audit_chain_anchor
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
