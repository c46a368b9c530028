// Queries for the reviews of resource servers and the risk assessment each records (migration
// 0014). An API's current assessment is its latest review's (resource-servers.ts reads it with the
// API).
import type { Queryable } from './database.ts';

/** migrations/0014_resource_risk_assessment.sql holds the same lists in its CHECKs. */
export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
/** ISO/IEC 27005's risk treatment options. */
export const RISK_TREATMENTS = ['mitigate', 'accept', 'transfer', 'avoid'] as const;
export type RiskTreatment = (typeof RISK_TREATMENTS)[number];

/** What a compromise of the API would impact, how bad that is, and what is done about it. */
export interface RiskAssessment {
  riskLevel: RiskLevel;
  impactedSystems: string[];
  impactedData: string[];
  treatment: RiskTreatment;
  treatmentPlan: string;
  controls: string[];
}

/** A review as recorded: when, by whom, the next date, the note and the assessment. */
export interface ResourceReviewRecord extends RiskAssessment {
  reviewedAt: string;
  reviewedBy: string;
  nextReviewDate: string;
  note: string;
}

interface Row {
  id: string;
  reviewed_at: Date;
  reviewed_by: string;
  next_review_date: string;
  note: string;
  risk_level: RiskLevel;
  impacted_systems: string[];
  impacted_data: string[];
  treatment: RiskTreatment;
  treatment_plan: string;
  controls: string[];
}

/**
 * The latest review (the last recorded, whatever the clock said) is the one in force. The columns of its assessment of `r.identifier`, as one JSON object (null: none):
 * a subquery for resource-servers.ts' SELECT. `assessedAt` is epoch milliseconds (drivers differ
 * in how they write a timestamptz inside JSON).
 */
export const LATEST_ASSESSMENT_SQL = `(SELECT jsonb_build_object(
    'riskLevel', v.risk_level, 'impactedSystems', to_jsonb(v.impacted_systems), 'impactedData', to_jsonb(v.impacted_data),
    'treatment', v.treatment, 'treatmentPlan', v.treatment_plan, 'controls', to_jsonb(v.controls),
    'assessedAt', floor(extract(epoch FROM v.reviewed_at) * 1000), 'assessedBy', v.reviewed_by)
  FROM resource_reviews v WHERE v.resource = r.identifier ORDER BY v.id DESC LIMIT 1)`;

/** The latest assessment as LATEST_ASSESSMENT_SQL returns it. */
export interface StoredAssessment extends RiskAssessment {
  assessedAt: number;
  assessedBy: string;
}

/** Records a review with its assessment (inside the transaction that locks the API). */
export async function insertResourceReview(tx: Queryable, resource: string, review: ResourceReviewRecord): Promise<void> {
  await tx.query(
    `INSERT INTO resource_reviews (resource, reviewed_at, reviewed_by, next_review_date, note, risk_level, impacted_systems,
       impacted_data, treatment, treatment_plan, controls)
     VALUES ($1, $2, $3, $4::date, $5, $6, $7::text[], $8::text[], $9, $10, $11::text[])`,
    [
      resource,
      review.reviewedAt,
      review.reviewedBy,
      review.nextReviewDate,
      review.note,
      review.riskLevel,
      review.impactedSystems,
      review.impactedData,
      review.treatment,
      review.treatmentPlan,
      review.controls,
    ],
  );
}

/** A page of an API's reviews, newest first; `after` is the id the previous page ended with. */
export async function pageResourceReviews(
  db: Queryable,
  resource: string,
  page: { after: string | undefined; limit: number },
): Promise<(ResourceReviewRecord & { id: string })[]> {
  const { rows } = await db.query<Row>(
    `SELECT id::text AS id, reviewed_at, reviewed_by, to_char(next_review_date, 'YYYY-MM-DD') AS next_review_date, note, risk_level,
            impacted_systems, impacted_data, treatment, treatment_plan, controls
       FROM resource_reviews
      WHERE resource = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
      ORDER BY id DESC LIMIT $3`,
    [resource, page.after ?? null, page.limit],
  );
  return rows.map((row) => ({
    id: row.id,
    reviewedAt: new Date(row.reviewed_at).toISOString(),
    reviewedBy: row.reviewed_by,
    nextReviewDate: row.next_review_date,
    note: row.note,
    riskLevel: row.risk_level,
    impactedSystems: row.impacted_systems,
    impactedData: row.impacted_data,
    treatment: row.treatment,
    treatmentPlan: row.treatment_plan,
    controls: row.controls,
  }));
}
