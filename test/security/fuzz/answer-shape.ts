// Is an answer one the endpoint documents? No 5xx ever; a redirect says where to; the provider's
// JSON endpoints answer RFC 6749 error objects; the admin API answers JSON with `{ error,
// error_description }` on every refusal; pages answer HTML (or a JSON error to a caller that asked
// for JSON); JSON that says it is JSON parses. Returns the problems found (none: the answer is fine).
import type { AnswerKind } from './endpoint.ts';
import type { Answer } from './send-request.ts';

export interface Asked {
  kind: AnswerKind;
  method: string;
  path: string;
}

const isErrorObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { error?: unknown }).error === 'string';

const excerpt = (body: Buffer) => JSON.stringify(body.subarray(0, 200).toString('utf8'));

/** Node's own HTTP parser refuses some requests (oversized headers, a malformed request line) with an empty 4xx before any app code. */
const nodeRefusal = (answer: Answer) =>
  [400, 413, 414, 431].includes(answer.status) && answer.body.length === 0 && !answer.headers['content-type'];

/** No route for the path or method: Koa's plain 404 or the router's 405 with Allow. */
const unrouted = (answer: Answer, type: string) =>
  type.startsWith('text/plain') && (answer.status === 404 || (answer.status === 405 && typeof answer.headers.allow === 'string'));

export function shapeProblems(asked: Asked, answer: Answer): string[] {
  const problems: string[] = [];
  const { status } = answer;
  const type = answer.headers['content-type'] ?? '';
  if (status >= 500) return [`server error ${status}: ${excerpt(answer.body)}`];
  if (status < 100 || nodeRefusal(answer)) return problems;
  if (status >= 300 && status < 400) {
    if (status !== 304 && !answer.headers.location) problems.push(`redirect ${status} without Location`);
    return problems;
  }
  // a HEAD answer has no body to judge (and Koa drops its type with it)
  if (asked.method === 'HEAD') return problems;
  let json: unknown;
  let parsed = false;
  const isJson = /^application\/([\w.-]+\+)?json/.test(type);
  if (isJson && answer.body.length > 0) {
    try {
      json = JSON.parse(answer.body.toString('utf8'));
      parsed = true;
    } catch {
      problems.push(`${status} says JSON but does not parse: ${excerpt(answer.body)}`);
      return problems;
    }
  }
  const isHtml = type.startsWith('text/html');
  const refusal = status >= 400;
  // the admin API owns its whole prefix (an alias such as /ADMIN/V1 is not under it)
  const kind: AnswerKind = asked.kind === 'admin' && !/^\/admin\/v1(\/|$|\?)/.test(asked.path) ? 'any' : asked.kind;
  if (kind !== 'admin' && unrouted(answer, type)) return problems;
  switch (kind) {
    case 'admin':
      if (!isJson) problems.push(`admin API ${status} is ${type || 'untyped'}, not JSON: ${excerpt(answer.body)}`);
      else if (
        refusal &&
        !(parsed && isErrorObject(json) && typeof (json as { error_description?: unknown }).error_description === 'string')
      ) {
        problems.push(`admin API ${status} is not { error, error_description }: ${excerpt(answer.body)}`);
      }
      break;
    case 'oauth':
      if (refusal && !(isJson && parsed && isErrorObject(json)))
        problems.push(`OAuth endpoint ${status} is not a JSON error object (${type || 'untyped'}): ${excerpt(answer.body)}`);
      else if (!refusal && answer.body.length > 0 && !isJson) problems.push(`OAuth endpoint ${status} is ${type || 'untyped'}, not JSON`);
      break;
    case 'metadata':
    case 'health':
      if (!isJson) problems.push(`${status} is ${type || 'untyped'}, not JSON: ${excerpt(answer.body)}`);
      else if (refusal && !(parsed && isErrorObject(json))) problems.push(`${status} is not a JSON error object: ${excerpt(answer.body)}`);
      break;
    case 'page':
      if (isHtml) break;
      if (isJson && (!refusal || (parsed && isErrorObject(json)))) break;
      if (status === 204 || (status < 300 && answer.body.length === 0)) break;
      problems.push(`page ${status} is ${type || 'untyped'}, neither HTML nor a JSON error: ${excerpt(answer.body)}`);
      break;
    case 'any':
      break;
  }
  return problems;
}
