// The `portcullis` commands: their flags, how flags become an operation's input, and how the
// operation's result is shown to a person (`--json` prints the result itself).
import type { UnlockResult } from './operations/user-lockout.ts';
import type { MfaResetResult } from './operations/user-mfa.ts';
import type { Account } from '../storage/accounts.ts';
import type { ResourceServer } from '../storage/resource-servers.ts';
import type { SigningKeySummary } from '../security/signing-keys.ts';
import type { AuditEvent, AuditExportPage, AuditPage, AuditVerification } from '../security/audit/audit-queries.ts';
import type { AuditPruneOutput } from './operations/audit.ts';
import { AUTH_METHODS, GRANT_TYPES } from './client-input.ts';
import { keyValues, orDash, table, yesNo, type Output } from './cli-output.ts';
import type { ClientView } from './operations/clients.ts';
import type { BootstrapResult } from './operations/admin-bootstrap.ts';
import { ADMIN_AUDIENCE } from './api/admin-scopes.ts';

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Placeholder in the help text. */
  value?: string;
  help: string;
  /** The input field this flag fills: refusals naming the field name the flag instead. */
  field?: string;
}

export interface InputSources {
  /** The password from standard input (or a prompt without echo on a terminal). */
  readPassword(): Promise<string>;
}

export interface CommandSpec {
  /** How it is typed, e.g. `clients create`. */
  command: string;
  /** The operation it runs (`migrate` is the CLI's own). */
  operation: string;
  summary: string;
  /** A positional argument naming what the command acts on; `flag` is an alternative spelling. */
  target?: { placeholder: string; field: string; flag: string };
  flags: Record<string, FlagSpec>;
  examples?: string[];
  input(values: FlagValues, target: string | undefined, sources: InputSources): unknown;
  print(result: unknown, output: Output): void;
  /**
   * For commands that call their operation more than once (paging, following) or choose their own
   * exit status: runs instead of one call + `print`, and returns the exit status.
   */
  run?(context: CommandContext): Promise<number>;
}

export interface CommandContext {
  /** What `input` returned. */
  input: unknown;
  json: boolean;
  output: Output;
  /** Runs the command's operation with this input, where the configuration says. */
  call(input: unknown): Promise<unknown>;
  /** Aborted by Ctrl-C (SIGINT); a command that ignores it is ended shortly after. */
  signal: AbortSignal;
}

const list = (value: FlagValues[string]): string[] => (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []);
const text = (value: FlagValues[string]): string | undefined => (typeof value === 'string' ? value : undefined);
/** Leaves out undefined values, so the operation's defaults apply. */
const defined = (input: Record<string, unknown>) => Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));

/** `--token-ttl 600` -> 600; anything else is passed on for the operation to refuse by name. */
const integer = (value: string | undefined): number | string | undefined => (value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : value);

/** `--scope read` or `--scope "read=Read the things"`. */
const scopeFlag = (value: string) => {
  const at = value.indexOf('=');
  return at < 0 ? { name: value } : { name: value.slice(0, at), description: value.slice(at + 1) };
};

const date = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

const rateLimit = (perMinute: number | null) => (perMinute === null ? 'server default (RATE_LIMIT_CLIENT_PER_MINUTE)' : `${perMinute} requests per minute`);

function printClient(client: ClientView, output: Output): void {
  for (const line of keyValues([
    ['client_id', client.clientId],
    ['name', client.name],
    ['type', `${client.applicationType}${client.firstParty ? ', first party' : ''}${client.requireMfa ? ', requires MFA' : ''}`],
    ['auth method', client.authMethod],
    ['grant types', client.grantTypes],
    ['redirect URIs', client.redirectUris],
    ['post-logout URIs', client.postLogoutRedirectUris],
    ['back-channel logout', orDash(client.backchannelLogoutUri)],
    ...(client.jwksUri ? ([['jwks_uri', client.jwksUri]] as const) : []),
    ['resources', Object.entries(client.resources).map(([resource, scopes]) => `${resource}  ${scopes.length > 0 ? scopes.join(' ') : '(no scopes)'}`)],
    ['rate limit', rateLimit(client.rateLimitPerMinute)],
    ['created', date(client.createdAt)],
  ])) {
    output.out(line);
  }
}

function printResource(server: ResourceServer, output: Output): void {
  const scopeWidth = Math.max(0, ...server.scopes.map((scope) => scope.name.length));
  for (const line of keyValues([
    ['identifier', server.identifier],
    ['name', server.name],
    ['token TTL', server.tokenTtl === null ? 'server default (ACCESS_TOKEN_TTL)' : `${server.tokenTtl} s`],
    ['scopes', server.scopes.map((scope) => `${scope.name.padEnd(scopeWidth)}  ${scope.description}`.trimEnd())],
    ['created', date(server.createdAt)],
  ])) {
    output.out(line);
  }
}

function printAccount(account: Account, output: Output): void {
  for (const line of keyValues([
    ['id', account.id],
    ['email', account.email],
    ['name', orDash(account.name)],
    ['status', account.disabled ? 'disabled' : 'active'],
    ['email verified', yesNo(account.emailVerified)],
    ['second factor', account.isAdmin ? 'required (administrator)' : account.mfaRequired ? 'required' : 'per MFA_POLICY'],
    ['created', date(account.createdAt)],
  ])) {
    output.out(line);
  }
}

function printKeys(keys: SigningKeySummary[], output: Output): void {
  if (keys.length === 0) {
    output.out('No signing keys yet (the server creates them when it starts).');
    return;
  }
  const rows = keys.map((key) => [key.kid, key.alg, key.state, date(key.createdAt), date(key.activatedAt), date(key.removeAfter)]);
  for (const line of table(['kid', 'alg', 'state', 'created', 'activated', 'published until'], rows)) output.out(line);
}

const none = (output: Output, what: string) => output.out(`No ${what} yet.`);

/** One line per audit event: seq, time, type, outcome, then whatever the event has. */
export function formatAuditEvent(event: AuditEvent): string {
  const parts = [`#${event.seq}`, date(event.occurredAt), event.type, event.outcome];
  if (event.actor) parts.push(`actor=${event.actor.type}:${event.actor.id}`);
  if (event.target) parts.push(`target=${event.target.type}:${event.target.id}`);
  if (event.clientId) parts.push(`client=${event.clientId}`);
  if (event.ip) parts.push(`ip=${event.ip}`);
  if (event.requestId) parts.push(`request=${event.requestId}`);
  if (event.details && Object.keys(event.details).length > 0) parts.push(JSON.stringify(event.details));
  return parts.join('  ');
}

const printAuditEvents = (events: readonly AuditEvent[], json: boolean, output: Output) => {
  for (const event of events) output.out(json ? JSON.stringify(event) : formatAuditEvent(event));
};

const FOLLOW_INTERVAL_MS = 1_000;
const AUDIT_PAGE = 1_000;

/** Resolves after `ms`, or false at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

async function runAuditTail(context: CommandContext, follow: boolean): Promise<number> {
  const { output, json, signal } = context;
  const filters = context.input as Record<string, unknown>;
  const first = (await context.call(filters)) as AuditPage;
  printAuditEvents(first.events, json, output);
  if (!follow) {
    if (first.events.length === 0 && !json) none(output, 'audit events');
    return 0;
  }
  const { limit: _limit, ...filter } = filters;
  let cursor = first.cursor;
  let failing = false;
  let full = false;
  while (full || (await pause(FOLLOW_INTERVAL_MS, signal))) {
    if (signal.aborted) break;
    try {
      const page = (await context.call({ ...filter, afterSeq: cursor, limit: AUDIT_PAGE })) as AuditPage;
      if (failing) output.err('audit tail: reading again');
      failing = false;
      printAuditEvents(page.events, json, output);
      cursor = page.cursor;
      full = page.events.length === AUDIT_PAGE;
    } catch (error) {
      if (!failing) output.err(`audit tail: ${error instanceof Error ? error.message : String(error)}; retrying every second`);
      failing = true;
      full = false;
    }
  }
  return 0;
}

async function runAuditExport(context: CommandContext): Promise<number> {
  const range = context.input as Record<string, unknown>;
  let afterSeq: number | undefined;
  for (;;) {
    if (context.signal.aborted) return 130;
    const page = (await context.call({ ...range, ...(afterSeq === undefined ? {} : { afterSeq }), limit: AUDIT_PAGE })) as AuditExportPage;
    // JSON lines, with or without --json: one event per line, in chain order.
    printAuditEvents(page.events, true, context.output);
    if (page.next === null) return 0;
    afterSeq = page.next;
  }
}

async function runAuditVerify(context: CommandContext): Promise<number> {
  const result = (await context.call(context.input)) as AuditVerification;
  if (context.json) context.output.out(JSON.stringify(result, null, 2));
  if (!result.ok) {
    if (!context.json) context.output.err(`error: the audit chain is broken at seq ${result.brokenSeq}: ${result.reason} (${result.checked} event(s) verified before it)`);
    return 1;
  }
  if (!context.json) {
    if (result.checked === 0) context.output.out(`The audit chain is intact: no events${result.anchorSeq === null ? '' : ` after the retention anchor at seq ${result.anchorSeq}`}.`);
    else {
      context.output.out(`The audit chain is intact: ${result.checked} event(s) verified, seq ${result.firstSeq} to ${result.lastSeq}.`);
      if (result.anchorSeq !== null) context.output.out(`Events up to seq ${result.anchorSeq} were pruned (the retention anchor verifies).`);
      context.output.out(`Last hash: ${result.lastHash}`);
    }
  }
  return 0;
}

const auditUserFlag: FlagSpec = { type: 'string', value: 'id', help: 'only events whose actor or target is this user', field: 'userId' };
const auditClientFlag: FlagSpec = { type: 'string', value: 'client-id', help: 'only events of this client', field: 'clientId' };
const sinceFlag: FlagSpec = { type: 'string', value: 'iso-date', help: 'events that occurred at or after (2025-01-31 or 2025-01-31T12:00:00Z)', field: 'since' };
const untilFlag: FlagSpec = { type: 'string', value: 'iso-date', help: 'events that occurred before (exclusive)', field: 'until' };

const clientIdTarget = { placeholder: 'client-id', field: 'clientId', flag: 'client-id' };
const resourceTarget = { placeholder: 'identifier', field: 'identifier', flag: 'identifier' };
const userTarget = { placeholder: 'id-or-email', field: 'user', flag: 'user' };

const clientIdFlag: FlagSpec = { type: 'string', value: 'id', help: 'the client (instead of the positional argument)', field: 'clientId' };
const identifierFlag: FlagSpec = { type: 'string', value: 'uri', help: 'the resource server (instead of the positional argument)', field: 'identifier' };
const userFlags: Record<string, FlagSpec> = {
  user: { type: 'string', value: 'id-or-email', help: 'the user (instead of the positional argument)', field: 'user' },
  email: { type: 'string', value: 'email', help: 'the user, by email', field: 'user' },
  id: { type: 'string', value: 'id', help: 'the user, by id', field: 'user' },
};
const userRef = (values: FlagValues, target: string | undefined) => ({ user: target ?? text(values.user) ?? text(values.email) ?? text(values.id) });

export const COMMANDS: readonly CommandSpec[] = [
  {
    command: 'migrate',
    operation: 'migrate',
    summary: 'apply pending database migrations',
    flags: {},
    input: () => ({}),
    print(result, output) {
      const { applied, serverRunning } = result as { applied: string[]; serverRunning?: boolean };
      if (serverRunning) output.out('A server is running on DATA_DIR: it applied the migrations when it started (restart it to apply new ones).');
      else if (applied.length === 0) output.out('The database schema is up to date.');
      else for (const name of applied) output.out(`applied ${name}`);
    },
  },
  {
    command: 'clients create',
    operation: 'clients.create',
    summary: 'register a client; its secret is shown once',
    flags: {
      name: { type: 'string', value: 'name', help: 'display name (required)', field: 'name' },
      'grant-type': { type: 'string', multiple: true, value: 'type', help: `${GRANT_TYPES.join(' | ')} (repeatable; default authorization_code)`, field: 'grantTypes' },
      'redirect-uri': { type: 'string', multiple: true, value: 'uri', help: 'exact redirect URI: https, http on localhost/127.0.0.1/[::1], or com.example.app:/path (repeatable)', field: 'redirectUris' },
      'post-logout-redirect-uri': { type: 'string', multiple: true, value: 'uri', help: 'where to return after logout (repeatable)', field: 'postLogoutRedirectUris' },
      'backchannel-logout-uri': { type: 'string', value: 'uri', help: 'back-channel logout endpoint of the client', field: 'backchannelLogoutUri' },
      resource: { type: 'string', multiple: true, value: 'uri', help: 'resource server the client may get tokens for (repeatable)', field: 'resources' },
      scope: { type: 'string', multiple: true, value: 'name', help: 'scope of those resources the client may request (repeatable)', field: 'scopes' },
      'auth-method': { type: 'string', value: 'method', help: `${AUTH_METHODS.join(' | ')} (default client_secret_basic)`, field: 'authMethod' },
      'jwks-uri': { type: 'string', value: 'url', help: 'https URL of the client\'s JWKS (private_key_jwt)', field: 'jwksUri' },
      'first-party': { type: 'boolean', help: 'a first-party app: no consent screen', field: 'firstParty' },
      'require-mfa': { type: 'boolean', help: 'its users must sign in with a second factor', field: 'requireMfa' },
      'rate-limit': { type: 'string', value: 'per-minute', help: 'requests per minute to the token, introspection and revocation endpoints (default RATE_LIMIT_CLIENT_PER_MINUTE)', field: 'rateLimitPerMinute' },
    },
    examples: [
      'portcullis clients create --name "My app" --grant-type authorization_code --grant-type refresh_token \\\n      --redirect-uri http://localhost:8080/callback --resource https://api.example.com --scope read',
      'portcullis clients create --name "Worker" --grant-type client_credentials --resource https://api.example.com --scope read',
    ],
    input: (values) =>
      defined({
        name: text(values.name),
        grantTypes: values['grant-type'] === undefined ? undefined : list(values['grant-type']),
        redirectUris: list(values['redirect-uri']),
        postLogoutRedirectUris: list(values['post-logout-redirect-uri']),
        backchannelLogoutUri: text(values['backchannel-logout-uri']),
        resources: list(values.resource),
        scopes: list(values.scope),
        authMethod: text(values['auth-method']),
        jwksUri: text(values['jwks-uri']),
        firstParty: values['first-party'] === true,
        requireMfa: values['require-mfa'] === true,
        rateLimitPerMinute: integer(text(values['rate-limit'])),
      }),
    print(result, output) {
      const client = result as ClientView & { clientSecret?: string };
      output.out(`Created client "${client.name}"`);
      for (const line of keyValues([
        ['client_id', client.clientId],
        ...(client.clientSecret ? ([['client_secret', client.clientSecret]] as const) : []),
        ['auth method', client.authMethod],
        ...(client.rateLimitPerMinute === null ? [] : ([['rate limit', rateLimit(client.rateLimitPerMinute)]] as const)),
      ])) {
        output.out(`  ${line}`);
      }
      if (client.clientSecret) output.err('Store the client secret now: it is shown only this once and cannot be retrieved later.');
      else if (client.authMethod === 'none') output.err('Public client: no secret; it must use PKCE.');
    },
  },
  {
    command: 'clients list',
    operation: 'clients.list',
    summary: 'list clients',
    flags: {},
    input: () => ({}),
    print(result, output) {
      const clients = result as ClientView[];
      if (clients.length === 0) return none(output, 'clients');
      const rows = clients.map((client) => [client.clientId, client.name, client.authMethod, client.grantTypes.join(','), Object.keys(client.resources).join(',') || '-']);
      for (const line of table(['client id', 'name', 'auth method', 'grant types', 'resources'], rows)) output.out(line);
    },
  },
  {
    command: 'clients show',
    operation: 'clients.show',
    summary: 'show a client (never its secret)',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    input: (values, target) => ({ clientId: target ?? text(values['client-id']) }),
    print: (result, output) => printClient(result as ClientView, output),
  },
  {
    command: 'clients delete',
    operation: 'clients.delete',
    summary: 'delete a client with its grants and tokens',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    input: (values, target) => ({ clientId: target ?? text(values['client-id']) }),
    print: (result, output) => output.out(`Deleted client ${(result as { clientId: string }).clientId}`),
  },
  {
    command: 'resources create',
    operation: 'resources.create',
    summary: 'register a resource server (an API) and its scopes',
    flags: {
      identifier: { type: 'string', value: 'uri', help: 'absolute URI naming the API: the audience of its tokens (required)', field: 'identifier' },
      name: { type: 'string', value: 'name', help: 'display name (default: the identifier)', field: 'name' },
      scope: { type: 'string', multiple: true, value: 'name[=description]', help: 'a scope the API defines (repeatable)', field: 'scopes' },
      'token-ttl': { type: 'string', value: 'seconds', help: 'access-token lifetime, 30..86400 (default ACCESS_TOKEN_TTL)', field: 'tokenTtl' },
    },
    examples: ['portcullis resources create --identifier https://api.example.com --name "Example API" --scope read --scope "write=Change things"'],
    input: (values) =>
      defined({
        identifier: text(values.identifier),
        name: text(values.name),
        scopes: list(values.scope).map(scopeFlag),
        tokenTtl: integer(text(values['token-ttl'])),
      }),
    print(result, output) {
      output.out('Created resource server');
      printResource(result as ResourceServer, output);
    },
  },
  {
    command: 'resources list',
    operation: 'resources.list',
    summary: 'list resource servers',
    flags: {},
    input: () => ({}),
    print(result, output) {
      const servers = result as ResourceServer[];
      if (servers.length === 0) return none(output, 'resource servers');
      const rows = servers.map((server) => [server.identifier, server.name, server.scopes.map((scope) => scope.name).join(' ') || '-', server.tokenTtl === null ? 'default' : `${server.tokenTtl} s`]);
      for (const line of table(['identifier', 'name', 'scopes', 'token ttl'], rows)) output.out(line);
    },
  },
  {
    command: 'resources show',
    operation: 'resources.show',
    summary: 'show a resource server and its scopes',
    target: resourceTarget,
    flags: { identifier: identifierFlag },
    input: (values, target) => ({ identifier: target ?? text(values.identifier) }),
    print: (result, output) => printResource(result as ResourceServer, output),
  },
  {
    command: 'resources delete',
    operation: 'resources.delete',
    summary: 'delete a resource server; clients lose their permissions on it',
    target: resourceTarget,
    flags: { identifier: identifierFlag },
    input: (values, target) => ({ identifier: target ?? text(values.identifier) }),
    print: (result, output) => output.out(`Deleted resource server ${(result as { identifier: string }).identifier}`),
  },
  {
    command: 'users create',
    operation: 'users.create',
    summary: 'create a user; the password comes from --password or standard input',
    flags: {
      email: { type: 'string', value: 'email', help: 'email address (required)', field: 'email' },
      name: { type: 'string', value: 'name', help: 'display name', field: 'name' },
      password: { type: 'string', value: 'password', help: 'the password (prefer standard input: command lines are visible to other users)' },
      'require-mfa': { type: 'boolean', help: 'must sign in with a second factor (enrols one at the first login)', field: 'mfaRequired' },
      admin: { type: 'boolean', help: 'an administrator (always signs in with a second factor)', field: 'isAdmin' },
    },
    examples: ['printf "%s" "$PASSWORD" | portcullis users create --email you@example.com --name "You"'],
    async input(values, _target, sources) {
      const password = text(values.password) ?? (await sources.readPassword());
      return defined({ email: text(values.email), name: text(values.name), password, mfaRequired: values['require-mfa'] === true, isAdmin: values.admin === true });
    },
    print(result, output) {
      output.out('Created user');
      printAccount(result as Account, output);
    },
  },
  {
    command: 'users list',
    operation: 'users.list',
    summary: 'list users',
    flags: {},
    input: () => ({}),
    print(result, output) {
      const accounts = result as Account[];
      if (accounts.length === 0) return none(output, 'users');
      const rows = accounts.map((account) => [account.id, account.email, orDash(account.name), account.disabled ? 'disabled' : 'active', date(account.createdAt)]);
      for (const line of table(['id', 'email', 'name', 'status', 'created'], rows)) output.out(line);
    },
  },
  {
    command: 'users show',
    operation: 'users.show',
    summary: 'show a user (by id or email)',
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print: (result, output) => printAccount(result as Account, output),
  },
  {
    command: 'users disable',
    operation: 'users.disable',
    summary: 'disable a user and end their sessions, grants and refresh tokens',
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print(result, output) {
      const account = result as Account & { revoked: number };
      output.out(`Disabled ${account.email} (${account.id}); removed ${account.revoked} session(s), grant(s) and token(s)`);
    },
  },
  {
    command: 'users enable',
    operation: 'users.enable',
    summary: 'enable a disabled user',
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print: (result, output) => output.out(`Enabled ${(result as Account).email} (${(result as Account).id})`),
  },
  {
    command: 'users reset-mfa',
    operation: 'users.reset-mfa',
    summary: "remove a user's second factors (authenticator app, passkeys, recovery codes)",
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print(result, output) {
      const reset = result as MfaResetResult;
      output.out(`Removed the second factors of ${reset.email} (${reset.id}): ${reset.removed.totp} authenticator app(s), ${reset.removed.passkeys} passkey(s), ${reset.removed.recoveryCodes} recovery code(s)`);
      if (reset.mustEnrol) output.out('They must set up a new second factor at their next sign-in.');
    },
  },
  {
    command: 'users unlock',
    operation: 'users.unlock',
    summary: "clear a user's failed-login count and lock (and the blocks of the addresses that failed)",
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print(result, output) {
      const unlocked = result as UnlockResult;
      const state = unlocked.wasLocked ? 'was locked' : 'was not locked';
      output.out(`Unlocked ${unlocked.email} (${unlocked.id}): ${state}, ${unlocked.failures} failed login(s) cleared`);
    },
  },
  {
    command: 'keys list',
    operation: 'keys.list',
    summary: 'list signing keys',
    flags: {},
    input: () => ({}),
    print: (result, output) => printKeys(result as SigningKeySummary[], output),
  },
  {
    command: 'keys rotate',
    operation: 'keys.rotate',
    summary: 'rotate signing keys (next becomes current; current stays published until its tokens expire)',
    flags: {},
    input: () => ({}),
    print(result, output) {
      const keys = result as SigningKeySummary[];
      output.out(`Rotated. Now signing with: ${keys.filter((key) => key.state === 'current').map((key) => `${key.alg} ${key.kid}`).join(', ')}`);
      printKeys(keys, output);
    },
  },
  {
    command: 'audit tail',
    operation: 'audit.list',
    summary: 'show the latest audit events; --follow keeps printing new ones (--json: one event per line)',
    flags: {
      follow: { type: 'boolean', help: 'keep printing new events (checked every second) until Ctrl-C' },
      type: { type: 'string', value: 'type', help: 'an event type, or a prefix: login matches login.succeeded and login.failed', field: 'type' },
      user: auditUserFlag,
      client: auditClientFlag,
      since: sinceFlag,
      limit: { type: 'string', value: 'n', help: `how many of the latest events to show first (1..${AUDIT_PAGE}, default 50)`, field: 'limit' },
    },
    examples: ['portcullis audit tail --follow --type login', 'portcullis audit tail --user 3f2c… --limit 200 --json'],
    input: (values) =>
      defined({
        type: text(values.type),
        userId: text(values.user),
        clientId: text(values.client),
        since: text(values.since),
        limit: integer(text(values.limit)),
        follow: values.follow === true ? true : undefined,
      }),
    print: (result, output) => printAuditEvents((result as AuditPage).events, false, output),
    run(context) {
      const { follow, ...input } = context.input as { follow?: boolean };
      return runAuditTail({ ...context, input }, follow === true);
    },
  },
  {
    command: 'audit export',
    operation: 'audit.export',
    summary: 'print the audit events of a period as JSON lines, in chain order (with their hashes)',
    flags: { since: sinceFlag, until: untilFlag },
    examples: ['portcullis audit export --since 2025-01-01 --until 2025-02-01 > audit-2025-01.jsonl'],
    input: (values) => defined({ since: text(values.since), until: text(values.until) }),
    print: (result, output) => printAuditEvents((result as AuditExportPage).events, true, output),
    run: runAuditExport,
  },
  {
    command: 'audit verify',
    operation: 'audit.verify',
    summary: 'verify the audit hash chain; exits 1 naming the first broken event',
    flags: {},
    input: () => ({}),
    print: () => {},
    run: runAuditVerify,
  },
  {
    command: 'audit prune',
    operation: 'audit.prune',
    summary: 'delete audit events older than AUDIT_RETENTION_DAYS (or --before); the rest stays verifiable',
    flags: { before: { type: 'string', value: 'iso-date', help: 'prune events that occurred before this date instead', field: 'before' } },
    input: (values) => defined({ before: text(values.before) }),
    print(result, output) {
      const pruned = result as AuditPruneOutput;
      if (pruned.before === null) {
        output.out('Audit retention is off (AUDIT_RETENTION_DAYS=0): nothing pruned. Use --before to prune anyway.');
        return;
      }
      output.out(`Pruned ${pruned.pruned} audit event(s) that occurred before ${date(pruned.before)}.`);
      if (pruned.anchor) output.out(`The chain now starts after seq ${pruned.anchor.seq} (pruned ${date(pruned.anchor.prunedAt)}).`);
    },
  },
  {
    command: 'admin bootstrap',
    operation: 'admin.bootstrap',
    summary: 'create the first admin client (and, with --email, an administrator user); refused once an administrator exists',
    flags: {
      'client-name': { type: 'string', value: 'name', help: 'the admin client\'s display name (default "Portcullis admin")', field: 'clientName' },
      email: { type: 'string', value: 'email', help: 'also create an administrator user with this email (password from standard input)', field: 'email' },
      name: { type: 'string', value: 'name', help: 'the administrator user\'s display name', field: 'name' },
    },
    examples: ['portcullis admin bootstrap', 'printf "%s" "$PASSWORD" | portcullis admin bootstrap --email admin@example.com --name "Admin"'],
    async input(values, _target, sources) {
      const email = text(values.email);
      return defined({ clientName: text(values['client-name']), email, name: text(values.name), password: email === undefined ? undefined : await sources.readPassword() });
    },
    print(result, output) {
      const { client, user } = result as BootstrapResult;
      output.out(`Created admin client "${client.name}" (client credentials on ${ADMIN_AUDIENCE}, scopes ${client.resources[ADMIN_AUDIENCE]?.join(' ')})`);
      for (const line of keyValues([['client_id', client.clientId], ['client_secret', client.clientSecret ?? '-']])) output.out(`  ${line}`);
      output.err('Store the client secret now: it is shown only this once and cannot be retrieved later.');
      if (user) {
        output.out(`Created administrator ${user.email} (${user.id}): they set up a second factor at their first sign-in.`);
      }
    },
  },
];

/** The flag to name in a message about `field` (the positional argument when it has no flag). */
export function flagForField(spec: CommandSpec, field: string): string | undefined {
  if (spec.target?.field === field) return `<${spec.target.placeholder}>`;
  const entry = Object.entries(spec.flags).find(([, flag]) => flag.field === field);
  return entry && `--${entry[0]}`;
}
