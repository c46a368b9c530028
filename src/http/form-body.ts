// Reads an application/x-www-form-urlencoded body for our own forms: bounded size, UTF-8 only,
// duplicated fields refused. Provider routes parse their own bodies and never pass through here.
import type { Context } from 'koa';
import { AppError } from './app-error.ts';

const LIMIT_BYTES = 16 * 1024;

export async function readForm(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new AppError('unsupported_media_type', 'expected an application/x-www-form-urlencoded form', 415);
  }
  const declared = ctx.request.length;
  if (declared !== undefined && declared > LIMIT_BYTES) throw new AppError('payload_too_large', 'the form is too large', 413);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > LIMIT_BYTES) throw new AppError('payload_too_large', 'the form is too large', 413);
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AppError('invalid_encoding', 'the form must be UTF-8', 400);
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, name)) throw new AppError('duplicate_parameter', `the field "${name}" appears more than once`, 400);
    fields[name] = value;
  }
  return fields;
}
