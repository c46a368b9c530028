// At the token endpoint a grant source, its Grant and its account are read in one statement
// (src/oidc/adapters/request-prefetch.ts). What one request read must never answer another: a
// grant revoked or a user disabled or deleted between two requests stops the second at once.
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { signInForTokens } from '../helpers/user-tokens.ts';
import { createHash, randomBytes } from 'node:crypto';
import { deleteGrantRecords } from '../../src/storage/oidc-models.ts';

/** A new user signed in to `client`, and the refresh token it holds for them. */
async function tokensFor(server: TestServer, client: TestClient) {
  const user = await createUser(server.db);
  const tokens = await signInForTokens(server, client, user.email);
  if (!tokens?.refreshToken) throw new Error(`${user.email} got no refresh token`);
  return { user, refreshToken: tokens.refreshToken };
}

const refresh = (server: TestServer, client: TestClient, refreshToken: string) =>
  postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);

/** The SQL statements the database receives while `work` runs: their first parameter (the kind, for oidc_models), then their text. */
async function statementsDuring(server: TestServer, work: () => Promise<unknown>): Promise<string[]> {
  const db = server.stores.db as unknown as { query: (...args: unknown[]) => unknown };
  const original = db.query;
  const seen: string[] = [];
  db.query = (...args: unknown[]) => {
    seen.push(`${String((args[1] as unknown[] | undefined)?.[0])} ${String(args[0]).replace(/\s+/g, ' ')}`);
    return original.apply(db, args);
  };
  try {
    await work();
  } finally {
    db.query = original;
  }
  return seen;
}

testEachBackend('a refresh reads its token, the grant and the account in one statement', async (t, server) => {
  const client = await createTestClient(server); // confidential: no rotation, the token stays usable
  const { refreshToken } = await tokensFor(server, client);
  const statements = await statementsDuring(server, async () => t.is((await refresh(server, client, refreshToken)).status, 200));
  const reads = statements.filter((sql) => /^\S+ SELECT/.test(sql) && /\b(oidc_models|accounts)\b/.test(sql));
  t.is(reads.length, 1, reads.join('\n'));
});

testEachBackend('a user disabled, then deleted, between two refreshes: the next one is refused at once', async (t, server) => {
  const client = await createTestClient(server);
  const { user, refreshToken } = await tokensFor(server, client);
  t.is((await refresh(server, client, refreshToken)).status, 200);
  await server.db.query('UPDATE accounts SET disabled_at = now() WHERE id = $1', [user.id]);
  t.is((await refresh(server, client, refreshToken)).body.error, 'invalid_grant', 'disabled');
  await server.db.query('UPDATE accounts SET disabled_at = NULL WHERE id = $1', [user.id]);
  t.is((await refresh(server, client, refreshToken)).status, 200, 'enabled again');
  await server.db.query('DELETE FROM accounts WHERE id = $1', [user.id]);
  t.is((await refresh(server, client, refreshToken)).body.error, 'invalid_grant', 'deleted');
});

testEachBackend('a grant revoked between two refreshes: the next one is refused at once', async (t, server) => {
  const client = await createTestClient(server);
  const { refreshToken } = await tokensFor(server, client);
  const first = await refresh(server, client, refreshToken);
  t.is(first.status, 200);
  // the Grant alone is gone (the refresh token row stays): only the Grant lookup can refuse it
  const [{ grant_id: grantId } = { grant_id: '' }] = (
    await server.db.query<{ grant_id: string }>(`SELECT grant_id FROM oidc_models WHERE kind = 'RefreshToken'`)
  ).rows;
  await server.db.query(`DELETE FROM oidc_models WHERE kind = 'Grant' AND id = $1`, [grantId]);
  t.is((await refresh(server, client, refreshToken)).body.error, 'invalid_grant');
  await deleteGrantRecords(server.db, grantId);
  t.is((await refresh(server, client, refreshToken)).body.error, 'invalid_grant');
});

testEachBackend(
  'what a request read is never handed to another: a grant read by a refused request, then revoked, refuses its code',
  async (t, server) => {
    const client = await createTestClient(server);
    const stranger = await createTestClient(server);
    const user = await createUser(server.db);
    // one Grant with a refresh token (SQL) and a code (Redis), as two authorizations of a session make
    const provider = server.portcullis.host.current();
    const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
    grant.addOIDCScope('openid offline_access');
    const grantId = await grant.save();
    const found = await provider.Client.find(client.clientId);
    const common = {
      accountId: user.id,
      client: found!,
      grantId,
      scope: 'openid offline_access',
      expiresWithSession: false,
      gty: 'authorization_code',
    };
    const refreshToken = await new provider.RefreshToken(common).save();
    const verifier = randomBytes(32).toString('base64url');
    const code = await new provider.AuthorizationCode({
      ...common,
      redirectUri: REDIRECT_URI,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      codeChallengeMethod: 'S256',
    }).save();
    // a request that reads the refresh token (and so its Grant and account) but is refused before using them
    t.is((await refresh(server, stranger, refreshToken)).body.error, 'invalid_grant');
    await server.db.query(`DELETE FROM oidc_models WHERE kind = 'Grant' AND id = $1`, [grantId]);
    const redeemed = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      client,
    );
    t.is(redeemed.body.error, 'invalid_grant', JSON.stringify(redeemed.body));
  },
  { only: ['postgres+redis'] },
);

testEachBackend('a rotation consumes the refresh token and writes its successor in one statement', async (t, server) => {
  const client = await createTestClient(server, { authMethod: 'none' });
  const { refreshToken } = await tokensFor(server, client);
  let rotated = '';
  const statements = await statementsDuring(server, async () => {
    const answer = await refresh(server, client, refreshToken);
    t.is(answer.status, 200);
    rotated = answer.body.refresh_token as string;
  });
  // (the access token is opaque here: no API named, so it is stored too)
  const writes = statements.filter((sql) => /^RefreshToken .*\b(UPDATE|INSERT)\b/.test(sql));
  t.is(writes.length, 1, writes.join('\n'));
  t.is((await refresh(server, client, refreshToken)).body.error, 'invalid_grant', 'the old one was consumed');
  t.is((await refresh(server, client, rotated)).body.error, 'invalid_grant', 'and its reuse revoked the grant');
});

testEachBackend('one rotating refresh token used by 8 parallel requests: one 200, the grant revoked', async (t, server) => {
  const client = await createTestClient(server, { authMethod: 'none' });
  const { refreshToken } = await tokensFor(server, client);
  const results = await Promise.all(Array.from({ length: 8 }, () => refresh(server, client, refreshToken)));
  t.is(results.filter((result) => result.status === 200).length, 1, JSON.stringify(results.map((result) => result.body)));
  t.true(results.filter((result) => result.status !== 200).every((result) => result.body.error === 'invalid_grant'));
  const winner = results.find((result) => result.status === 200)!;
  t.is((await refresh(server, client, winner.body.refresh_token as string)).body.error, 'invalid_grant', 'a loser revoked the grant');
});

testEachBackend(
  'two requests that both found a rotating refresh token unused: one rotation wins, the other revokes the grant',
  async (t, server) => {
    const client = await createTestClient(server, { authMethod: 'none' });
    const { refreshToken } = await tokensFor(server, client);
    // hold every refresh token write until both requests reach theirs: both have read the token unused
    const db = server.stores.db as unknown as { query: (...args: unknown[]) => Promise<unknown> };
    const original = db.query;
    let release!: () => void;
    const bothArrived = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    db.query = async (...args: unknown[]) => {
      if ((args[1] as unknown[] | undefined)?.[0] === 'RefreshToken' && /\b(UPDATE|INSERT)\b/.test(String(args[0]))) {
        if (++arrived === 2) release();
        await Promise.race([bothArrived, new Promise((resolve) => setTimeout(resolve, 5000))]);
      }
      return original.apply(db, args);
    };
    t.teardown(() => {
      db.query = original;
    });
    const results = await Promise.all([0, 1].map(() => refresh(server, client, refreshToken)));
    t.is(arrived >= 2, true, 'both requests reached their write');
    t.deepEqual(results.map((result) => result.status).sort(), [200, 400], JSON.stringify(results.map((result) => result.body)));
    const winner = results.find((result) => result.status === 200)!;
    db.query = original;
    t.is((await refresh(server, client, winner.body.refresh_token as string)).body.error, 'invalid_grant', 'the loser revoked the grant');
  },
);
