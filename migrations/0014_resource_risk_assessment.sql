-- The API registry's risk assessment (issue 13): what a compromise of the API would impact (the
-- systems and the kinds of data), a risk level, and the treatment chosen with its plan and
-- controls. It is recorded with each review: every review is kept here with the assessment it
-- recorded, so the registry shows how an API's risk was judged over time and by whom; an API's
-- current assessment is its latest review's. APIs never reviewed since this migration have none.
CREATE TABLE resource_reviews (
  id               bigserial   PRIMARY KEY,
  resource         text        NOT NULL REFERENCES resource_servers (identifier) ON DELETE CASCADE,
  reviewed_at      timestamptz NOT NULL,
  -- the admin who recorded it (the audit actor's id: a user, a client, or cli:<os-user>)
  reviewed_by      text        NOT NULL,
  next_review_date date        NOT NULL,
  note             text        NOT NULL DEFAULT '',
  risk_level       text        NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
  impacted_systems text[]      NOT NULL,
  impacted_data    text[]      NOT NULL,
  -- ISO/IEC 27005 risk treatment options
  treatment        text        NOT NULL CHECK (treatment IN ('mitigate', 'accept', 'transfer', 'avoid')),
  treatment_plan   text        NOT NULL DEFAULT '',
  controls         text[]      NOT NULL,
  CHECK (cardinality(impacted_systems) + cardinality(impacted_data) > 0),
  CHECK (treatment <> 'mitigate' OR cardinality(controls) > 0)
);

-- the latest review of an API (the last recorded) and its history, newest first
CREATE INDEX resource_reviews_latest ON resource_reviews (resource, id DESC);
