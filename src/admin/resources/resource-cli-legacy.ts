// `portcullis resources ...`
import { CLASSIFICATIONS } from '../../storage/resource-servers.ts';
import { DEFAULT_ACCESS_TOKEN_ALG, SIGNING_ALGORITHMS } from '../../security/signing-algorithms.ts';
import { keyValues, orDash, table, type Output } from '../operation/cli-output.ts';
import { entityTag } from '../operation/entity-tags.ts';
import type { ResourceServerView } from './resource-view.ts';
import {
  allPages,
  date,
  defined,
  integer,
  list,
  listOrNone,
  none,
  numberOrDefault,
  text,
  type CommandSpec,
  type FlagSpec,
  type FlagValues,
} from '../operation/cli-binding.ts';

/** `--scope read` or `--scope "read=Read the things"`. */
const scopeFlag = (value: string) => {
  const at = value.indexOf('=');
  return at < 0 ? { name: value } : { name: value.slice(0, at), description: value.slice(at + 1) };
};

const tokenTtl = (server: ResourceServerView) => (server.tokenTtl === null ? 'server default (ACCESS_TOKEN_TTL)' : `${server.tokenTtl} s`);
const nextReview = (server: ResourceServerView) => `${server.nextReviewDate}${server.reviewOverdue ? '  OVERDUE' : ''}`;

function printResource(server: ResourceServerView, output: Output): void {
  const scopeWidth = Math.max(0, ...server.scopes.map((scope) => scope.name.length));
  for (const line of keyValues([
    ['identifier', server.identifier],
    ['name', server.name],
    ['description', orDash(server.description)],
    ['owner', server.owner ?? '- (not recorded)'],
    ['purpose', orDash(server.purpose)],
    ['classification', server.classification ?? '- (not recorded)'],
    ['live date', server.liveDate ?? '- (not recorded)'],
    ['next review', nextReview(server)],
    ['last reviewed', server.lastReviewedAt === null ? 'never' : date(server.lastReviewedAt)],
    ['token TTL', tokenTtl(server)],
    ['token algorithm', server.tokenAlg],
    ['introspected by', server.introspectingClients.length > 0 ? server.introspectingClients : "only each token's own client"],
    ['scopes', server.scopes.map((scope) => `${scope.name.padEnd(scopeWidth)}  ${scope.description}`.trimEnd())],
    ['created', date(server.createdAt)],
    ['updated', date(server.updatedAt)],
    // what `resources update --if-match` takes (the same as the admin API's ETag)
    ['etag', entityTag(server)],
  ])) {
    output.out(line);
  }
}

const resourceTarget = { placeholder: 'identifier', field: 'identifier', flag: 'identifier' };
const identifierFlag: FlagSpec = {
  type: 'string',
  value: 'uri',
  help: 'the resource server (instead of the positional argument)',
  field: 'identifier',
};
const resourceRef = (values: FlagValues, target: string | undefined) => ({ identifier: target ?? text(values.identifier) });

/** The flags of the registry entry, shared by create and update. */
const registryFlags: Record<string, FlagSpec> = {
  name: { type: 'string', value: 'name', help: 'display name', field: 'name' },
  description: { type: 'string', value: 'text', help: 'what the API is', field: 'description' },
  owner: { type: 'string', value: 'contact', help: 'the team or person to contact about the API', field: 'owner' },
  purpose: { type: 'string', value: 'text', help: 'what the API is for (why it exists, who uses it)', field: 'purpose' },
  classification: { type: 'string', value: 'level', help: `data classification: ${CLASSIFICATIONS.join(' | ')}`, field: 'classification' },
  'live-date': { type: 'string', value: 'YYYY-MM-DD', help: 'when the API went (or goes) live', field: 'liveDate' },
  'next-review-date': { type: 'string', value: 'YYYY-MM-DD', help: 'when the API is next due for review', field: 'nextReviewDate' },
  scope: { type: 'string', multiple: true, value: 'name[=description]', help: 'a scope the API defines (repeatable)', field: 'scopes' },
  'token-ttl': { type: 'string', value: 'seconds', help: 'access-token lifetime, 30..86400 (default ACCESS_TOKEN_TTL)', field: 'tokenTtl' },
  'token-alg': {
    type: 'string',
    value: SIGNING_ALGORITHMS.join('|'),
    help: `the signing algorithm of its access tokens, what the API's library verifies (default ${DEFAULT_ACCESS_TOKEN_ALG})`,
    field: 'tokenAlg',
  },
  'introspecting-client': {
    type: 'string',
    multiple: true,
    value: 'client-id',
    help: "a client that may introspect the API's access tokens besides each token's own client (repeatable)",
    field: 'introspectingClients',
  },
};

const registryInput = (values: FlagValues) => ({
  name: text(values.name),
  description: text(values.description),
  owner: text(values.owner),
  purpose: text(values.purpose),
  classification: text(values.classification),
  nextReviewDate: text(values['next-review-date']),
  tokenAlg: text(values['token-alg']),
});

export const RESOURCE_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'resources create',
    operation: 'resources.create',
    summary: 'register a resource server (an API): its scopes and registry entry',
    flags: {
      identifier: {
        type: 'string',
        value: 'uri',
        help: 'absolute URI naming the API: the audience of its tokens (required)',
        field: 'identifier',
      },
      ...registryFlags,
      name: { ...registryFlags.name!, help: 'display name (default: the identifier)' },
      'next-review-date': { ...registryFlags['next-review-date']!, help: 'when the API is next due for review (default: a year on)' },
    },
    examples: [
      'portcullis resources create --identifier https://api.example.com --name "Example API" --scope read --scope "write=Change things" \\\n' +
        '      --owner "Payments team <payments@example.com>" --classification confidential --live-date 2025-03-01 --next-review-date 2026-03-01',
    ],
    input: (values) =>
      defined({
        identifier: text(values.identifier),
        ...registryInput(values),
        liveDate: text(values['live-date']),
        scopes: list(values.scope).map(scopeFlag),
        tokenTtl: integer(text(values['token-ttl'])),
        introspectingClients: list(values['introspecting-client']),
      }),
    print(result, output) {
      output.out('Created resource server');
      printResource(result as ResourceServerView, output);
    },
  },
  {
    command: 'resources list',
    operation: 'resources.list',
    summary: 'list resource servers; overdue reviews are marked OVERDUE',
    flags: { overdue: { type: 'boolean', help: 'only those whose review is overdue', field: 'overdue' } },
    input: (values) => (values.overdue === true ? { overdue: true } : {}),
    print: () => {},
    run: (context) =>
      allPages((items, output) => {
        const servers = items as ResourceServerView[];
        if (servers.length === 0) {
          if ((context.input as { overdue?: boolean }).overdue) {
            output.out('No resource server is overdue for review.');
            return;
          }
          none(output, 'resource servers');
          return;
        }
        const rows = servers.map((server) => [
          server.identifier,
          server.name,
          server.scopes.map((scope) => scope.name).join(' ') || '-',
          server.tokenTtl === null ? 'default' : `${server.tokenTtl} s`,
          server.classification ?? '-',
          server.owner ?? '-',
          server.nextReviewDate,
          server.reviewOverdue ? 'OVERDUE' : '',
        ]);
        for (const line of table(['identifier', 'name', 'scopes', 'token ttl', 'classification', 'owner', 'next review', 'overdue'], rows))
          output.out(line);
      })(context),
  },
  {
    command: 'resources show',
    operation: 'resources.show',
    summary: 'show a resource server: its registry entry and scopes',
    target: resourceTarget,
    flags: { identifier: identifierFlag },
    input: resourceRef,
    print: (result, output) => printResource(result as ResourceServerView, output),
  },
  {
    command: 'resources update',
    operation: 'resources.update',
    summary: 'change a resource server: only the fields given; --scope given replaces the whole list (clients lose scopes left out)',
    target: resourceTarget,
    flags: {
      identifier: identifierFlag,
      ...registryFlags,
      'live-date': { ...registryFlags['live-date']!, help: 'when the API went (or goes) live; "none": not recorded' },
      scope: {
        ...registryFlags.scope!,
        help: 'a scope the API defines (repeatable): the whole new list, descriptions included; "none" removes every scope',
      },
      'token-ttl': { ...registryFlags['token-ttl']!, help: 'access-token lifetime, 30..86400; "default": ACCESS_TOKEN_TTL' },
      'introspecting-client': {
        ...registryFlags['introspecting-client']!,
        help: 'a client that may introspect the API\'s access tokens (repeatable): the whole new list; "none" removes every one',
      },
      'if-match': {
        type: 'string',
        value: 'etag',
        help: 'change only if the resource server is unchanged since this ETag was read (resources show, or the admin API)',
        field: 'ifMatch',
      },
    },
    examples: [
      'portcullis resources update https://api.example.com --owner "Platform team <platform@example.com>" --classification restricted',
      'portcullis resources update https://api.example.com --scope "read=Read the things" --token-ttl default --if-match \'"Zx8…"\'',
    ],
    input: (values, target) => {
      const scopes = values.scope === undefined ? undefined : list(values.scope);
      const liveDate = text(values['live-date']);
      const ttl = text(values['token-ttl']);
      return defined({
        identifier: target ?? text(values.identifier),
        ifMatch: text(values['if-match']),
        ...registryInput(values),
        liveDate: liveDate === 'none' ? null : liveDate,
        scopes: scopes?.length === 1 && scopes[0] === 'none' ? [] : scopes?.map(scopeFlag),
        tokenTtl: numberOrDefault(ttl),
        introspectingClients: listOrNone(values['introspecting-client']),
      });
    },
    print(result, output) {
      output.out('Updated resource server');
      printResource(result as ResourceServerView, output);
    },
  },
  {
    command: 'resources review',
    operation: 'resources.review',
    summary: 'record that a resource server was reviewed today, and when it is next due',
    target: resourceTarget,
    flags: {
      identifier: identifierFlag,
      'next-review-date': {
        type: 'string',
        value: 'YYYY-MM-DD',
        help: 'when the API is next due for review, in the future (required)',
        field: 'nextReviewDate',
      },
      note: { type: 'string', value: 'text', help: 'what the review found (kept in the audit trail)', field: 'note' },
    },
    examples: ['portcullis resources review https://api.example.com --next-review-date 2026-09-01 --note "scopes and owners checked"'],
    input: (values, target) =>
      defined({ ...resourceRef(values, target), nextReviewDate: text(values['next-review-date']), note: text(values.note) }),
    print(result, output) {
      const server = result as ResourceServerView;
      output.out(`Recorded the review of ${server.identifier}; next review due ${server.nextReviewDate}`);
    },
  },
  {
    command: 'resources delete',
    operation: 'resources.delete',
    summary: 'delete a resource server; clients lose their permissions on it',
    target: resourceTarget,
    flags: { identifier: identifierFlag },
    input: resourceRef,
    print: (result, output) => output.out(`Deleted resource server ${(result as { identifier: string }).identifier}`),
  },
];
