// What the fuzzer knows about one endpoint: its documented methods, its path (with parameters), the
// parameters it reads and how plausible values look, where they go, and the shape of its answers.
// Plausible values may hold `{{name}}` placeholders (fuzz-values.ts): real ids and tokens of the
// running target, filled in when the request is sent, so deep paths are reached.
import type fc from 'fast-check';

/** The documented shape of an endpoint's answers (answer-shape.ts checks them). */
export type AnswerKind =
  /** oidc-provider's JSON endpoints: RFC 6749 `{ error, error_description }` on 4xx */
  | 'oauth'
  /** discovery and JWKS: JSON documents */
  | 'metadata'
  /** the admin API: JSON, `{ error, error_description }` on every refusal */
  | 'admin'
  /** pages a browser visits: HTML (or a redirect), JSON errors only for a caller that asked for JSON */
  | 'page'
  /** /healthz, /readyz: JSON */
  | 'health'
  /** a path no route documents: any status below 500, and JSON that parses when it says JSON */
  | 'any';

export interface Parameter {
  name: string;
  /** Values the endpoint accepts or nearly accepts. */
  plausible: fc.Arbitrary<string>;
  /** A plausible JSON value (JSON bodies only; defaults to `plausible`). */
  json?: fc.Arbitrary<unknown>;
}

export interface Endpoint {
  /** For reports: `POST /admin/v1/clients/{clientId}`. */
  name: string;
  kind: AnswerKind;
  methods: readonly string[];
  /** Path with `{name}` parameters, each filled from `pathParameters`. */
  path: string;
  pathParameters: Record<string, fc.Arbitrary<string>>;
  /** Where the endpoint reads its parameters. */
  body: 'form' | 'json' | 'none';
  query: readonly Parameter[];
  fields: readonly Parameter[];
  /** Request headers of its own (If-Match, DPoP...). */
  headers?: readonly Parameter[];
}
