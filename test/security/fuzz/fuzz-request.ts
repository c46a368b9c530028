// A generated request as data (a template with `{{placeholders}}`), and how it becomes bytes on the
// wire: percent-encoding that can carry lone surrogates (as WTF-8) and raw bytes, JSON text that can
// repeat keys and carry `__proto__`, multipart, and a body encoding other than UTF-8.
import type { AnswerKind } from './endpoint.ts';
import { fillIn, type FuzzValues } from './fuzz-values.ts';

export type BodyEncoding = 'utf8' | 'utf16le' | 'latin1';

export type FuzzBody =
  /** urlencoded (`raw`: values written unencoded, `&`, `=` and `%` included) */
  | { format: 'form'; entries: [string, string][]; raw: boolean; encoding: BodyEncoding }
  | { format: 'multipart'; entries: [string, string][]; encoding: BodyEncoding }
  /** a JSON object written entry by entry: duplicated and prototype keys survive */
  | { format: 'json-object'; entries: [string, unknown][]; encoding: BodyEncoding }
  | { format: 'json-value'; value: unknown; encoding: BodyEncoding }
  /** anything else: broken or deeply nested JSON, plain text */
  | { format: 'text'; text: string; encoding: BodyEncoding };

export interface FuzzRequest {
  /** The endpoint it was built for (reports group failures by it). */
  endpoint: string;
  kind: AnswerKind;
  method: string;
  /** The path, percent-encoded already except for placeholders (`{{enc:name}}` in segments). */
  path: string;
  /** The query string's entries (`raw`: written unencoded), placeholders filled in before encoding. */
  query: { entries: [string, string][]; raw: boolean };
  /** In order; a name may repeat. */
  headers: [string, string][];
  body?: FuzzBody;
}

/** What goes on the wire. */
export interface WireRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer | undefined;
}

const hex = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/** Percent-encodes every code unit, a lone surrogate as its three WTF-8 bytes (what a hostile client sends). */
export function percentEncode(text: string): string {
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(index, index + 2));
      index++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map(hex).join('');
    } else out += encodeURIComponent(text[index]!);
  }
  return out;
}

/** A query string or urlencoded body; `raw` writes what a URL may carry as it is. */
export function encodeEntries(entries: [string, string][], raw = false): string {
  return entries.map(([name, value]) => (raw ? `${name}=${value}` : `${percentEncode(name)}=${percentEncode(value)}`)).join('&');
}

const BOUNDARY = '----portcullis-fuzz';
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

const fillEntries = (entries: [string, string][], values: FuzzValues | undefined): [string, string][] =>
  values ? entries.map(([name, value]) => [fillIn(name, values), fillIn(value, values)]) : entries;

function bodyText(body: FuzzBody, values: FuzzValues | undefined): string {
  switch (body.format) {
    case 'form':
      return encodeEntries(fillEntries(body.entries, values), body.raw);
    case 'multipart':
      return `${fillEntries(body.entries, values)
        .map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
        .join('')}--${BOUNDARY}--\r\n`;
    case 'json-object':
      return fillJson(
        `{${body.entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`,
        values,
      );
    case 'json-value':
      return fillJson(JSON.stringify(body.value) ?? '', values);
    case 'text':
      return fillJson(body.text, values);
  }
}

/** The target's values are ids, tokens, emails and URLs: nothing JSON would escape. */
const fillJson = (text: string, values: FuzzValues | undefined) => (values ? fillIn(text, values) : text);

/** Path and query string, with the target's values filled in. */
export function requestTarget(request: FuzzRequest, values: FuzzValues | undefined): string {
  const filled = values ? fillIn(request.path, values) : request.path;
  // a request-target that is not a path is refused by Node's parser before the app: not worth sending
  const path = filled.startsWith('/') ? filled : `/${filled}`;
  const entries = fillEntries(request.query.entries, values);
  // a request line carries no spaces or control characters: such a query goes percent-encoded
  const raw = request.query.raw && entries.every(([name, value]) => /^[\u0021-\u00ff]*$/.test(name + value));
  const query = encodeEntries(entries, raw);
  return query ? `${path}?${query}` : path;
}

/** The request's bytes with the target's values filled in. */
export function toWire(request: FuzzRequest, values: FuzzValues): WireRequest {
  const body = request.body ? Buffer.from(bodyText(request.body, values), request.body.encoding) : undefined;
  const headers = request.headers.map(([name, value]): [string, string] => [name, fillIn(value, values)]);
  if (body) headers.push(['Content-Length', String(body.length)]);
  return { method: request.method, path: requestTarget(request, values), headers, body };
}

const shorten = (text: string, limit = 300) => {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}… (${text.length} chars)`;
};

/** A reproduction a person can read and replay: request line, headers, body (JSON-escaped, shortened). */
export function describeRequest(request: FuzzRequest, values?: FuzzValues): string {
  const wire = values ? toWire(request, values) : undefined;
  const lines = [`${request.method} ${shorten(requestTarget(request, values), 400)}   [${request.endpoint}]`];
  for (const [name, value] of wire?.headers ?? request.headers)
    lines.push(`  ${name}: ${shorten(JSON.stringify(value).slice(1, -1), 200)}`);
  if (request.body) {
    lines.push(
      `  body (${request.body.format}, ${request.body.encoding}): ${shorten(JSON.stringify(bodyText(request.body, values)), 600)}`,
    );
  }
  return lines.join('\n');
}
