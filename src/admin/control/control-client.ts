// The CLI's side of the control socket (see control-server.ts).
import { request } from 'node:http';
import { userInfo } from 'node:os';
import { AppError } from '../../http/app-error.ts';

export type ControlCall = { reached: true; result: unknown } | { reached: false; reason: 'no-server' };

const NO_SERVER_CODES: ReadonlySet<string> = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

/**
 * Asks the server listening on `socketPath` to run an operation. Resolves `{ reached: false }` when
 * no server listens there (no socket file, or a stale one); rejects with an AppError when the server
 * refused the operation, and with an Error for anything else.
 */
export function callControlServer(
  socketPath: string,
  name: string,
  input: unknown,
  options: { timeoutMs?: number } = {},
): Promise<ControlCall> {
  const body = JSON.stringify(input ?? {});
  return new Promise<ControlCall>((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: `/operations/${name}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-portcullis-actor': userInfo().username,
        },
        timeout: options.timeoutMs ?? 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          let answer: { ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
          try {
            answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof answer;
          } catch {
            reject(new Error(`the server answered ${res.statusCode} without a readable body`));
            return;
          }
          if (answer.ok === true) {
            resolve({ reached: true, result: answer.result });
            return;
          }
          const code = typeof answer.error?.code === 'string' ? answer.error.code : 'server_error';
          const message = typeof answer.error?.message === 'string' ? answer.error.message : `the server answered ${res.statusCode}`;
          reject(new AppError(code, message, res.statusCode ?? 500));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the server did not answer on its control socket in time')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code && NO_SERVER_CODES.has(error.code)) resolve({ reached: false, reason: 'no-server' });
      else reject(error);
    });
    req.end(body);
  });
}
