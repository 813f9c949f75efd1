// Turning figures into the stdout table: ratios against the same-run baseline, and the targets.
import type { WrkFigures } from './wrk.ts';

export type CaseName = 'get' | 'list' | 'list_last' | 'patch' | 'post';
/** figures[case][connections] */
export type CaseTable = Partial<Record<CaseName, Record<string, WrkFigures | null>>>;

export interface Check {
  name: string;
  value: string;
  goal: string;
  ok: boolean | null;
}

export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return null;
  return Math.round((a / b) * 100) / 100;
}

const int = (n: number) => Math.round(n).toLocaleString('en');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const x = (r: number | null) => (r === null ? '–' : r.toFixed(2));

/** Right-aligns every column but the first `leftColumns`; columns are separated by two spaces. */
export function table(header: string[], rows: string[][], leftColumns = 2): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One row per case × connections: the server's figures, the baseline's, and server/baseline. */
export function versusBaseline(server: CaseTable, baseline: CaseTable): string {
  const rows: string[][] = [];
  for (const [name, byConnections] of Object.entries(server)) {
    for (const [connections, s] of Object.entries(byConnections ?? {})) {
      const b = baseline[name as CaseName]?.[connections];
      if (!s) {
        rows.push([name, connections, 'skipped']);
        continue;
      }
      rows.push([
        name,
        connections,
        int(s.rps),
        b ? int(b.rps) : '–',
        x(ratio(s.rps, b?.rps)),
        ms(s.p50Ms),
        b ? ms(b.p50Ms) : '–',
        x(ratio(s.p50Ms, b?.p50Ms)),
        ms(s.p99Ms),
        b ? ms(b.p99Ms) : '–',
        x(ratio(s.p99Ms, b?.p99Ms)),
        errorText(s),
      ]);
    }
  }
  return table(
    [
      'case',
      'conns',
      'req/s',
      'base',
      'ratio',
      'p50 ms',
      'base',
      'ratio',
      'p99 ms',
      'base',
      'ratio',
      'errors',
    ],
    rows,
  );
}

/** One row per case × connections: this target's figures against a reference target's (e.g. empty DB). */
export function versusReference(target: CaseTable, reference: CaseTable, refName: string): string {
  const rows: string[][] = [];
  for (const [name, byConnections] of Object.entries(target)) {
    for (const [connections, t] of Object.entries(byConnections ?? {})) {
      const r = reference[name as CaseName]?.[connections];
      if (!t) {
        rows.push([name, connections, 'skipped']);
        continue;
      }
      rows.push([
        name,
        connections,
        int(t.rps),
        r ? int(r.rps) : '–',
        x(ratio(t.rps, r?.rps)),
        ms(t.p50Ms),
        r ? ms(r.p50Ms) : '–',
        x(ratio(t.p50Ms, r?.p50Ms)),
        ms(t.p99Ms),
        r ? ms(r.p99Ms) : '–',
        x(ratio(t.p99Ms, r?.p99Ms)),
        errorText(t),
      ]);
    }
  }
  return table(
    [
      'case',
      'conns',
      'req/s',
      refName,
      'ratio',
      'p50 ms',
      refName,
      'ratio',
      'p99 ms',
      refName,
      'ratio',
      'errors',
    ],
    rows,
  );
}

export function errorText(f: WrkFigures): string {
  if (f.requests === 0) return 'NO RESPONSES';
  const { status, connect, read, write, timeout } = f.errors;
  const parts = [
    status && `${status} non-2xx`,
    connect && `${connect} connect`,
    read && `${read} read`,
    write && `${write} write`,
    timeout && `${timeout} timeout`,
  ].filter(Boolean);
  return parts.length === 0 ? '0' : parts.join(', ');
}

export function checksText(checks: Check[]): string {
  return table(
    ['target', 'measured', 'goal', 'met'],
    checks.map((c) => [c.name, c.value, c.goal, c.ok === null ? 'n/a' : c.ok ? 'yes' : 'NO']),
    1,
  );
}

export function fmtMs(n: number): string {
  return `${ms(n)} ms`;
}

export function fmtInt(n: number): string {
  return int(n);
}
