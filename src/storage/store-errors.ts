// Tells a store outage (connection refused, reset or timed out; Redis offline; PostgreSQL shutting
// down) apart from every other error, so callers can fail closed with a fast 503 instead of a 500.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Stream isn't writeable/i,
  /Connection is closed/i,
  /Reached the max retries per request limit/i,
  /Cannot use a pool after calling end/i,
];

export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // PostgreSQL SQLSTATE class 08 (connection exception) and 57P0x (shutdown, cannot connect now)
    if (/^08...$/.test(code) || /^57P0[1-4]$/.test(code)) return true;
  }
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  return error.cause !== undefined && error.cause !== error && isStoreUnavailable(error.cause);
}

/** The SQLSTATE of a database error (pg and PGlite both expose `code`). */
export const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** SQLSTATE 23505: a row with the same unique key exists. */
export const UNIQUE_VIOLATION = '23505';
