// Summarises a V8 .cpuprofile (from `node --cpu-prof`): where the samples were, by function (self and
// inclusive time) and by where the code lives (node internals, a package in node_modules, our dist/,
// native code such as better-sqlite3's statements, GC, idle).
//
//   tsx bench/profile-summary.ts <file.cpuprofile> [--top 25] [--json]
//
// run.ts --profile calls summarize() with a time window so that only the measured load is counted.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
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

export interface Row {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

export interface Summary {
  /** Sampled milliseconds in the window (idle included). */
  totalMs: number;
  /** Of which not (idle): the main thread was running JavaScript, native code, GC or blocked in a syscall. */
  busyMs: number;
  self: Row[];
  inclusive: Row[];
  byArea: Row[];
}

export interface Window {
  /** Keep samples from this many microseconds before the profile's end… */
  fromEndUs: number;
  /** …to this many microseconds before its end. */
  toEndUs: number;
}

/** Where a frame's code lives, for the per-area totals. */
export function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName.startsWith('(')) return functionName; // (idle), (garbage collector), (program), (root)
    // fast-json-stringify and Ajv compile schemas with new Function(): code without a script URL.
    if (/^(anonymous\d*|\(anonymous\))?$/.test(functionName))
      return 'generated code (serializers, validators)';
    return 'native (syscalls such as writev, V8 builtins)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) return `node_modules/${pkg}`;
  if (url.startsWith('node:')) return 'node internals';
  const ours = /\/dist\/(.*)$/.exec(url)?.[1];
  if (ours) return `ringmaster dist/${ours.split('/')[0]}`;
  return url;
}

function where(frame: CallFrame): string {
  if (frame.url === '') return '';
  const short = frame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
  return `${short}:${frame.lineNumber + 1}`;
}

export function summarize(profile: CpuProfile, top = 25, window?: Window): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\u0000${where(n.callFrame)}`;

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  // timeDeltas[i] is the time since the previous sample; charge it to sample i.
  let t = profile.startTime;
  const from = window ? profile.endTime - window.fromEndUs : Number.NEGATIVE_INFINITY;
  const to = window ? profile.endTime - window.toEndUs : Number.POSITIVE_INFINITY;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < from || t > to) continue;
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    total += delta;
    if (node.callFrame.functionName === '(idle)') idle += delta;
    const k = key(node);
    self.set(k, (self.get(k) ?? 0) + delta);
    const a = area(node.callFrame);
    byArea.set(a, (byArea.get(a) ?? 0) + delta);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const ancestor = byId.get(id) as ProfileNode;
      const ak = key(ancestor);
      if (ancestor.callFrame.functionName === '(root)' || seen.has(ak)) continue;
      seen.add(ak);
      inclusive.set(ak, (inclusive.get(ak) ?? 0) + delta);
    }
  }
  const rows = (map: Map<string, number>, n: number): Row[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => {
        const [name, loc] = k.split('\u0000') as [string, string];
        return {
          name,
          where: loc,
          ms: Math.round(us / 100) / 10,
          percent: Math.round((us / total) * 1000) / 10,
        };
      });
  return {
    totalMs: Math.round(total / 1000),
    busyMs: Math.round((total - idle) / 1000),
    self: rows(self, top),
    inclusive: rows(inclusive, top),
    byArea: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({
        name,
        where: '',
        ms: Math.round(us / 100) / 10,
        percent: Math.round((us / total) * 1000) / 10,
      })),
  };
}

export function formatSummary(summary: Summary): string {
  const section = (title: string, rows: Row[]) =>
    [
      title,
      ...rows.map(
        (r) =>
          `  ${r.percent.toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}  ${r.where}`,
      ),
    ].join('\n');
  return [
    'Native calls made from JavaScript (better-sqlite3 statement.get/run/all and db.exec, hashing) count as\n' +
      'self time of the JavaScript function that makes them: a store.js line high in the list is SQLite time.',
    `sampled ${summary.totalMs} ms, busy ${summary.busyMs} ms (${((summary.busyMs / summary.totalMs) * 100).toFixed(1)} %)`,
    section('by area (self time):', summary.byArea),
    section('top functions by self time:', summary.self),
    section('top functions by inclusive time:', summary.inclusive),
  ].join('\n\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, json: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top 25] [--json]\n');
    process.exit(2);
  }
  const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(values.top));
  process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
}
