// Test data written straight through the repositories.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { generateClientSecret, hashClientSecret } from '../../src/security/client-secrets.ts';
import { insertAccount, type Account } from '../../src/storage/accounts.ts';
import { insertClient } from '../../src/storage/clients.ts';
import type { Database } from '../../src/storage/database.ts';
import { insertResourceServer } from '../../src/storage/resource-servers.ts';
import type { TestServer } from './server.ts';

export const REDIRECT_URI = 'http://127.0.0.1:8080/callback';
export const PASSWORD = 'correct horse battery staple';

export async function createResource(db: Database, identifier: string, scopes: string[], tokenTtl: number | null = null) {
  return insertResourceServer(db, {
    identifier,
    name: `API ${identifier}`,
    scopes: scopes.map((name) => ({ name, description: `Can ${name}` })),
    tokenTtl,
  });
}

export interface TestClient {
  clientId: string;
  clientSecret: string | undefined;
}

export async function createTestClient(
  server: TestServer,
  options: {
    grantTypes?: string[];
    authMethod?: 'client_secret_basic' | 'client_secret_post' | 'none';
    resources?: Record<string, string[]>;
    firstParty?: boolean;
    requireMfa?: boolean;
    redirectUris?: string[];
    backchannelLogoutUri?: string;
    /** further client metadata (RFC 7591 names), e.g. id_token_signed_response_alg */
    metadata?: Record<string, unknown>;
  } = {},
): Promise<TestClient> {
  const grantTypes = options.grantTypes ?? ['authorization_code', 'refresh_token'];
  const authMethod = options.authMethod ?? 'client_secret_basic';
  const clientId = `client-${randomBytes(6).toString('hex')}`;
  const clientSecret = authMethod === 'none' ? undefined : generateClientSecret();
  const hasCode = grantTypes.includes('authorization_code');
  await insertClient(server.db, {
    clientId,
    name: `Test client ${clientId}`,
    metadata: {
      client_name: `Test client ${clientId}`,
      grant_types: grantTypes,
      response_types: hasCode ? ['code'] : [],
      redirect_uris: hasCode ? (options.redirectUris ?? [REDIRECT_URI]) : [],
      post_logout_redirect_uris: hasCode ? ['http://127.0.0.1:8080/logged-out'] : [],
      token_endpoint_auth_method: authMethod,
      ...(options.backchannelLogoutUri
        ? { backchannel_logout_uri: options.backchannelLogoutUri, backchannel_logout_session_required: true }
        : {}),
      ...options.metadata,
    },
    secretHash: clientSecret ? hashClientSecret(server.portcullis.keys.clientSecretKey, clientSecret) : null,
    firstParty: options.firstParty ?? false,
    requireMfa: options.requireMfa ?? false,
    resources: options.resources ?? {},
  });
  return { clientId, clientSecret };
}

export async function createUser(db: Database, email = `user-${randomBytes(4).toString('hex')}@example.com`): Promise<Account> {
  return insertAccount(db, { email, name: 'Test User', passwordHash: await hashPassword(PASSWORD), emailVerified: true });
}

export const basicAuth = (client: TestClient) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? '')}`).toString('base64')}`;

/** POSTs a form to a token-like endpoint with client authentication. */
export async function postForm(url: string, form: Record<string, string>, client?: TestClient, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(client?.clientSecret ? { authorization: basicAuth(client) } : {}),
      ...headers,
    },
    body: new URLSearchParams(client && !client.clientSecret ? { client_id: client.clientId, ...form } : form),
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body, headers: response.headers };
}

/** Gives a user a confirmed authenticator app (as if enrolled); returns its secret, to compute codes. */
export async function giveAuthenticatorApp(server: TestServer, accountId: string, secret = generateTotpSecret()): Promise<string> {
  await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
    accountId,
    encryptTotpSecret(server.portcullis.keys.encryptionKey, accountId, secret),
  ]);
  return secret;
}
