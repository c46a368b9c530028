// Reads an application/x-www-form-urlencoded body for our own forms: bounded size, UTF-8 only,
// duplicated fields refused. Provider routes parse their own bodies and never pass through here.
import type { Context } from 'koa';
import { AppError } from './app-error.ts';
import { readBoundedText } from './read-body.ts';

const LIMIT_BYTES = 16 * 1024;

export async function readForm(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new AppError('unsupported_media_type', 'expected an application/x-www-form-urlencoded form', 415);
  }
  const text = await readBoundedText(ctx.req, LIMIT_BYTES);
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, name)) throw new AppError('duplicate_parameter', `the field "${name}" appears more than once`, 400);
    fields[name] = value;
  }
  return fields;
}
