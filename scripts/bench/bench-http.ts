// HTTP for the load generator: node:http over a keep-alive Agent with one connection per request in
// flight, so that no measured request pays for a TCP handshake and both targets of a benchmark get
// the same number of connections. Every request has a timeout, so a stuck target fails the request
// instead of hanging the run.
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export class KeepAliveClient {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  /** `connections`: the concurrency the client is used at; `timeoutMs`: the longest one request may take. */
  constructor(connections: number, timeoutMs: number) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
    this.#timeoutMs = timeoutMs;
  }

  /** Sends one request and reads the whole answer; redirects are returned, not followed. */
  send(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.#agent,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.#timeoutMs, () =>
        req.destroy(new Error(`${method} ${url.pathname} timed out after ${this.#timeoutMs / 1000} s`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Closes the kept-alive connections (the targets would otherwise hold them open). */
  close(): void {
    this.#agent.destroy();
  }
}
