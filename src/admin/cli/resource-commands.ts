// `portcullis resources ...`
import type { ResourceServer } from '../../storage/resource-servers.ts';
import { keyValues, table, type Output } from '../cli-output.ts';
import { date, defined, integer, list, none, text, allPages, type CommandSpec, type FlagSpec } from './command-spec.ts';

/** `--scope read` or `--scope "read=Read the things"`. */
const scopeFlag = (value: string) => {
  const at = value.indexOf('=');
  return at < 0 ? { name: value } : { name: value.slice(0, at), description: value.slice(at + 1) };
};


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


const resourceTarget = { placeholder: 'identifier', field: 'identifier', flag: 'identifier' };
const identifierFlag: FlagSpec = { type: 'string', value: 'uri', help: 'the resource server (instead of the positional argument)', field: 'identifier' };

export const RESOURCE_COMMANDS: readonly CommandSpec[] = [
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
    print: () => {},
    run: allPages((items, output) => {
      const servers = items as ResourceServer[];
      if (servers.length === 0) return none(output, 'resource servers');
      const rows = servers.map((server) => [server.identifier, server.name, server.scopes.map((scope) => scope.name).join(' ') || '-', server.tokenTtl === null ? 'default' : `${server.tokenTtl} s`]);
      for (const line of table(['identifier', 'name', 'scopes', 'token ttl'], rows)) output.out(line);
    }),
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
];
