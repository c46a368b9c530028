// Sends a wire request over real HTTP (node:http: it sends any method, a Host of our choosing,
// repeated headers and exact bytes, where fetch would refuse or normalise them) and reads the answer.
import { Agent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import type { WireRequest } from './fuzz-request.ts';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** No answer at all: the connection dropped, or nothing came within the time limit. */
export class NoAnswer extends Error {}

const TIMEOUT_MS = 15_000;
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
/** For a retry: a new connection, never one from the pool. */
const freshAgent = new Agent({ keepAlive: false });

/** Our side reads answers with headers far past Node's default 16 KiB (the server may echo a huge Origin back). */
const CLIENT_MAX_HEADER_BYTES = 1024 * 1024;

function sendOnce(origin: string, wire: WireRequest, fresh = false): Promise<Answer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    let request: ClientRequest;
    try {
      request = httpRequest({
        host: hostname,
        port,
        method: wire.method,
        path: wire.path,
        headers: wire.headers.flat(),
        agent: fresh ? freshAgent : agent,
        maxHeaderSize: CLIENT_MAX_HEADER_BYTES,
      });
    } catch (error) {
      // Node refuses to send it (a header or path no client could send): not a server problem
      reject(new TypeError(`not sendable: ${(error as Error).message}`));
      return;
    }
    request.setTimeout(TIMEOUT_MS, () => request.destroy(new NoAnswer(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      // a kept-alive socket the server closed as we reused it (its keep-alive timeout): the request never arrived
      if (request.reusedSocket && error.code === 'ECONNRESET') reject(new StaleSocket());
      else reject(error instanceof NoAnswer ? error : new NoAnswer(`connection failed: ${error.message}`));
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
      });
      response.on('error', (error) => reject(new NoAnswer(`answer cut off: ${error.message}`)));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.end(wire.body);
  });
}

class StaleSocket extends Error {}

export async function send(origin: string, wire: WireRequest): Promise<Answer> {
  try {
    return await sendOnce(origin, wire);
  } catch (error) {
    if (!(error instanceof StaleSocket)) throw error;
    // once more, on a new connection (what Node's documentation advises)
    return sendOnce(origin, wire, true).catch((again: unknown) => {
      throw again instanceof StaleSocket ? new NoAnswer('connection failed: read ECONNRESET (twice)') : again;
    });
  }
}

/** The current ETag of an admin API object (for `If-Match: {{etag}}`); a made-up one when it has none. */
export async function currentEtag(origin: string, path: string, adminToken: string): Promise<string> {
  const answer = await send(origin, {
    method: 'GET',
    path,
    headers: [
      ['Host', new URL(origin).host],
      ['Authorization', `Bearer ${adminToken}`],
    ],
    body: undefined,
  });
  const etag = answer.headers.etag;
  return typeof etag === 'string' ? etag : '"none"';
}
