// Reads a request body as UTF-8 text, refusing more than `limit` bytes (declared or received) and
// bytes that are not valid UTF-8, before any of it is parsed.
import type { IncomingMessage } from 'node:http';
import { AppError } from './app-error.ts';

export async function readBoundedText(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new AppError('payload_too_large', 'the request body is too large', 413);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) throw new AppError('payload_too_large', 'the request body is too large', 413);
    chunks.push(chunk);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AppError('invalid_encoding', 'the request body is not valid UTF-8', 400);
  }
}
