// The audit-log query at scale (`--scale`): version 2 of the audit-log route over time windows of the
// seeded history — recent, old, wide — timed end to end over HTTP, the median of a few requests each.
import { ACCOUNT } from './fixture.ts';

export interface AuditWindowFigure {
  window: string;
  since: string;
  before: string;
  /** Entries on the first page (limit 100). */
  count: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

const DAY = 86_400_000;

/** The windows timed, relative to `now`: what a dashboard asks (recent), an investigation (old), a sweep (wide). */
export function auditWindows(now = Date.now()): { window: string; since: number; before: number }[] {
  return [
    { window: 'last day', since: now - DAY, before: now + 60_000 },
    { window: 'one day, 200 days ago', since: now - 200 * DAY, before: now - 199 * DAY },
    { window: '30 days, 220–250 days ago', since: now - 250 * DAY, before: now - 220 * DAY },
    { window: 'everything (400 days)', since: now - 400 * DAY, before: now + 60_000 },
  ];
}

export async function timeAuditWindows(
  origin: string,
  token: string,
  runs = 5,
): Promise<AuditWindowFigure[]> {
  const figures: AuditWindowFigure[] = [];
  for (const { window, since, before } of auditWindows()) {
    const [from, to] = [new Date(since).toISOString(), new Date(before).toISOString()];
    const url = `${origin}/client/v4/accounts/${ACCOUNT}/logs/audit?since=${from}&before=${to}&limit=100`;
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const body = (await response.json()) as { result?: unknown[] };
      times.push(performance.now() - started);
      if (response.status !== 200) throw new Error(`audit log ${window}: ${response.status}`);
      count = body.result?.length ?? 0;
    }
    times.sort((a, b) => a - b);
    const medianMs = times[Math.floor(times.length / 2)] as number;
    figures.push({
      window,
      since: from,
      before: to,
      count,
      medianMs,
      minMs: times[0] as number,
      maxMs: times.at(-1) as number,
    });
  }
  return figures;
}

export function auditWindowsText(figures: AuditWindowFigure[]): string {
  const rows = figures.map(
    (f) =>
      `${f.window.padEnd(28)} ${String(f.count).padStart(5)}  ${f.medianMs.toFixed(1).padStart(9)}  ${f.minMs.toFixed(1).padStart(8)}  ${f.maxMs.toFixed(1).padStart(8)}`,
  );
  return [`${'window (v2, limit 100)'.padEnd(28)} count  median ms    min ms    max ms`, ...rows].join('\n');
}
