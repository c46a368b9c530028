-- Failed-login counting per login identifier (durable: an attacker must not reset it by knocking
-- Redis over) and per-client rate quotas.

-- One row per login identifier that failed recently, known account or not (an unknown email is
-- counted and locked exactly like a real one, so lock state reveals nothing). The key is an HMAC of
-- the normalised email: no address is stored here.
CREATE TABLE login_failures (
  subject_key text PRIMARY KEY,
  failures integer NOT NULL CHECK (failures >= 0),
  locked_until timestamptz,
  last_failure_at timestamptz NOT NULL,
  -- bumped by `users unlock`: the per-(account, IP) counters are keyed by it, so an unlock clears them too
  epoch integer NOT NULL DEFAULT 0
);
CREATE INDEX login_failures_last_failure ON login_failures (last_failure_at);

-- Requests per minute this client may make to the token, introspection, revocation, PAR, device and
-- registration endpoints; NULL: the server default (RATE_LIMIT_CLIENT_PER_MINUTE).
ALTER TABLE clients ADD COLUMN rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0);
