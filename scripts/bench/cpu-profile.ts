// CPU profiling for the benchmark targets: a child records a V8 CPU profile only while the parent
// says so (so start-up — migrations, key generation — stays out of it), and the parent summarises
// where the time went: functions by self time and by inclusive time, and self time per file or
// package. Profiles are standard .cpuprofile files (open them in Chrome DevTools for flame charts).
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** In a child: starts the V8 profiler; the returned function stops it and writes the profile. */
export async function startProfiling(): Promise<(path: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async (path) => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(path, JSON.stringify(profile));
    session.disconnect();
  };
}

const ROOT = new URL('../../', import.meta.url).pathname;

function fileOf(url: string): string {
  if (!url) return '(native/V8)';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.startsWith(ROOT) ? relative(ROOT, path) : path;
}

/** `node_modules/<pkg>`, `src/<dir>`, `node:<builtin>`, or the V8 buckets. */
function packageOf(file: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (modules) return modules[1]!;
  if (file.startsWith('src/')) return file.split('/').slice(0, 2).join('/');
  if (file.startsWith('node:') || file.startsWith('internal/')) return `node:${file.replace(/^node:/, '').split('/')[0]}`;
  return file;
}

/** Where a sample's self time is booked: its package or source folder, or a V8 bucket. */
const bucketOf = (frame: CallFrame) =>
  frame.url ? packageOf(fileOf(frame.url)) : /^\(.*\)$/.test(frame.functionName) ? frame.functionName : '(native code)';

export interface ProfileSummary {
  totalMs: number;
  /** Self time of every package / source folder / V8 bucket, not only the top ones. */
  allPackages: Map<string, number>;
  selfByFunction: { name: string; ms: number }[];
  inclusiveByFunction: { name: string; ms: number }[];
  selfByPackage: { name: string; ms: number }[];
  /** Inclusive time of functions in src/ (the part of the stack Portcullis adds). */
  inclusiveOwnCode: { name: string; ms: number }[];
}

export function summariseProfile(profile: CpuProfile, { top = 15 }: { top?: number } = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const keyOf = (frame: CallFrame) => {
    const file = fileOf(frame.url);
    return `${frame.functionName || '(anonymous)'}  ${file}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  };

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const perPackage = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);

  // Depth-first walk keeping the keys on the current stack, so recursion is counted once.
  const root = profile.nodes[0]!;
  const onStack = new Map<string, number>();
  const walk = (node: ProfileNode) => {
    const key = keyOf(node.callFrame);
    onStack.set(key, (onStack.get(key) ?? 0) + 1);
    const us = node.callFrame.functionName === '(idle)' ? 0 : (selfUs.get(node.id) ?? 0);
    if (us > 0) {
      add(self, key, us);
      add(perPackage, bucketOf(node.callFrame), us);
      for (const stackKey of onStack.keys()) add(inclusive, stackKey, us);
    }
    for (const child of node.children ?? []) walk(byId.get(child)!);
    const count = onStack.get(key)! - 1;
    if (count === 0) onStack.delete(key);
    else onStack.set(key, count);
  };
  walk(root);

  const sorted = (map: Map<string, number>, filter: (name: string) => boolean = () => true) =>
    [...map]
      .filter(([name]) => filter(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  const boring = /^\((root|program|idle|garbage collector)\)|^\(anonymous\)\s+\(native/;
  const ownCode = (name: string) => /\ssrc\//.test(name);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    allPackages: new Map([...perPackage].map(([name, us]) => [name, us / 1000])),
    selfByFunction: sorted(self),
    inclusiveByFunction: sorted(
      inclusive,
      (name) => !boring.test(name) && !/node:internal|^processTicksAndRejections|^runMicrotasks/.test(name),
    ),
    selfByPackage: sorted(perPackage),
    inclusiveOwnCode: sorted(inclusive, ownCode),
  };
}

export function formatSummary(title: string, summary: ProfileSummary, busyMs: number): string {
  const pct = (ms: number) => `${((ms / busyMs) * 100).toFixed(1).padStart(5)}%`;
  const rows = (list: { name: string; ms: number }[]) =>
    list.map(({ name, ms }) => `    ${ms.toFixed(0).padStart(7)} ms ${pct(ms)}  ${name}`).join('\n');
  return [
    `${title}: profiled ${summary.totalMs.toFixed(0)} ms wall, ${busyMs.toFixed(0)} ms on CPU (percentages of on-CPU time)`,
    '  self time by package / source folder:',
    rows(summary.selfByPackage),
    '  self time by function:',
    rows(summary.selfByFunction),
    '  inclusive time by function (time spent in it and everything it called):',
    rows(summary.inclusiveByFunction),
    ...(summary.inclusiveOwnCode.length > 0 ? ['  inclusive time of functions in src/:', rows(summary.inclusiveOwnCode)] : []),
  ].join('\n');
}

/** Per-request self time by package, side by side: where the extra microseconds of `a` go. */
export function formatPackageDiff(
  a: { name: string; summary: ProfileSummary; requests: number },
  b: { name: string; summary: ProfileSummary; requests: number },
  top = 15,
): string {
  const names = new Set([...a.summary.allPackages.keys(), ...b.summary.allPackages.keys()]);
  const perRequest = (side: typeof a, name: string) => ((side.summary.allPackages.get(name) ?? 0) / side.requests) * 1000;
  const rows = [...names]
    .map((name) => ({ name, a: perRequest(a, name), b: perRequest(b, name) }))
    .sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b))
    .slice(0, top);
  const total = (side: typeof a) => ([...side.summary.allPackages.values()].reduce((sum, ms) => sum + ms, 0) / side.requests) * 1000;
  return [
    `on-CPU µs per request by package (${a.name} vs ${b.name}), largest differences first:`,
    `    ${'total'.padEnd(36)} ${total(a).toFixed(0).padStart(6)} ${total(b).toFixed(0).padStart(6)} ${(total(a) - total(b) >= 0 ? '+' : '') + (total(a) - total(b)).toFixed(0)}`,
    ...rows.map(
      (row) =>
        `    ${row.name.padEnd(36)} ${row.a.toFixed(0).padStart(6)} ${row.b.toFixed(0).padStart(6)} ${(row.a - row.b >= 0 ? '+' : '') + (row.a - row.b).toFixed(0)}`,
    ),
  ].join('\n');
}

/** Sampled time that was not idle. */
export function busyTimeMs(profile: CpuProfile): number {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  let us = 0;
  for (let index = 0; index < profile.samples.length; index++) if (!idle.has(profile.samples[index]!)) us += profile.timeDeltas[index] ?? 0;
  return us / 1000;
}
