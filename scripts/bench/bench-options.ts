// The command-line flags every throughput benchmark shares (token-throughput.ts, login-throughput.ts):
// how much load (--requests, --concurrency, --warmup, --rounds), how Portcullis logs (--log-level) and
// whether to profile (--profile, --profile-dir). Each benchmark chooses its own load defaults (a token
// costs far less than an argon2id login) and may add flags of its own next to these.
import type { ParseArgsOptionsConfig } from 'node:util';

export interface LoadDefaults {
  requests: number;
  concurrency: number;
  warmup: number;
}

/** The shared flags, for `parseArgs({ options: { ...benchOptions(defaults), ...own flags } })`. */
export function benchOptions(defaults: LoadDefaults) {
  return {
    requests: { type: 'string', default: String(defaults.requests) },
    concurrency: { type: 'string', default: String(defaults.concurrency) },
    warmup: { type: 'string', default: String(defaults.warmup) },
    rounds: { type: 'string', default: '4' },
    'log-level': { type: 'string', default: 'silent' },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
  } as const satisfies ParseArgsOptionsConfig;
}

/** A bad number is a usage error: say which flag and exit 2 before any target is started. */
function positiveInt(name: string, value: string, min: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    console.error(`--${name} must be an integer >= ${min} (got ${value})`);
    process.exit(2);
  }
  return number;
}

export interface LoadSizes {
  /** measured operations per target, split over the rounds */
  requests: number;
  concurrency: number;
  /** unmeasured operations per target before the first round (0: none) */
  warmup: number;
  /** at most `requests`, so that no round is empty */
  rounds: number;
}

export function loadSizes(values: { requests: string; concurrency: string; warmup: string; rounds: string }): LoadSizes {
  const requests = positiveInt('requests', values.requests, 1);
  const concurrency = positiveInt('concurrency', values.concurrency, 1);
  const warmup = positiveInt('warmup', values.warmup, 0);
  const rounds = Math.min(positiveInt('rounds', values.rounds, 1), requests);
  return { requests, concurrency, warmup, rounds };
}
