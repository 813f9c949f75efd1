// `npm run bench -- --targets`: the version targets (docs/contract.md §8.4), served from memory.
//   - resolve: GET …/version-targets?policy_id&target_environment on a small account, and
//   - revalidate: GET …/version-targets (the account's document) with If-None-Match → 304,
//   each against the same-run bare node:http baseline answering the resolve's bytes, wrk -t1 -c64, every
//   case in one-second slices taken in turn (measureAll), so that all of them see the same machine phases
//   (targets: ≥ 0.60 and ≥ 0.70 of it), beside two more yardsticks answering the same bytes: node:http
//   plus only the duties of every answer (bench/duties-floor.ts) and Fastify's own ceiling
//   (bench/fastify-ceiling.ts) — what any server, and any Fastify application, could reach here;
//   - with --scale: 1,000,000 held policies in one account (1,000 groups × 1,000), the resolve's p50/p99
//     there against a small account on the same server, the first load, a reload after a write, and RSS.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, seedSqliteScale } from './fixture.ts';
import {
  memory,
  type Running,
  startBaseline,
  startDutiesFloor,
  startFastifyCeiling,
  startServer,
} from './processes.ts';
import { fmtInt, fmtMs, ratio, table } from './report.ts';
import { type RequestSpec, runWrk, runWrkInterleaved, type WrkFigures, writeScript } from './wrk.ts';

export interface TargetsBenchOptions {
  temp: string;
  durationS: number;
  warmupS: number;
  scale: boolean;
  /** The servers' LOG_LEVEL (the run's first --log-level: info by default, as shipped). */
  logLevel: string;
  log(message: string): void;
}

export const SMALL_ACCOUNT = 'fedcba9876543210fedcba9876543210';
const CONNECTIONS = 64;
const THRESHOLDS = { resolve: 0.6, revalidate: 0.7 };
const targetsPath = (account: string) => `/ringmaster/v1/accounts/${account}/version-targets`;
export const lookupPath = (account: string, policy: string) =>
  `${targetsPath(account)}?policy_id=${policy}&target_environment=windows`;

/** Runs the cases, prints the tables; resolves to whether every threshold held. */
export async function targetsBench(options: TargetsBenchOptions): Promise<boolean> {
  const { log } = options;
  const dir = mkdtempSync(join(options.temp, 'targets-'));
  const server = await startServer({
    name: 'targets',
    databaseUrl: `sqlite:${join(dir, 'ringmaster.db')}`,
    logLevel: options.logLevel,
    logPath: join(dir, 'server.log'),
    expectToken: true,
  });
  const yardsticks: Running[] = [];
  try {
    const token = server.printedToken as string;
    const policy = await seedSmallAccount(server.origin, token);
    const resolveBody = await fetchText(server.origin, token, lookupPath(SMALL_ACCOUNT, policy));
    const etag = (await fetch(`${server.origin}${targetsPath(SMALL_ACCOUNT)}`, auth(token))).headers.get(
      'etag',
    );
    const bodiesPath = join(dir, 'bodies.json');
    const bodies = { get: resolveBody.text, list: resolveBody.text, patch: '{}', post: '{}' };
    writeFileSync(bodiesPath, JSON.stringify(bodies));
    const [baseline, duties, fastify] = await Promise.all([
      startBaseline(bodiesPath),
      startDutiesFloor(bodiesPath, join(dir, 'duties.log')),
      startFastifyCeiling(bodiesPath),
    ]);
    yardsticks.push(baseline, duties, fastify);
    const headers = { Authorization: `Bearer ${token}` };
    const resolveSpec: RequestSpec = { method: 'GET', path: lookupPath(SMALL_ACCOUNT, policy), headers };
    const revalidateSpec: RequestSpec = {
      method: 'GET',
      path: targetsPath(SMALL_ACCOUNT),
      headers: { ...headers, 'If-None-Match': etag as string },
    };
    const figures = await measureAll(dir, options, {
      baseline: { origin: baseline.origin, spec: resolveSpec },
      duties: { origin: duties.origin, spec: resolveSpec },
      fastify: { origin: fastify.origin, spec: resolveSpec },
      resolve: { origin: server.origin, spec: resolveSpec },
      revalidate: { origin: server.origin, spec: revalidateSpec },
    });
    return report(figures, log);
  } finally {
    await Promise.all(yardsticks.map((yardstick) => yardstick.stop()));
    await server.stop();
    // The same database, with the small account and the token, is what the scale case seeds into.
    if (options.scale) await scaleCase(dir, server.printedToken as string, options);
  }
}

/** Ten groups of ten policies in the small account; one of its policies. */
export async function seedSmallAccount(origin: string, token: string): Promise<string> {
  let policy = '';
  for (let g = 0; g < 10; g++) {
    const policies = Array.from({ length: 10 }, (_, i) => `small-${g}-${i}`);
    policy = policies[5] as string;
    await post(origin, token, SMALL_ACCOUNT, policies, `small ${g}`);
  }
  return policy;
}

async function post(origin: string, token: string, account: string, policies: string[], name: string) {
  const response = await fetch(`${origin}/client/v4/accounts/${account}/devices/deployment-groups`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name,
      version_config: [
        { target_environment: 'windows', version: '2026.6.822.0' },
        { target_environment: null, version: '2026.6.800.0' },
      ],
      policy_ids: policies,
    }),
  });
  if (response.status !== 200)
    throw new Error(`seeding ${account}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { result: { id: string } };
}

const auth = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

async function fetchText(origin: string, token: string, path: string) {
  const started = performance.now();
  const response = await fetch(`${origin}${path}`, auth(token));
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
  return { text, ms: performance.now() - started };
}

/**
 * Each case warmed up on its own, then all measured interleaved (bench/lib/wrk.ts runWrkInterleaved): one
 * second each in turn, `durationS` rounds, so that the ratios between them do not depend on which case
 * ran in the machine's fast phase.
 */
async function measureAll<K extends string>(
  dir: string,
  options: TargetsBenchOptions,
  cases: Record<K, { origin: string; spec: RequestSpec }>,
): Promise<Record<K, WrkFigures>> {
  const labels = Object.keys(cases) as K[];
  const load = (label: K, durationS: number, script: string) => ({
    origins: [cases[label].origin],
    connections: CONNECTIONS,
    threads: 1,
    path: cases[label].spec.path,
    durationS,
    scripts: [writeScript(dir, script, cases[label].spec)],
  });
  if (options.warmupS > 0) {
    for (const label of labels) await runWrk(load(label, options.warmupS, `${label}-warmup`));
  }
  const rounds = Math.max(1, Math.round(options.durationS));
  const measured = await runWrkInterleaved(
    labels.map((label) => {
      const options = load(label, 1, label);
      return () => options;
    }),
    rounds,
  );
  const figures = {} as Record<K, WrkFigures>;
  labels.forEach((label, i) => {
    const f = measured[i] as WrkFigures;
    figures[label] = f;
    const errors = Object.values(f.errors).reduce((a, b) => a + b, 0);
    options.log(
      `  targets ${label.padEnd(11)} c=${CONNECTIONS} ${fmtInt(f.rps).padStart(7)} req/s  p50 ${fmtMs(f.p50Ms)}  p99 ${fmtMs(f.p99Ms)}${errors ? `  ERRORS ${errors}` : ''}`,
    );
  });
  return figures;
}

type Case = 'baseline' | 'duties' | 'fastify' | 'resolve' | 'revalidate';

function report(figures: Record<Case, WrkFigures>, log: (message: string) => void): boolean {
  let held = true;
  const row = (label: string, name: Case) => {
    const r = ratio(figures[name].rps, figures.baseline.rps) ?? 0;
    const threshold = name === 'resolve' || name === 'revalidate' ? THRESHOLDS[name] : undefined;
    const ok = threshold === undefined || r >= threshold;
    held &&= ok;
    const f = figures[name];
    const target = threshold === undefined ? '' : `≥ ${threshold.toFixed(2)} ${ok ? 'ok' : 'MISSED'}`;
    return [label, fmtInt(f.rps), fmtMs(f.p50Ms), fmtMs(f.p99Ms), r.toFixed(2), target];
  };
  const rows = [
    row('bare node:http', 'baseline'),
    row('node:http + duties (yardstick)', 'duties'),
    row('Fastify ceiling (yardstick)', 'fastify'),
    row('resolve', 'resolve'),
    row('revalidate (304)', 'revalidate'),
  ];
  const header = ['case (wrk -t1 -c64)', 'req/s', 'p50', 'p99', '÷ baseline', 'target'];
  log(`\nversion targets vs the same-run baseline\n${table(header, rows, 1)}`);
  return held;
}

/** 1,000,000 held policies in one account: resolve p50/p99 there vs a small account, loads, RSS. */
async function scaleCase(dir: string, token: string, options: TargetsBenchOptions): Promise<void> {
  const { log } = options;
  const path = join(dir, 'ringmaster.db');
  log('\nscale: seeding 1,000 groups × 1,000 policy IDs (1,000,000 held policies) in one account');
  const seed = seedSqliteScale(path, 1000, 1000);
  const server = await startServer({
    name: 'targets-scale',
    databaseUrl: `sqlite:${path}`,
    logLevel: options.logLevel,
    logPath: join(dir, 'server-scale.log'),
  });
  try {
    const rssAtStart = memory(server.pid)?.rssMiB;
    const bigPolicy = await anyPolicy(server.origin, token, seed.sampleIds[0] as string);
    const firstLoad = await fetchText(server.origin, token, lookupPath(ACCOUNT, bigPolicy));
    const rssLoaded = memory(server.pid)?.rssMiB;
    const headers = { Authorization: `Bearer ${token}` };
    const lookup = (account: string, policy: string) => ({
      origin: server.origin,
      spec: { method: 'GET', path: lookupPath(account, policy), headers } as RequestSpec,
    });
    const { 'scale-big': big, 'scale-small': small } = await measureAll(dir, options, {
      'scale-big': lookup(ACCOUNT, bigPolicy),
      'scale-small': lookup(SMALL_ACCOUNT, 'small-3-3'),
    });
    const reload = await reloadAfterWrite(server.origin, token, bigPolicy);
    const rssReloaded = memory(server.pid)?.rssMiB;
    const document = await fetchText(server.origin, token, targetsPath(ACCOUNT));
    const rss = memory(server.pid);
    const rows = [
      ['resolve, 1,000,000 held', fmtInt(big.rps), fmtMs(big.p50Ms), fmtMs(big.p99Ms)],
      ['resolve, 100 held (same server)', fmtInt(small.rps), fmtMs(small.p50Ms), fmtMs(small.p99Ms)],
    ];
    log(`\n${table(['scale case (wrk -t1 -c64)', 'req/s', 'p50', 'p99'], rows, 1)}`);
    log(
      `scale: RSS ${rssAtStart} MiB at start, ${rssLoaded} MiB with the account held, ${rssReloaded} MiB after ` +
        `the runs and a reload, ${rss?.rssMiB} MiB after the whole document (peak ${rss?.peakMiB} MiB); first load ${fmtMs(firstLoad.ms)}; a PATCH then the next resolve ` +
        `${fmtMs(reload)}; the whole document ${fmtInt(document.text.length)} bytes in ${fmtMs(document.ms)}`,
    );
  } finally {
    await server.stop();
  }
}

/** A policy of a seeded group (the seed writes random ones): the group's first. */
async function anyPolicy(origin: string, token: string, groupId: string): Promise<string> {
  const response = await fetch(
    `${origin}/client/v4/accounts/${ACCOUNT}/devices/deployment-groups/${groupId}`,
    auth(token),
  );
  const group = (await response.json()) as { result: { policy_ids: string[] } };
  return group.result.policy_ids[0] as string;
}

/** A write to the big account, then how long the next resolve there takes (it waits for the reload). */
async function reloadAfterWrite(origin: string, token: string, policy: string): Promise<number> {
  await post(origin, token, ACCOUNT, [`scale-extra-${Date.now()}`], 'scale extra');
  return (await fetchText(origin, token, lookupPath(ACCOUNT, policy))).ms;
}
