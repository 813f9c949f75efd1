// What a fuzz run counts, and the lines the script and the test print.
import type { Violation } from './answer.ts';
import type { Case } from './case.ts';

export interface FuzzSummary {
  seed: number;
  /** Requests asked for; fewer are sent when the run stops at its maximum of violations. */
  planned: number;
  requests: number;
  byKind: Record<string, number>;
  /** Milliseconds spent waiting for answers, by kind (summed over the concurrent workers). */
  msByKind: Record<string, number>;
  /** The slowest answer of each kind, in milliseconds. */
  slowestMsByKind: Record<string, number>;
  byStatus: Record<string, number>;
  /** One line (and its detail) per violation. */
  failures: string[];
  /** Violations by kind and by the contract rule the expected answer came from. */
  violationsByKind: Record<string, number>;
  violationsByRule: Record<string, number>;
  healthChecks: number;
  seconds: number;
}

export function emptySummary(seed: number, planned: number): FuzzSummary {
  return {
    seed,
    planned,
    requests: 0,
    byKind: {},
    msByKind: {},
    slowestMsByKind: {},
    byStatus: {},
    failures: [],
    violationsByKind: {},
    violationsByRule: {},
    healthChecks: 0,
    seconds: 0,
  };
}

const add = (counts: Record<string, number>, key: string, n = 1) => {
  counts[key] = (counts[key] ?? 0) + n;
};

/** Counts one request of a case and how long its answers took. */
export function recordRequest(summary: FuzzSummary, c: Case, ms: number): void {
  summary.requests++;
  add(summary.byKind, c.kind);
  add(summary.msByKind, c.kind, ms);
  summary.slowestMsByKind[c.kind] = Math.max(summary.slowestMsByKind[c.kind] ?? 0, ms);
}

export function recordStatus(
  summary: FuzzSummary,
  answer: { status: number; body: string } | 'no answer',
): void {
  add(summary.byStatus, answer === 'no answer' ? answer : statusKey(answer));
}

/** A violation by one of the case's answers: of the case's own rule, or of an invariant every answer keeps. */
export function recordViolation(summary: FuzzSummary, c: Case, { problem, rule = c.rule }: Violation): void {
  summary.failures.push(`[${c.kind}] ${c.label}\n    → ${problem}\n    (rule: ${rule})`);
  add(summary.violationsByKind, c.kind);
  add(summary.violationsByRule, rule);
}

function statusKey(answer: { status: number; body: string }): string {
  if (answer.status < 400) return String(answer.status);
  if (answer.body === '') return `${answer.status} (HEAD, no body)`;
  try {
    return `${answer.status} ${JSON.parse(answer.body).errors[0].code}`;
  } catch {
    return `${answer.status} (not the envelope)`;
  }
}

const table = (counts: Record<string, number>, unit = '') =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([key, n]) => `    ${key.padEnd(22)} ${String(Math.round(n)).padStart(7)}${unit}`)
    .join('\n');

/** The summary as the lines the script and the test print. */
export function formatSummary(summary: FuzzSummary): string {
  const violations = summary.failures.length;
  const stopped = summary.requests < summary.planned ? ` — stopped early, of ${summary.planned} planned` : '';
  return [
    `${summary.requests} requests in ${summary.seconds.toFixed(1)} s (seed ${summary.seed}), ${summary.healthChecks} health checks${stopped}`,
    '  requests by kind:',
    table(summary.byKind),
    '  slowest answer by kind:',
    table(summary.slowestMsByKind, ' ms'),
    '  answers by status and code:',
    table(summary.byStatus),
    `  violations: ${violations}`,
    ...(violations > 0 ? ['  violations by kind:', table(summary.violationsByKind)] : []),
    ...(violations > 0 ? ['  violations by rule:', table(summary.violationsByRule)] : []),
    ...summary.failures.map((f) => `  ✗ ${f}`),
  ].join('\n');
}
