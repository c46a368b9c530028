// What the interop suite shares: a Portcullis to point libraries at, administered the way the README
// tells users (the real `portcullis` CLI, in the README's words), a relying party's Express app on a
// free port, and a user signing in through our pages in a real browser.
//
// Embedded (PGlite) is the README's quick start: `npm start` in its own process with a DATA_DIR, the
// CLI reaching it through its control socket. On PostgreSQL + Redis the server runs in this process
// on isolated stores and the CLI works on the same database, as an operator's would.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { runCli } from './cli-process.ts';
import { PASSWORD } from './fixtures.ts';
import { startTestServer, type BackendSetup } from './server.ts';
import { freePort, startServerProcess } from './server-process.ts';

/** Where the README's examples say Portcullis and the application run. */
export const README_ISSUER = 'http://localhost:3000';
export const README_APP = 'http://localhost:8080';

export interface InteropPortcullis {
  /** The issuer (http://127.0.0.1:<port>). */
  url: string;
  /**
   * Runs a command written as in the README (`npx portcullis …`, double quotes allowed), with the
   * README's example origins replaced by the real ones; resolves to its standard output.
   */
  cli(command: string, options?: { app?: string; stdin?: string }): Promise<string>;
  close(): Promise<void>;
}

/** Splits a one-line shell command: words, "double-quoted" and 'single-quoted' strings. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

export async function startPortcullis(backend: BackendSetup): Promise<InteropPortcullis> {
  let url: string;
  let cliEnv: Record<string, string>;
  let close: () => Promise<void>;
  if (backend.database === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-interop-'));
    const port = await freePort();
    const server = await startServerProcess(
      { DATA_DIR: dataDir, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, SECRET_KEY: randomBytes(32).toString('base64url') },
      { timeoutMs: 90_000 },
    );
    url = `http://127.0.0.1:${port}`;
    cliEnv = { DATA_DIR: dataDir };
    close = async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  } else {
    const server = await startTestServer(backend);
    url = server.url;
    cliEnv = { DATABASE_URL: server.config.databaseUrl!, SECRET_KEY: server.config.secretKey! };
    close = () => server.close();
  }
  return {
    url,
    async cli(command, options = {}) {
      let line = command.replaceAll(README_ISSUER, url);
      if (options.app) line = line.replaceAll(README_APP, options.app);
      const [npx, portcullis, ...args] = shellWords(line);
      if (npx !== 'npx' || portcullis !== 'portcullis') throw new Error(`not a portcullis command: ${command}`);
      const run = await runCli(cliEnv, args, options.stdin ?? '');
      if (run.code !== 0) throw new Error(`${line} exited ${run.code}: ${run.stderr}`);
      return run.stdout;
    },
    close,
  };
}

/** What `clients create` printed: the client's id and (confidential clients) its secret. */
export function createdClient(output: string): { clientId: string; clientSecret: string | undefined } {
  const clientId = /client_id\s+(\S+)/.exec(output)?.[1];
  if (!clientId) throw new Error(`no client_id in:\n${output}`);
  return { clientId, clientSecret: /client_secret\s+(\S+)/.exec(output)?.[1] };
}

/** A user created as the README says (`users create`, the password on standard input). */
export async function createUserWithCli(portcullis: InteropPortcullis): Promise<{ email: string }> {
  const email = `user-${randomBytes(4).toString('hex')}@example.com`;
  await portcullis.cli(`npx portcullis users create --email ${email} --name "Interop User"`, { stdin: `${PASSWORD}\n` });
  return { email };
}

export interface AppServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Starts answering with `handler` (an Express app): the URL is known before the app is built. */
  serve(handler: (request: IncomingMessage, response: ServerResponse) => void): void;
  close(): Promise<void>;
}

/** An HTTP server for an application, listening on a free port before its handler exists. */
export async function listenForApp(): Promise<AppServer> {
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server: Server = createServer((request, response) => {
    if (handler) {
      handler(request, response);
      return;
    }
    response.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (next) => void (handler = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** On our login page (wherever the library sent the browser): signs in, then allows on consent. */
export async function signInAndConsent(page: Page, portcullisUrl: string, email: string): Promise<void> {
  await page.waitForURL((url) => url.href.startsWith(`${portcullisUrl}/interaction/`));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
}
