// What an admin sees of a resource server: its registry entry and whether its review is overdue,
// judged by the server's clock on the day asked. The ETag is a hash of this view, so it changes on
// the day a review falls overdue too (what the admin saw has changed).
import type { ResourceServerRecord } from '../../storage/resource-servers.ts';
import { calendarDay } from './resource-input.ts';
import type { OperationContext } from '../operation/define.ts';

export interface ResourceServerView extends ResourceServerRecord {
  /** The next review date is before today. */
  reviewOverdue: boolean;
}

/** Today's date (UTC) by the clock of the process running the operation. */
export const today = (ctx: Pick<OperationContext, 'now'>): string => calendarDay(ctx.now?.() ?? new Date());

export function toResourceView(server: ResourceServerRecord, today: string): ResourceServerView {
  return {
    identifier: server.identifier,
    name: server.name,
    description: server.description,
    owner: server.owner,
    purpose: server.purpose,
    classification: server.classification,
    liveDate: server.liveDate,
    nextReviewDate: server.nextReviewDate,
    reviewOverdue: server.nextReviewDate < today,
    lastReviewedAt: server.lastReviewedAt,
    scopes: server.scopes,
    tokenTtl: server.tokenTtl,
    tokenAlg: server.tokenAlg,
    introspectingClients: server.introspectingClients,
    createdAt: server.createdAt,
    updatedAt: server.updatedAt,
  };
}
