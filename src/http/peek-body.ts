// Reads a request's body without taking it away from whoever parses it later (oidc-provider and our
// own routes read their bodies from the request stream). The bytes are read, then pushed back onto
// the stream (Node's `unshift`, before the stream has announced its end), so the later reader gets
// them exactly as if nobody had: same bytes, same Content-Length check, same size limit. The input
// guard and the rate limits both peek: the bytes are read once per request and remembered.
import type { IncomingMessage } from 'node:http';
import { AppError } from './app-error.ts';

/**
 * The largest body any endpoint accepts (the admin API's 64 KiB; oidc-provider's limit is 56 KiB,
 * our forms' 16 KiB): a larger one is refused by its endpoint, so it is not read here either.
 */
export const PEEK_LIMIT_BYTES = 64 * 1024;

const peeked = new WeakMap<IncomingMessage, Promise<Buffer | undefined>>();

/**
 * The body's bytes, or undefined when it cannot be peeked safely: no Content-Length (chunked),
 * larger than PEEK_LIMIT_BYTES, or someone is reading the stream already.
 */
export function peekBody(req: IncomingMessage): Promise<Buffer | undefined> {
  let body = peeked.get(req);
  if (!body) peeked.set(req, (body = readAndPutBack(req)));
  return body;
}

/** The body as (UTF-8) text; see peekBody. */
export const peekFormBody = async (req: IncomingMessage): Promise<string | undefined> => (await peekBody(req))?.toString('utf8');

function readAndPutBack(req: IncomingMessage): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(declared) || declared < 0 || declared > PEEK_LIMIT_BYTES) return Promise.resolve(undefined);
  if (req.readableFlowing !== null || req.readableEnded || req.readableEncoding !== null) return Promise.resolve(undefined);
  if (declared === 0) return Promise.resolve(Buffer.alloc(0));

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
      resolve(body);
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
