// pino JSON logs. Secrets never reach a log line: credentials, codes and tokens are redacted by
// path, and request logs carry the route and status, never the query string or body.
import pino, { type Logger } from 'pino';

export type { Logger };

const SECRET_FIELDS = [
  'password',
  'client_secret',
  'secret',
  'code',
  'code_verifier',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'assertion',
  'client_assertion',
  'authorization',
  'cookie',
  'set-cookie',
  'secretKey',
  'SECRET_KEY',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const paths = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `req.headers.${field}`]);
  return pino(
    {
      level,
      base: { service: 'portcullis' },
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
