-- The API registry (#6): what each API that trusts Portcullis is, who owns it, how sensitive its
-- data is, when it went live and when it is next due for review ("you can only secure what you know").
--
-- classification is the four-level data classification common to ISO/IEC 27001-based policies:
--   public        meant for anyone; disclosure does no harm
--   internal      for the organisation's own people and systems; disclosure is a nuisance
--   confidential  for those who need it; disclosure harms people or the organisation
--   restricted    the most sensitive (credentials, personal or regulated data, control planes);
--                 disclosure or misuse does serious harm
--
-- Dates are calendar dates (no time zone); a review is overdue once next_review_date is before
-- today (the server's UTC date). APIs registered before this migration have no owner,
-- classification or live date (NULL: unknown, shown as such) and are due for review on the day of
-- the migration, so they surface in the overdue listing until someone fills the registry in.
ALTER TABLE resource_servers
  ADD COLUMN description      text NOT NULL DEFAULT '',
  ADD COLUMN owner            text,
  ADD COLUMN purpose          text NOT NULL DEFAULT '',
  ADD COLUMN classification   text CHECK (classification IN ('public', 'internal', 'confidential', 'restricted')),
  ADD COLUMN live_date        date,
  ADD COLUMN next_review_date date NOT NULL DEFAULT current_date,
  ADD COLUMN last_reviewed_at timestamptz,
  ADD CONSTRAINT resource_servers_review_after_live CHECK (live_date IS NULL OR next_review_date >= live_date);

-- The admin API itself: it went live when this deployment installed it, and whoever holds its
-- tokens controls every other client and API, so it is restricted.
UPDATE resource_servers SET
  description = 'The Portcullis admin API (/admin/v1): clients, APIs, users, signing keys and the audit trail',
  owner = 'The operators of this Portcullis deployment',
  purpose = 'Administration of the authorization server by its operators and their automation',
  classification = 'restricted',
  live_date = created_at::date,
  next_review_date = greatest(current_date, created_at::date) + 365
WHERE identifier = 'urn:portcullis:admin';
