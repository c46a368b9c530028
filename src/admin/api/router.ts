// The admin API under /admin/v1, built from the route table: authenticate (admin-auth.ts), gather
// the operation's input from the path, the query string and the JSON body, run the operation with
// the admin as the actor, answer JSON. Every refusal is `{ error, error_description }`.
import type { Context, Middleware } from 'koa';
import type { Config } from '../../config.ts';
import { AppError } from '../../http/app-error.ts';
import { isJsonBody } from '../../http/body-type.ts';
import { readBoundedText } from '../../http/read-body.ts';
import type { AccessTokenVerifier } from '../../oidc/access-token-verifier.ts';
import type { AuditTrail } from '../../security/audit/audit-event.ts';
import type { DerivedKeys } from '../../security/derived-keys.ts';
import type { Database } from '../../storage/database.ts';
import { ADMIN_ROUTES, runOperation } from '../registry.ts';
import { AdminAuthError, adminAuthenticator } from './admin-auth.ts';
import { adminOpenApiDocument } from './openapi.ts';
import { ADMIN_API_PREFIX, pathParameters, type AdminRoute } from '../operation/http-binding.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export interface AdminApiDeps {
  db: Database;
  keys: DerivedKeys;
  config: Config;
  audit: AuditTrail;
  accessTokens: () => AccessTokenVerifier;
  /** The server's clock (review dates are judged by it; tests move it). */
  now?: () => Date;
}

interface CompiledRoute {
  route: AdminRoute;
  pattern: RegExp;
  parameters: string[];
}

const compile = (route: AdminRoute): CompiledRoute => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
  parameters: pathParameters(route.path),
});

export const isAdminApiPath = (path: string) => path === ADMIN_API_PREFIX || path.startsWith(`${ADMIN_API_PREFIX}/`);

/** The JSON body (an object), or `{}` for a route without one. */
async function readInputBody(ctx: Context, route: AdminRoute): Promise<Record<string, unknown>> {
  const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
  if (route.body !== 'json' && !hasBody) return {};
  if (!isJsonBody(ctx)) throw new AppError('unsupported_media_type', 'the request body must be application/json', 415);
  const text = await readBoundedText(ctx.req, MAX_BODY_BYTES);
  if (route.body === 'none') {
    if (text.trim() === '' || /^\s*\{\s*\}\s*$/.test(text)) return {};
    throw new AppError('invalid_input', 'input: this request takes no body', 400);
  }
  if (text.trim() === '') throw new AppError('invalid_input', 'input: a JSON object is required', 400);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('invalid_input', 'input: the body is not valid JSON', 400);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AppError('invalid_input', 'input: must be a JSON object', 400);
  return parsed as Record<string, unknown>;
}

/** Query parameters as input fields: a repeated one stays a list (refused by the schema by name). */
function queryInput(ctx: Context, route: AdminRoute): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    input[name] = route.query?.numbers.includes(name) && typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  }
  return input;
}

function decodeSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AppError('invalid_input', `${name}: is not valid percent-encoding`, 400);
  }
}

/** Header fields of the input (`If-Match` -> `ifMatch`); a required one missing is a 428. */
function headerInput(ctx: Context, route: AdminRoute): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const header of route.headers ?? []) {
    const value = ctx.get(header.name);
    if (value !== '') input[header.field] = value;
    else if (header.required) {
      throw new AppError(
        'precondition_required',
        `${header.field}: send the ${header.name} header with the ETag of the object as last read (RFC 9110), so no change made meanwhile is overwritten`,
        428,
      );
    }
  }
  return input;
}

/** The RFC 6750 challenge of a refusal: admin-auth's own, or an operation's insufficient_scope (authority.ts). */
function challengeOf(error: AppError): string | undefined {
  if (error instanceof AdminAuthError) return error.challenge;
  if (error.code === 'insufficient_scope')
    return new AdminAuthError(error.code, error.message, 403, { error: error.code, error_description: error.message }).challenge;
  return undefined;
}

function answerError(ctx: Context, error: AppError): void {
  ctx.status = error.status;
  const challenge = challengeOf(error);
  if (challenge) ctx.set('WWW-Authenticate', challenge);
  ctx.body = { error: error.code, error_description: error.message };
}

export function adminApi(deps: AdminApiDeps): Middleware {
  const routes = ADMIN_ROUTES.map(compile);
  const authenticate = adminAuthenticator({ db: deps.db, issuer: deps.config.issuer, accessTokens: deps.accessTokens });
  // The document describes the API and grants nothing (every route still needs its token and
  // scopes), so it is public: clients and tooling read it before they hold a token. Built on its
  // first request, not at start: converting every schema to JSON Schema is start time and memory
  // that most processes never need.
  let document: string | undefined;

  return async (ctx) => {
    // Nothing the admin API answers may be cached: it carries client secrets and account data.
    ctx.set('Cache-Control', 'no-store');
    const path = ctx.path.slice(ADMIN_API_PREFIX.length) || '/';
    if (path === '/openapi.json' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.type = 'application/json';
      document ??= JSON.stringify(adminOpenApiDocument(deps.config.issuer));
      ctx.body = document;
      return;
    }
    const matching = routes.filter((candidate) => candidate.pattern.test(path));
    const found = matching.find((candidate) => candidate.route.method === ctx.method);
    try {
      if (!found) {
        if (matching.length === 0) throw new AppError('not_found', `no admin API route ${path}`, 404);
        ctx.set('Allow', matching.map((candidate) => candidate.route.method).join(', '));
        throw new AppError('method_not_allowed', `${ctx.method} is not allowed on ${path}`, 405);
      }
      const { route, pattern, parameters } = found;
      const principal = await authenticate(ctx, route.scopes);
      const segments = pattern.exec(path)!.slice(1);
      const params = Object.fromEntries(parameters.map((name, index) => [name, decodeSegment(segments[index]!, name)]));
      // Path and header fields win over the body: the body cannot retarget the request.
      const input = { ...queryInput(ctx, route), ...(await readInputBody(ctx, route)), ...headerInput(ctx, route), ...params };
      const result = await runOperation(
        {
          db: deps.db,
          keys: deps.keys,
          config: deps.config,
          audit: deps.audit,
          actor: principal.actor,
          scopes: principal.scopes,
          now: deps.now,
        },
        route.operation,
        input,
      );
      ctx.status = route.status;
      if (route.location) ctx.set('Location', `${ADMIN_API_PREFIX}${route.location(result as Record<string, unknown>)}`);
      if (route.etag) ctx.set('ETag', route.etag(result as Record<string, unknown>));
      ctx.body = result;
    } catch (error) {
      // Our refusals answer here, always as JSON; anything else (a store outage, a bug) goes to the
      // application's error handler (503 with Retry-After, or a logged 500).
      if (!(error instanceof AppError)) throw error;
      answerError(ctx, error);
    }
  };
}
