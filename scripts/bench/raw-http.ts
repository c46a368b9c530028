// A minimal HTTP/1.1 load generator for requests whose bytes are known in advance: each request is
// serialised once, before any timing, and written to an open keep-alive connection; the answer is
// read only as far as its status line, headers and Content-Length body. On a 2-core host the load
// generator shares the CPUs with the target, and node:http costs several times more per request
// than the target's own request handling should (~0.7 ms against ~0.1 ms here), so it would make
// a target that is measured over HTTP look slower against one that is not.
import { connect, type Socket } from 'node:net';

export interface RawReply {
  status: number;
  /** header names in lower case; a repeated header keeps its last value */
  headers: Record<string, string>;
  body: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Serialises one request: `headers` must not carry Host, Content-Length or Connection (added here). */
export function serialiseRequest(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body = ''): Buffer {
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: keep-alive'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (method === 'POST') lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** One keep-alive connection: one request in flight at a time. */
export class RawConnection {
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  #buffered: Buffer = Buffer.alloc(0);
  #waiting: { resolve(reply: RawReply): void; reject(error: Error): void; timer: NodeJS.Timeout } | undefined;
  #failure: Error | undefined;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
      this.#deliver();
    });
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('the target closed the connection')));
  }

  static open(url: URL, timeoutMs: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket, timeoutMs));
      });
    });
  }

  /** Writes a serialised request and resolves with its answer. */
  send(request: Buffer): Promise<RawReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#waiting) return Promise.reject(new Error('a request is already in flight on this connection'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error(`no answer within ${this.#timeoutMs / 1000} s`)), this.#timeoutMs);
      this.#waiting = { resolve, reject, timer };
      this.#socket.write(request);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
  }

  /** Resolves the waiting request once its whole answer has arrived. */
  #deliver(): void {
    const headEnd = this.#buffered.indexOf(HEAD_END);
    if (headEnd < 0 || !this.#waiting) return;
    const [statusLine = '', ...headerLines] = this.#buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (headers['transfer-encoding']) {
      this.#fail(new Error(`unsupported Transfer-Encoding ${headers['transfer-encoding']}`));
      return;
    }
    const bodyStart = headEnd + HEAD_END.length;
    const bodyLength = Number(headers['content-length'] ?? 0);
    if (this.#buffered.length < bodyStart + bodyLength) return;
    const body = this.#buffered.subarray(bodyStart, bodyStart + bodyLength).toString('utf8');
    this.#buffered = this.#buffered.subarray(bodyStart + bodyLength);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    clearTimeout(waiting.timer);
    waiting.resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
  }
}
