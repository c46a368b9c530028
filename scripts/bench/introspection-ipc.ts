// What the targets of introspection-throughput.ts report when ready (their `ready` message of the
// target-ipc.ts protocol, with an info of their own): where to introspect, and as whom.
import type { TargetInfo } from './target-ipc.ts';

/** What a token request with client credentials needs (a token target reports more). */
export type ServiceClientInfo = Pick<TargetInfo, 'name' | 'issuer' | 'tokenEndpoint' | 'clientId' | 'clientSecret'>;

/** A target that answers RFC 7662 introspection at `introspectionEndpoint`. */
export interface IntrospectionTargetInfo {
  name: string;
  /** the target's own base URL */
  url: string;
  introspectionEndpoint: string;
  /** The caller that introspects (client_secret_basic): a resource server's introspecting client. */
  callerId: string;
  callerSecret: string;
}

/**
 * The Portcullis target also issues the tokens (to its service client, `token` below) and publishes
 * the keys that sign them, which the baseline is given so that it verifies the very same tokens.
 */
export interface PortcullisIntrospectionInfo extends IntrospectionTargetInfo {
  issuer: string;
  jwksUri: string;
  /** The service client whose client_credentials tokens are introspected. */
  token: ServiceClientInfo;
}

/** The environment the parent starts the baseline with: what it verifies tokens against, and whom it lets in. */
export const BASELINE_ENV = {
  issuer: 'BENCH_ISSUER',
  jwks: 'BENCH_JWKS',
  callerId: 'BENCH_CALLER_ID',
  callerSecret: 'BENCH_CALLER_SECRET',
} as const;
