// `portcullis users sessions | grants | revoke-session | revoke-grant | sign-out-everywhere`
// The user is the positional argument, as in the other `users` commands; the session or grant is a
// flag (`--session`, `--grant`): one positional per command keeps `<id-or-email>` unambiguous.
import { table, type Output } from '../operation/cli-output.ts';
import type { GrantRevoked, GrantView, SessionRevoked, SessionView, SignedOutEverywhere } from '../operations/user-sessions.ts';
import { allPages, date, defined, text, type CommandSpec } from '../operation/cli-binding.ts';
import { userFlags, userRef, userTarget } from '../users/user-flags.ts';

const joined = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : '-');

function printSessions(items: unknown[], output: Output): void {
  const sessions = items as SessionView[];
  if (sessions.length === 0) {
    output.out('No sessions.');
    return;
  }
  const rows = sessions.map((session) => [
    session.id,
    date(session.signedInAt),
    date(session.expiresAt),
    [session.acr ?? '-', session.amr.length > 0 ? `(${session.amr.join(' ')})` : ''].join(' ').trim(),
    joined(session.clients.map((client) => client.name ?? client.clientId)),
  ]);
  for (const line of table(['id', 'signed in', 'expires', 'acr (amr)', 'clients'], rows)) output.out(line);
}

function printGrants(items: unknown[], output: Output): void {
  const grants = items as GrantView[];
  if (grants.length === 0) {
    output.out('No grants.');
    return;
  }
  const rows = grants.map((grant) => [
    grant.id,
    grant.client.name ?? grant.client.id,
    joined([...grant.scopes, ...grant.resources.map((entry) => `${entry.resource}: ${entry.scopes.join(' ')}`)]),
    date(grant.createdAt),
    date(grant.expiresAt),
  ]);
  for (const line of table(['id', 'client', 'scopes', 'created', 'expires'], rows)) output.out(line);
}

export const USER_SESSION_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'users sessions',
    operation: 'users.sessions',
    summary: "list a user's sessions: sign-in and expiry times, acr/amr, the clients signed in to",
    target: userTarget,
    flags: userFlags,
    examples: ['portcullis users sessions alice@example.com'],
    input: userRef,
    print: () => {},
    run: allPages(printSessions),
  },
  {
    command: 'users grants',
    operation: 'users.grants',
    summary: "list a user's grants: the client, the scopes granted (per API), created and expiry times",
    target: userTarget,
    flags: userFlags,
    examples: ['portcullis users grants alice@example.com --json'],
    input: userRef,
    print: () => {},
    run: allPages(printGrants),
  },
  {
    command: 'users revoke-session',
    operation: 'users.revoke-session',
    summary: 'end one session of a user (and the grants made through it without offline access)',
    target: userTarget,
    flags: {
      ...userFlags,
      session: { type: 'string', value: 'session-id', help: 'the session, as `users sessions` lists it (required)', field: 'sessionId' },
    },
    examples: ['portcullis users revoke-session alice@example.com --session 6vY1yq8h0k0Wq3ZtP7c2x'],
    input: (values, target) => defined({ ...userRef(values, target), sessionId: text(values.session) }),
    print(result, output) {
      const revoked = result as SessionRevoked;
      output.out(
        `Ended session ${revoked.sessionId} of ${revoked.email} (${revoked.userId}); revoked ${revoked.revokedGrantIds.length} grant(s) made through it`,
      );
      if (revoked.keptGrantIds.length > 0) {
        output.out(
          `Kept ${revoked.keptGrantIds.length} grant(s) with offline access: ${revoked.keptGrantIds.join(', ')} (end them with "portcullis users revoke-grant")`,
        );
      }
    },
  },
  {
    command: 'users revoke-grant',
    operation: 'users.revoke-grant',
    summary: "revoke one of a user's grants with every code and token issued under it",
    target: userTarget,
    flags: {
      ...userFlags,
      grant: { type: 'string', value: 'grant-id', help: 'the grant, as `users grants` lists it (required)', field: 'grantId' },
    },
    examples: ['portcullis users revoke-grant alice@example.com --grant Vb2mX0c9YbS4d1hQe6tLr'],
    input: (values, target) => defined({ ...userRef(values, target), grantId: text(values.grant) }),
    print(result, output) {
      const revoked = result as GrantRevoked;
      output.out(
        `Revoked grant ${revoked.grantId} of ${revoked.email} (${revoked.userId}) to client ${revoked.clientId ?? '-'}; removed ${revoked.endedRecords} record(s) (the grant, its codes and tokens)`,
      );
    },
  },
  {
    command: 'users sign-out-everywhere',
    operation: 'users.sign-out-everywhere',
    summary: "end all of a user's sessions and grants (with their tokens) without disabling them",
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print(result, output) {
      const ended = result as SignedOutEverywhere;
      output.out(
        `Signed ${ended.email} (${ended.userId}) out everywhere: ended ${ended.sessionIds.length} session(s), ${ended.grantIds.length} grant(s) and ${ended.otherRecords} token(s) or code(s)`,
      );
    },
  },
];
