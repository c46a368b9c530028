// The `portcullis audit ...` flags that more than one command takes, and the page size of the
// commands that call their operation page by page (tail --follow, export).
import type { FlagSpec } from '../operation/cli-binding.ts';

/** Events asked for per call by the commands that page. */
export const AUDIT_PAGE = 1_000;

export const sinceFlag: FlagSpec = {
  type: 'string',
  value: 'iso-date',
  help: 'events that occurred at or after (2025-01-31 or 2025-01-31T12:00:00Z)',
  field: 'since',
};
