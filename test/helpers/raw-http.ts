// A request exactly as written, for the attacks fetch() cannot send: a forged Host header, an
// absolute-form request target, a body without Content-Length.
import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function rawRequest(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        // `path` may be an absolute-form target ("http://evil.example/x"); Node sends it as given
        path: options.path ?? `${target.pathname}${target.search}`,
        headers: options.headers ?? {},
        setHost: !options.headers || !Object.keys(options.headers).some((name) => name.toLowerCase() === 'host'),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) {
      if (!options.chunked) req.setHeader('content-length', Buffer.byteLength(options.body));
      req.write(options.body);
    }
    req.end();
  });
}
