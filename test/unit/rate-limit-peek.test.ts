// Peeking a form body leaves it on the stream: a reader that comes later (oidc-provider, reading
// the way it does) gets exactly the same bytes.
import test from 'ava';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { peekFormBody, PEEK_LIMIT_BYTES } from '../../src/http/peek-body.ts';

/** What oidc-provider does with a request body: iterate the stream without destroying it. */
async function readLikeTheProvider(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface Seen {
  peeked: string | undefined;
  reread: string;
}

/** A server that peeks, then re-reads; `send` writes the request body in the given parts. */
async function exchange(parts: string[], headers: Record<string, string | number>): Promise<Seen> {
  const server = createServer();
  const seen = new Promise<Seen>((resolve, reject) => {
    server.once('request', (req: IncomingMessage, res) => {
      (async () => {
        const peeked = await peekFormBody(req);
        // a later reader, after the event loop moved on (the provider runs after other middleware)
        await sleep(5);
        const reread = await readLikeTheProvider(req);
        res.end('ok');
        return { peeked, reread };
      })().then(resolve, reject);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const done = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/token', headers }, (res) => res.resume().on('end', resolve));
      req.on('error', reject);
      (async () => {
        for (const part of parts) {
          req.write(part);
          await sleep(10);
        }
        req.end();
      })().catch(reject);
    });
    const result = await seen;
    await done;
    return result;
  } finally {
    server.close();
  }
}

const form = 'grant_type=client_credentials&client_id=svc%201&client_secret=s%C3%A9cret';
const type = 'application/x-www-form-urlencoded';

test('a body in one piece is peeked and read again, byte for byte', async (t) => {
  const seen = await exchange([form], { 'content-type': type, 'content-length': Buffer.byteLength(form) });
  t.is(seen.peeked, form);
  t.is(seen.reread, form);
});

test('a body arriving in several pieces is waited for, then read again whole', async (t) => {
  const parts = [form.slice(0, 10), form.slice(10, 30), form.slice(30)];
  const seen = await exchange(parts, { 'content-type': type, 'content-length': Buffer.byteLength(form) });
  t.is(seen.peeked, form);
  t.is(seen.reread, form);
});

test('an empty body is empty both times', async (t) => {
  const seen = await exchange([], { 'content-type': type, 'content-length': 0 });
  t.is(seen.peeked, '');
  t.is(seen.reread, '');
});

test("without a Content-Length (chunked), or beyond the provider's limit, nothing is peeked and the body is untouched", async (t) => {
  const chunked = await exchange([form.slice(0, 20), form.slice(20)], { 'content-type': type, 'transfer-encoding': 'chunked' });
  t.is(chunked.peeked, undefined);
  t.is(chunked.reread, form);
  const large = `client_id=x&pad=${'a'.repeat(PEEK_LIMIT_BYTES)}`;
  const big = await exchange([large], { 'content-type': type, 'content-length': Buffer.byteLength(large) });
  t.is(big.peeked, undefined);
  t.is(big.reread, large);
});
