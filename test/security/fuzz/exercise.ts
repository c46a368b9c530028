// One generated request against the target, judged: no 5xx, an answer at all (no dropped connection,
// no hang), the documented shape (answer-shape.ts), and no promise rejected unhandled meanwhile.
import { shapeProblems } from './answer-shape.ts';
import { describeRequest, toWire, type FuzzRequest, type WireRequest } from './fuzz-request.ts';
import type { FuzzTarget } from './fuzz-target.ts';
import { currentEtag, NoAnswer, send } from './send-request.ts';

export interface Outcome {
  /** Undefined: no answer, or a request Node cannot send (counted apart, judged neither way). */
  status: number | undefined;
  unsendable?: boolean;
  /** Node's HTTP parser refused a head over its 16 KiB limit and reset the connection while we were still sending. */
  oversizedHead?: boolean;
  /** The server refused a body past its limit (413) and closed the connection while we were still uploading it. */
  oversizedBody?: boolean;
  problems: string[];
}

/** Collects unhandled promise rejections while the fuzzer runs (each is a failure of the request that caused it). */
export function watchUnhandledRejections(): { take(): string[]; stop(): void } {
  let seen: string[] = [];
  const listener = (reason: unknown) => void seen.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  process.on('unhandledRejection', listener);
  return {
    take() {
      const taken = seen;
      seen = [];
      return taken;
    },
    stop: () => void process.off('unhandledRejection', listener),
  };
}

/** Node's default --max-http-header-size: a longer request line and headers are refused (431) before any app code. */
const NODE_MAX_HEADER_BYTES = 16 * 1024;

/** The smallest body limit (our forms, 16 KiB): past it the server may answer 413 and close before the upload ends. */
const SMALLEST_BODY_LIMIT = 16 * 1024;

const headBytes = (wire: WireRequest) =>
  Buffer.byteLength(wire.path) + wire.headers.reduce((sum, [name, value]) => sum + name.length + Buffer.byteLength(value, 'latin1') + 4, 0);

export async function exercise(target: FuzzTarget, request: FuzzRequest, rejections: { take(): string[] }): Promise<Outcome> {
  const wire = toWire(request, target.values);
  if (wire.headers.some(([, value]) => value.includes('{{etag}}'))) {
    // (an oversized path is reset by Node before any ETag is read: the request then goes with none)
    const etag = await currentEtag(target.server.url, wire.path.split('?')[0]!, target.values.adminToken).catch(() => '"none"');
    wire.headers = wire.headers.map(([name, value]) => [name, value.replaceAll('{{etag}}', etag)]);
  }
  let outcome: Outcome;
  try {
    const answer = await send(target.server.url, wire);
    outcome = { status: answer.status, problems: shapeProblems({ kind: request.kind, method: request.method, path: wire.path }, answer) };
  } catch (error) {
    if (error instanceof NoAnswer && headBytes(wire) > NODE_MAX_HEADER_BYTES && /ECONNRESET|EPIPE/.test(error.message))
      outcome = { status: 431, oversizedHead: true, problems: [] };
    else if (error instanceof NoAnswer && (wire.body?.length ?? 0) > SMALLEST_BODY_LIMIT && /ECONNRESET|EPIPE/.test(error.message))
      outcome = { status: 413, oversizedBody: true, problems: [] };
    else if (error instanceof NoAnswer) outcome = { status: undefined, problems: [`no answer: ${error.message}`] };
    else if (error instanceof TypeError && error.message.startsWith('not sendable'))
      outcome = { status: undefined, unsendable: true, problems: [] };
    else throw error;
  }
  // a rejection reported after the answer still belongs to this request: give the event loop a turn
  await new Promise((resolve) => setImmediate(resolve));
  for (const reason of rejections.take()) outcome.problems.push(`unhandled rejection: ${reason.split('\n').slice(0, 4).join(' | ')}`);
  return outcome;
}

/** The target still answers its liveness check. */
export async function stillAlive(target: FuzzTarget): Promise<boolean> {
  try {
    const answer = await send(target.server.url, {
      method: 'GET',
      path: '/healthz',
      headers: [['Host', target.values.host]],
      body: undefined,
    });
    return answer.status === 200;
  } catch {
    return false;
  }
}

export function describeFailure(target: FuzzTarget, request: FuzzRequest, outcome: Outcome): string {
  return `${outcome.problems.join('\n')}\n${describeRequest(request, target.values)}`;
}
