// Reads a request's form body without taking it away from oidc-provider, which parses its bodies
// itself, from the request stream. The bytes are read, then pushed back onto the stream (Node's
// `unshift`, before the stream has announced its end), so the provider reads them exactly as if
// nobody had: same bytes, same Content-Length check, same size limit.
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../http/app-error.ts';

/** oidc-provider's own body limit: a larger body is refused by it, so it is not read here either. */
export const PEEK_LIMIT_BYTES = 56 * 1024;

/**
 * The body as text, or undefined when it cannot be peeked safely: no Content-Length (chunked),
 * larger than PEEK_LIMIT_BYTES, or someone is reading the stream already.
 */
export function peekFormBody(req: IncomingMessage): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(declared) || declared < 0 || declared > PEEK_LIMIT_BYTES) return Promise.resolve(undefined);
  if (req.readableFlowing !== null || req.readableEnded || req.readableEncoding !== null) return Promise.resolve(undefined);
  if (declared === 0) return Promise.resolve('');

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    // Runs synchronously from 'readable' up to the unshift: the stream cannot emit 'end' in between
    // (it checks again for "one last unshift" before doing so).
    function onReadable() {
      let chunk: Buffer | null;
      while (received < declared && (chunk = req.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        received += chunk.length;
      }
      if (received < declared) return;
      stop();
      const body = Buffer.concat(chunks, received);
      req.unshift(body);
      resolve(body.toString('utf8'));
    }
    function onEnd() {
      stop();
      reject(new AppError('invalid_request', 'the request body is shorter than its Content-Length', 400));
    }
    function onError() {
      stop();
      reject(new AppError('invalid_request', 'the request body could not be read', 400));
    }
    req.on('readable', onReadable);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
