// `npm run bench`: loads the real server (dist/, built by `npm run build`) over loopback with wrk, beside
// a bare node:http baseline measured in the same run, and prints every figure with its ratio to the
// baseline. Writes the full results to bench/results/<timestamp>.json. See bench/README.md.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type AuditWindowFigure, auditWindowsText, timeAuditWindows } from './lib/audit-window.ts';
import { limitCpu } from './lib/cpu-limit.ts';
import {
  type CapturedBodies,
  captureBodies,
  type Fixture,
  fixtureFor,
  POST_BODY,
  type ScaleSeed,
  seedSqliteScale,
  seedViaApi,
} from './lib/fixture.ts';
import {
  BenchError,
  fail,
  memory,
  ROOT,
  type Running,
  requireDist,
  serverEnv,
  startBaseline,
  startFastifyCeiling,
  startServer,
} from './lib/processes.ts';
import {
  type CaseName,
  type CaseTable,
  type Check,
  checksText,
  fmtInt,
  fmtMs,
  ratio,
  versusBaseline,
  versusReference,
} from './lib/report.ts';
import { targetsBench } from './lib/targets.ts';
import { ensureWrk, type RequestSpec, runWrk, type WrkFigures, writeScript } from './lib/wrk.ts';
import { type CpuProfile, formatSummary, summarize } from './profile-summary.ts';

const HELP = `Usage: npm run bench -- [options]        (the server must be built: npm run build)

  --duration <s>        seconds measured per case (default 10)
  --warmup <s>          seconds of the same load before each measurement (default 2)
  --quick               smoke run: 2 s per case, 1 s warm-up
  --only <cases>        comma list of get,list,list_last,patch,post (default get,list,patch,post)
  --connections <list>  connection counts (default 1,64)
  --threads <n>         wrk threads (default 1: the server is one event loop and wrk shares its
                        2 cores; see bench/README.md; never more than the connections)
  --log-level <list>    server LOG_LEVELs to measure; the first is the main table, whose
                        figures the targets are checked on (default info,warn: info is what ships)
  --seed <n>            groups created through the API before loading (default 100; list needs ≥ 50)
  --scale               also measure a server on 100,000 groups / 1,000,000 policy IDs in one account
  --scale-groups <n>    groups for --scale (default 100000; 10 policy IDs each)
  --scale-audit <n>     audit entries for --scale, spread over the groups (default 1000000; 0 for none)
  --backend <list>      sqlite and/or postgres (default sqlite; SQLite always runs as the reference)
  --replicas <list>     PostgreSQL server processes sharing one database (default 1,2)
  --replica-cpu <cores> each PostgreSQL replica in its own cgroup limited to this many cores (e.g. 0.5),
                        so that replicas, PostgreSQL and wrk do not compete for the 2 cores (root)
  --pg-url <url>        PostgreSQL server to create a scratch database on
                        (default $BENCH_PG_URL or postgres://postgres@127.0.0.1:5432/test)
  --env KEY=VALUE       an extra environment variable for every server process (repeatable),
                        e.g. --env DATABASE_POOL_SIZE=30; the servers otherwise get a clean environment
  --targets             instead of the comparison: the version targets (bench/lib/targets.ts); with
                        --scale also 1,000,000 held policies in one account
  --profile             instead of the comparison: profile the server (node --cpu-prof) under each
                        case at the highest connection count and print where the time went
  --help
`;

const ALL_CASES: CaseName[] = ['get', 'list', 'list_last', 'patch', 'post'];
const DEFAULT_CASES: CaseName[] = ['get', 'list', 'patch', 'post'];

interface Options {
  durationS: number;
  warmupS: number;
  quick: boolean;
  cases: CaseName[];
  connections: number[];
  threads: number;
  logLevels: string[];
  seed: number;
  scale: boolean;
  scaleGroups: number;
  scaleAudit: number;
  backends: ('sqlite' | 'postgres')[];
  replicas: number[];
  /** --replica-cpu: each PostgreSQL replica's CPU quota in cores (cpu-limit.ts). */
  replicaCpu?: number;
  pgUrl: string;
  profile: boolean;
  targets: boolean;
}

/** One server configuration under test (one or more processes on one database). */
interface Target {
  key: string;
  label: string;
  backend: 'sqlite' | 'postgres';
  replicas: number;
  logLevel: string;
  scale: boolean;
  /** The target whose figures this one is compared with, besides the baseline. */
  compareTo?: string;
  servers: Running[];
  fixture: Fixture;
  bodies: CapturedBodies;
  seed?: ScaleSeed;
  /** --scale: the audit-log query over time windows of the seeded history. */
  auditWindows?: AuditWindowFigure[];
  startup: { readyMs: number; rssMiB?: number; note: string };
  memoryAfter?: { rssMiB: number; peakMiB: number };
  figures: CaseTable;
  cleanup: () => Promise<void>;
}

/** The command line's options (HELP describes them). */
const OPTION_TABLE = {
  duration: { type: 'string' },
  warmup: { type: 'string' },
  quick: { type: 'boolean', default: false },
  only: { type: 'string' },
  connections: { type: 'string', default: '1,64' },
  threads: { type: 'string', default: '1' },
  'log-level': { type: 'string', default: 'info,warn' },
  seed: { type: 'string', default: '100' },
  scale: { type: 'boolean', default: false },
  'scale-groups': { type: 'string', default: '100000' },
  'scale-audit': { type: 'string', default: '1000000' },
  backend: { type: 'string', default: 'sqlite' },
  replicas: { type: 'string', default: '1,2' },
  'replica-cpu': { type: 'string' },
  'pg-url': {
    type: 'string',
    default: process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/test',
  },
  env: { type: 'string', multiple: true, default: [] as string[] },
  profile: { type: 'boolean', default: false },
  targets: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function list(s: string): string[] {
  return s
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

function positive(name: string, s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${JSON.stringify(s)}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({ args: argv, options: OPTION_TABLE });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const cases = values.only
    ? list(values.only).map((c) => {
        if (!ALL_CASES.includes(c as CaseName))
          fail(`--only: unknown case ${c}; cases are ${ALL_CASES.join(',')}`);
        return c as CaseName;
      })
    : values.scale
      ? [...DEFAULT_CASES.slice(0, 2), 'list_last' as const, ...DEFAULT_CASES.slice(2)]
      : DEFAULT_CASES;
  const backends = list(values.backend).map((b) => {
    if (b !== 'sqlite' && b !== 'postgres') fail(`--backend: unknown backend ${b}; use sqlite or postgres`);
    return b;
  });
  const options: Options = {
    durationS: positive('duration', values.duration ?? (values.quick ? '2' : '10')),
    warmupS: Number(values.warmup ?? (values.quick ? '1' : '2')),
    quick: values.quick,
    cases,
    connections: list(values.connections).map((c) => positive('connections', c)),
    threads: positive('threads', values.threads),
    logLevels: list(values['log-level']),
    seed: positive('seed', values.seed),
    scale: values.scale,
    scaleGroups: positive('scale-groups', values['scale-groups']),
    scaleAudit: Number(values['scale-audit']),
    backends,
    replicas: list(values.replicas).map((r) => positive('replicas', r)),
    replicaCpu: values['replica-cpu'] === undefined ? undefined : Number(values['replica-cpu']),
    pgUrl: values['pg-url'],
    profile: values.profile,
    targets: values.targets,
  };
  for (const pair of values.env) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) fail(`--env wants KEY=VALUE, got ${JSON.stringify(pair)}`);
    serverEnv[match[1] as string] = match[2] as string;
  }
  checkOptions(options);
  return options;
}

/** What the options must hold together. */
function checkOptions(options: Options): void {
  if (options.replicaCpu !== undefined && !(options.replicaCpu > 0 && options.replicaCpu <= 64))
    fail('--replica-cpu wants a number of cores, e.g. 0.5');
  if (!Number.isInteger(options.warmupS) || options.warmupS < 0)
    fail('--warmup must be a whole number of seconds');
  if (options.cases.some((c) => c === 'list' || c === 'list_last') && options.seed < 50) {
    fail('--seed must be at least 50 so that a list page holds 50 groups');
  }
}

// ---------------------------------------------------------------------------------------------------------

const temp = mkdtempSync(join(tmpdir(), 'ringmaster-bench-'));
const cleanups: (() => Promise<void>)[] = [];
let wrkRun = 0;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function requestFor(name: CaseName, fixture: Fixture): RequestSpec {
  const auth = { Authorization: `Bearer ${fixture.token}` };
  const json = { ...auth, 'Content-Type': 'application/json' };
  switch (name) {
    case 'get':
      return { method: 'GET', path: fixture.getPath, headers: auth };
    case 'list':
      return { method: 'GET', path: fixture.listPath, headers: auth };
    case 'list_last':
      return { method: 'GET', path: fixture.listLastPath, headers: auth };
    case 'patch':
      return {
        method: 'PATCH',
        path: fixture.patchPaths[0] as string,
        headers: json,
        rename: { paths: fixture.patchPaths, run: 0 },
      };
    case 'post':
      return {
        method: 'POST',
        path: fixture.getPath.replace(/\/[^/]+$/, ''),
        headers: json,
        body: POST_BODY,
      };
  }
}

/** Warm-up, then the measured run, against every origin at once. */
async function load(origins: string[], spec: RequestSpec, connections: number, options: Options) {
  const scriptsFor = (label: string) => {
    const run = ++wrkRun;
    const specForRun = spec.rename ? { ...spec, rename: { ...spec.rename, run } } : spec;
    return origins.map((_, i) => writeScript(temp, `${label}-${run}-${i}`, specForRun, i * 10));
  };
  const base = { origins, connections, threads: options.threads, path: spec.path };
  if (options.warmupS > 0)
    await runWrk({ ...base, durationS: options.warmupS, scripts: scriptsFor('warmup') });
  return runWrk({ ...base, durationS: options.durationS, scripts: scriptsFor('measure') });
}

function progress(label: string, name: string, connections: number, f: WrkFigures | null): void {
  if (!f) {
    log(`  ${name.padEnd(9)} c=${String(connections).padEnd(3)} ${label.padEnd(18)} skipped`);
    return;
  }
  const errors = Object.values(f.errors).reduce((a, b) => a + b, 0) + (f.requests === 0 ? 1 : 0);
  log(
    `  ${name.padEnd(9)} c=${String(connections).padEnd(3)} ${label.padEnd(18)} ${fmtInt(f.rps).padStart(7)} req/s` +
      `  p50 ${fmtMs(f.p50Ms).padStart(9)}  p99 ${fmtMs(f.p99Ms).padStart(9)}${errors ? `  ERRORS ${errors}` : ''}`,
  );
}

// --- targets -----------------------------------------------------------------------------------------------

async function sqliteTarget(key: string, logLevel: string, options: Options): Promise<Target> {
  const dir = mkdtempSync(join(temp, `${key}-`));
  const databaseUrl = `sqlite:${join(dir, 'ringmaster.db')}`;
  const server = await startServer({
    name: key,
    databaseUrl,
    logLevel,
    logPath: join(dir, 'server.log'),
    expectToken: true,
  });
  const token = server.printedToken as string;
  const fixture = await seedViaApi(server.origin, token, options.seed);
  const bodies = await captureBodies(server.origin, fixture);
  return {
    key,
    label: `SQLite, LOG_LEVEL=${logLevel}`,
    backend: 'sqlite',
    replicas: 1,
    logLevel,
    scale: false,
    compareTo: key === 'sqlite' ? undefined : 'sqlite',
    servers: [server],
    fixture,
    bodies,
    startup: {
      readyMs: server.readyMs,
      rssMiB: memory(server.pid)?.rssMiB,
      note: 'first start, fresh database',
    },
    figures: {},
    cleanup: async () => server.stop(),
  };
}

async function sqliteScaleTarget(logLevel: string, options: Options): Promise<Target> {
  const key = 'sqlite-scale';
  const dir = mkdtempSync(join(temp, `${key}-`));
  const dbPath = join(dir, 'ringmaster.db');
  const common = { name: key, databaseUrl: `sqlite:${dbPath}`, logLevel, logPath: join(dir, 'server.log') };
  // First start: migrate and print the operator token; then seed the file directly, then start for real.
  const first = await startServer({ ...common, expectToken: true });
  const token = first.printedToken as string;
  await first.stop();
  const policiesPerGroup = 10;
  log(
    `scale: seeding ${fmtInt(options.scaleGroups)} groups, ${fmtInt(options.scaleGroups * policiesPerGroup)} policy IDs ` +
      `and ${fmtInt(options.scaleAudit)} audit entries`,
  );
  const seed = seedSqliteScale(dbPath, options.scaleGroups, policiesPerGroup, options.scaleAudit);
  log(`scale: seeded in ${seed.seconds.toFixed(1)} s; restarting the server on the seeded database`);
  const server = await startServer(common);
  const rss = memory(server.pid)?.rssMiB;
  log(`scale: ready ${server.readyMs.toFixed(0)} ms after start, RSS ${rss} MiB`);
  const fixture = fixtureFor(token, seed.sampleIds, seed.groups);
  const bodies = await captureBodies(server.origin, fixture);
  const windows = seed.auditEntries > 0 ? await timeAuditWindows(server.origin, token) : undefined;
  if (windows)
    log(`scale: the audit-log query over ${fmtInt(seed.auditEntries)} entries\n${auditWindowsText(windows)}`);
  return {
    key,
    label: `SQLite at scale (${fmtInt(seed.groups)} groups, ${fmtInt(seed.policyIds)} policy IDs, ${fmtInt(seed.auditEntries)} audit entries), LOG_LEVEL=${logLevel}`,
    auditWindows: windows,
    backend: 'sqlite',
    replicas: 1,
    logLevel,
    scale: true,
    compareTo: 'sqlite',
    servers: [server],
    fixture,
    bodies,
    seed: { ...seed, sampleIds: seed.sampleIds.slice(0, 3) },
    startup: { readyMs: server.readyMs, rssMiB: rss, note: 'restart on the seeded database' },
    figures: {},
    cleanup: async () => server.stop(),
  };
}

/** A fresh database on the --pg-url server, and a function that drops it (never throws). */
async function scratchPostgres(
  options: Options,
  suffix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const database = `ringmaster_bench_${process.pid}_${suffix}`;
  const admin = new pg.Client({ connectionString: options.pgUrl });
  try {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
  } catch (error) {
    fail(
      `PostgreSQL at ${new URL(options.pgUrl).host} is not usable for the bench: ${(error as Error).message}`,
    );
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(options.pgUrl);
  url.pathname = `/${database}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: options.pgUrl });
    try {
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } catch (error) {
      log(`could not drop the scratch database ${database}: ${(error as Error).message}`);
    } finally {
      await c.end().catch(() => {});
    }
  };
  return { url: url.toString(), drop };
}

async function postgresTarget(replicas: number, logLevel: string, options: Options): Promise<Target> {
  const key = `postgres-${replicas}`;
  const dir = mkdtempSync(join(temp, `${key}-`));
  const { url, drop: dropDatabase } = await scratchPostgres(options, `${replicas}`);
  const servers: Running[] = [];
  const unlimit: (() => void)[] = [];
  try {
    // The first replica migrates and prints the token; the others start on the migrated database.
    for (let i = 0; i < replicas; i++) {
      const server = await startServer({
        name: `${key}#${i + 1}`,
        databaseUrl: url,
        logLevel,
        logPath: join(dir, `server-${i + 1}.log`),
        expectToken: i === 0,
      });
      servers.push(server);
      if (options.replicaCpu) unlimit.push(limitCpu(server.pid, options.replicaCpu, server.name));
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    for (const remove of unlimit) remove();
    await dropDatabase().catch(() => {});
    if (error instanceof BenchError && /not available yet/.test(error.message)) {
      fail('This build has no PostgreSQL backend yet (src/store/open.ts refuses postgres:// URLs).');
    }
    throw error;
  }
  const first = servers[0] as Running;
  const token = first.printedToken as string;
  const fixture = await seedViaApi(first.origin, token, options.seed);
  const bodies = await captureBodies(first.origin, fixture);
  return {
    key,
    label:
      `PostgreSQL, ${replicas} replica${replicas > 1 ? 's' : ''}, LOG_LEVEL=${logLevel}` +
      (options.replicaCpu ? `, ${options.replicaCpu} core each` : ''),
    backend: 'postgres',
    replicas,
    logLevel,
    scale: false,
    // Two replicas are read against one (the scaling target), one replica against SQLite.
    compareTo: replicas > 1 && options.replicas.includes(1) ? 'postgres-1' : 'sqlite',
    servers,
    fixture,
    bodies,
    startup: {
      readyMs: first.readyMs,
      rssMiB: memory(first.pid)?.rssMiB,
      note: 'first start, fresh database',
    },
    figures: {},
    cleanup: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      for (const remove of unlimit) remove();
      await dropDatabase();
    },
  };
}

// --- the comparison run ------------------------------------------------------------------------------------

/** What a comparison run was made under, for its report and its results file. */
interface RunInfo {
  startedAt: Date;
  loadStart: number[];
  loadEnd: number[];
  fsyncPerSecond: number;
  wrkVersion: string;
}

/** The baseline's figures, and the Fastify ceiling's when GET was measured. */
interface Yardsticks {
  baseline: CaseTable;
  ceiling?: CaseTable;
}

async function compare(options: Options, wrkVersion: string): Promise<void> {
  const startedAt = new Date();
  const loadStart = loadavg();
  const fsyncPerSecond = probeFsync(temp);
  log(
    `ringmaster bench: ${options.cases.join(', ')} at ${options.connections.join(' and ')} connections, ` +
      `${options.durationS} s each after ${options.warmupS} s warm-up (wrk ${wrkVersion}, ${cpus().length} CPUs, ` +
      `load average ${loadStart[0]?.toFixed(2)}, ~${fmtInt(fsyncPerSecond)} fsync/s in ${temp})`,
  );
  const targets = await startTargets(options);
  const reference = targets[0] as Target;
  const bodiesPath = join(temp, 'bodies.json');
  writeFileSync(bodiesPath, JSON.stringify(reference.bodies));
  const baseline = await startBaseline(bodiesPath);
  cleanups.push(() => baseline.stop());
  // Fastify's own ceiling: one constant route answering the GET body, measured beside the baseline.
  const ceiling = options.cases.includes('get') ? await startFastifyCeiling(bodiesPath) : undefined;
  if (ceiling) cleanups.push(() => ceiling.stop());
  const yardsticks = await measureCases(options, targets, baseline, ceiling);
  for (const target of targets) {
    const m = target.servers.map((s) => memory(s.pid));
    target.memoryAfter = {
      rssMiB: Math.max(...m.map((x) => x?.rssMiB ?? 0)),
      peakMiB: Math.max(...m.map((x) => x?.peakMiB ?? 0)),
    };
  }
  const run: RunInfo = { startedAt, loadStart, loadEnd: loadavg(), fsyncPerSecond, wrkVersion };
  const maxConnections = Math.max(...options.connections);
  const checks = computeChecks(reference, yardsticks.baseline, targets, maxConnections);
  const out = reportLines(options, run, targets, yardsticks);
  out.push(`== Targets (on "${reference.label}", ${maxConnections} connections)`, checksText(checks), '');
  out.push(`Results: ${writeResults(options, run, targets, yardsticks, checks)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Every server the options ask for, started and seeded; the first is the reference (the main table). */
async function startTargets(options: Options): Promise<Target[]> {
  const targets: Target[] = [];
  const track = (t: Target) => {
    targets.push(t);
    cleanups.push(t.cleanup);
  };
  const mainLevel = options.logLevels[0] ?? 'warn';
  for (const [i, level] of options.logLevels.entries()) {
    track(await sqliteTarget(i === 0 ? 'sqlite' : `sqlite-${level}`, level, options));
  }
  if (options.scale) track(await sqliteScaleTarget(mainLevel, options));
  if (options.backends.includes('postgres')) {
    for (const replicas of options.replicas) track(await postgresTarget(replicas, mainLevel, options));
  }
  return targets;
}

/**
 * Case by case, the baseline and every target back to back, so that drift hits them alike; fills each
 * target's figures. POST runs last: it grows the table, which would change what list measures.
 */
async function measureCases(
  options: Options,
  targets: Target[],
  baseline: Running,
  ceiling: Running | undefined,
): Promise<Yardsticks> {
  const reference = targets[0] as Target;
  const yardsticks: Yardsticks = { baseline: {}, ceiling: ceiling ? {} : undefined };
  for (const name of options.cases) {
    for (const connections of options.connections) {
      const base = await load([baseline.origin], requestFor(name, reference.fixture), connections, options);
      slot(yardsticks.baseline, name)[connections] = base;
      progress('baseline', name, connections, base);
      if (ceiling && yardsticks.ceiling && name === 'get') {
        const top = await load([ceiling.origin], requestFor(name, reference.fixture), connections, options);
        slot(yardsticks.ceiling, name)[connections] = top;
        progress('fastify', name, connections, top);
      }
      for (const target of targets) {
        const table = slot(target.figures, name);
        if (connections < target.servers.length) {
          table[connections] = null; // cannot split fewer connections than replicas
          progress(target.key, name, connections, null);
          continue;
        }
        const origins = target.servers.map((s) => s.origin);
        const figures = await load(origins, requestFor(name, target.fixture), connections, options);
        table[connections] = figures;
        progress(target.key, name, connections, figures);
      }
    }
  }
  return yardsticks;
}

/** The run's heading, then each target against the baseline (and its reference), the servers, the audit. */
function reportLines(options: Options, run: RunInfo, targets: Target[], yardsticks: Yardsticks): string[] {
  const busy = (run.loadStart[0] ?? 0) > 0.5;
  const out: string[] = [];
  out.push(
    `Ringmaster bench, ${run.startedAt.toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, wrk ${run.wrkVersion}`,
    `${options.durationS} s per case after ${options.warmupS} s warm-up; wrk ${options.threads} thread(s); ` +
      `load average ${run.loadStart[0]?.toFixed(2)} at start, ${run.loadEnd[0]?.toFixed(2)} at end` +
      (busy ? ' (machine busy: absolute figures are noisy; compare ratios)' : ''),
    `Durable writes: SQLite WAL + synchronous=FULL; this disk does ~${fmtInt(run.fsyncPerSecond)} fsync/s (one writer, 4 KiB).`,
    ...(Object.keys(serverEnv).length > 0
      ? [
          `Server environment extras: ${Object.entries(serverEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        ]
      : []),
    'ratio = server / baseline (req/s: higher is better; latency: lower is better).',
    '',
  );
  if (yardsticks.ceiling) {
    out.push(
      '== Fastify, one constant route (the framework ceiling)  vs  bare node:http baseline',
      versusBaseline(yardsticks.ceiling, yardsticks.baseline),
      '',
    );
  }
  for (const target of targets) {
    out.push(
      `== ${target.label}  vs  bare node:http baseline`,
      versusBaseline(target.figures, yardsticks.baseline),
      '',
    );
    const ref = targets.find((t) => t.key === target.compareTo);
    if (ref) {
      out.push(
        `== ${target.label}  vs  ${ref.label}`,
        versusReference(target.figures, ref.figures, ref.key === 'sqlite' ? 'sqlite' : ref.key),
        '',
      );
    }
  }
  out.push('== Server processes');
  for (const target of targets) {
    out.push(
      `  ${target.key.padEnd(14)} ready ${target.startup.readyMs.toFixed(0)} ms after spawn (${target.startup.note}); ` +
        `RSS ${target.startup.rssMiB} MiB when ready, ${target.memoryAfter?.rssMiB} MiB after load, peak ${target.memoryAfter?.peakMiB} MiB` +
        (target.servers.length > 1 ? ' (largest replica)' : '') +
        (target.seed ? `; seeded in ${target.seed.seconds.toFixed(1)} s` : ''),
    );
  }
  out.push('');
  for (const target of targets.filter((t) => t.auditWindows)) {
    out.push(
      `== Audit log at scale (${fmtInt(target.seed?.auditEntries ?? 0)} entries), timed before the load`,
    );
    out.push(auditWindowsText(target.auditWindows as AuditWindowFigure[]), '');
  }
  return out;
}

/** The run as JSON under bench/results/; returns the file's path. */
function writeResults(
  options: Options,
  run: RunInfo,
  targets: Target[],
  yardsticks: Yardsticks,
  checks: Check[],
): string {
  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${run.startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const reference = targets[0] as Target;
  const json = {
    version: 1,
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    git: gitInfo(),
    machine: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadavgStart: run.loadStart,
      loadavgEnd: run.loadEnd,
      wrk: run.wrkVersion,
      fsyncPerSecond: run.fsyncPerSecond,
      tempFilesystem: filesystem(temp),
    },
    options: { ...options, env: serverEnv },
    preliminary: (run.loadStart[0] ?? 0) > 0.5 || options.quick,
    mainTable: reference.key,
    baseline: yardsticks.baseline,
    fastifyCeiling: yardsticks.ceiling
      ? { figures: yardsticks.ceiling, ratioToBaseline: ratios(yardsticks.ceiling, yardsticks.baseline) }
      : undefined,
    targets: targets.map((t) => ({
      key: t.key,
      label: t.label,
      backend: t.backend,
      replicas: t.replicas,
      logLevel: t.logLevel,
      scale: t.scale,
      seed: t.seed,
      auditWindows: t.auditWindows,
      startup: t.startup,
      memoryAfter: t.memoryAfter,
      bodyBytes: Object.fromEntries(Object.entries(t.bodies).map(([k, v]) => [k, Buffer.byteLength(v)])),
      figures: t.figures,
      ratioToBaseline: ratios(t.figures, yardsticks.baseline),
      compareTo: t.compareTo,
      ratioToCompareTo: t.compareTo
        ? ratios(t.figures, targets.find((r) => r.key === t.compareTo)?.figures ?? {})
        : undefined,
    })),
    checks,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}

function ratios(figures: CaseTable, reference: CaseTable) {
  const result: Record<
    string,
    Record<string, { rps: number | null; p50: number | null; p99: number | null }>
  > = {};
  for (const [name, byConnections] of Object.entries(figures)) {
    for (const [connections, f] of Object.entries(byConnections ?? {})) {
      const r = reference[name as CaseName]?.[connections];
      if (!f || !r) continue;
      slot(result, name)[connections] = {
        rps: ratio(f.rps, r.rps),
        p50: ratio(f.p50Ms, r.p50Ms),
        p99: ratio(f.p99Ms, r.p99Ms),
      };
    }
  }
  return result;
}

/** Issue 13's PostgreSQL targets: one replica against SQLite, two against one, PATCH on two. */
function postgresChecks(reference: Target, targets: Target[], c: number): Check[] {
  const checks: Check[] = [];
  const rps = (key: string, name: CaseName) => targets.find((t) => t.key === key)?.figures[name]?.[c]?.rps;
  const share = (name: string, r: number | null, goal: number) =>
    checks.push({
      name,
      value: r === null ? 'not measured' : `${r.toFixed(2)}×`,
      goal: `≥ ${goal}×`,
      ok: r === null ? null : r >= goal,
    });
  if (!targets.some((t) => t.backend === 'postgres')) return checks;
  share(
    'PostgreSQL GET, 1 replica vs SQLite',
    ratio(rps('postgres-1', 'get'), rps(reference.key, 'get')),
    0.5,
  );
  const quota = targets.find((t) => t.key === 'postgres-2')?.label.match(/, ([\d.]+ core) each/)?.[1];
  share(
    `PostgreSQL GET, 2 replicas vs 1${quota ? ` (${quota} each)` : ''}`,
    ratio(rps('postgres-2', 'get'), rps('postgres-1', 'get')),
    1.6,
  );
  const patch = rps('postgres-2', 'patch');
  checks.push({
    name: 'PostgreSQL PATCH req/s, 2 replicas',
    value: patch === undefined ? 'not measured' : fmtInt(patch),
    goal: '≥ 3,000',
    ok: patch === undefined ? null : patch >= 3000,
  });
  return checks;
}

function computeChecks(reference: Target, baseline: CaseTable, targets: Target[], c: number): Check[] {
  const checks: Check[] = [];
  const at = (t: CaseTable, name: CaseName, connections = c) => t[name]?.[connections] ?? undefined;
  const rpsShare = (name: CaseName, goal: number, label: string) => {
    const r = ratio(at(reference.figures, name)?.rps, at(baseline, name)?.rps);
    checks.push({
      name: `${label} req/s vs baseline`,
      value: r === null ? 'not measured' : `${Math.round(r * 100)} %`,
      goal: `≥ ${goal * 100} %`,
      ok: r === null ? null : r >= goal,
    });
  };
  rpsShare('get', 0.6, 'GET one group');
  rpsShare('list', 0.35, 'list (per_page 50)');
  for (const name of ['get', 'list'] as const) {
    const f = at(reference.figures, name);
    checks.push({
      name: `${name} p99`,
      value: f ? fmtMs(f.p99Ms) : 'not measured',
      goal: '≤ 10 ms',
      ok: f ? f.p99Ms <= 10 : null,
    });
  }
  const patch = at(reference.figures, 'patch');
  checks.push({
    name: 'PATCH req/s (durable)',
    value: patch ? fmtInt(patch.rps) : 'not measured',
    goal: '≥ 10,000',
    ok: patch ? patch.rps >= 10_000 : null,
  });
  const scale = targets.find((t) => t.scale);
  if (scale) {
    for (const name of ['get', 'list', 'patch'] as const) {
      for (const connections of Object.keys(scale.figures[name] ?? {})) {
        const s = at(scale.figures, name, Number(connections));
        const e = at(reference.figures, name, Number(connections));
        for (const p of ['p50Ms', 'p99Ms'] as const) {
          const r = ratio(s?.[p], e?.[p]);
          checks.push({
            name: `scale ${name} ${p.slice(0, 3)} c=${connections} vs empty`,
            value: r === null ? 'not measured' : `${r.toFixed(2)}×`,
            goal: '≤ 1.5×',
            ok: r === null ? null : r <= 1.5,
          });
        }
      }
    }
    checks.push({
      name: 'scale peak RSS',
      value: `${scale.memoryAfter?.peakMiB} MiB`,
      goal: '< 300 MB',
      ok: (scale.memoryAfter?.peakMiB ?? Number.POSITIVE_INFINITY) * 1.048576 < 300,
    });
    checks.push({
      name: 'scale ready after start',
      value: fmtMs(scale.startup.readyMs),
      goal: '≤ 1000 ms',
      ok: scale.startup.readyMs <= 1000,
    });
  }
  checks.push(...postgresChecks(reference, targets, c));
  return checks;
}

// --- profiling -----------------------------------------------------------------------------------------------

async function profile(options: Options): Promise<void> {
  const connections = Math.max(...options.connections);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const level = options.logLevels[0] ?? 'warn';
  // `--backend postgres` profiles the PostgreSQL backend (one replica) instead of SQLite.
  const backend = options.backends.includes('postgres') ? 'postgres' : 'sqlite';
  for (const name of options.cases) {
    const dir = mkdtempSync(join(temp, `profile-${name}-`));
    const scratch = backend === 'postgres' ? await scratchPostgres(options, `profile_${name}`) : undefined;
    if (scratch) cleanups.push(scratch.drop);
    const server = await startServer({
      name: `profile-${name}`,
      databaseUrl: scratch?.url ?? `sqlite:${join(dir, 'ringmaster.db')}`,
      logLevel: level,
      logPath: join(dir, 'server.log'),
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      expectToken: true,
    });
    cleanups.push(() => server.stop());
    const fixture = await seedViaApi(server.origin, server.printedToken as string, options.seed);
    const spec = requestFor(name, fixture);
    if (options.warmupS > 0) {
      await runWrk({
        origins: [server.origin],
        connections,
        threads: options.threads,
        durationS: options.warmupS,
        path: spec.path,
        scripts: [
          writeScript(temp, `profile-warmup-${name}`, {
            ...spec,
            rename: spec.rename && { ...spec.rename, run: 1 },
          }),
        ],
      });
    }
    const measureStart = performance.now();
    const figures = await runWrk({
      origins: [server.origin],
      connections,
      threads: options.threads,
      durationS: options.durationS,
      path: spec.path,
      scripts: [
        writeScript(temp, `profile-${name}`, { ...spec, rename: spec.rename && { ...spec.rename, run: 2 } }),
      ],
    });
    const measureEnd = performance.now();
    await server.stop();
    const stopped = performance.now();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) fail(`no .cpuprofile was written in ${dir}`);
    const saved = join(resultsDir, `${stamp}-${backend}-${name}.cpuprofile`);
    copyFileSync(join(dir, file), saved);
    const cpuProfile = JSON.parse(readFileSync(saved, 'utf8')) as CpuProfile;
    // Count only the measured window: the profile ends when the process exits.
    const summary = summarize(cpuProfile, 25, {
      fromEndUs: (stopped - measureStart) * 1000,
      toEndUs: (stopped - measureEnd) * 1000,
    });
    process.stdout.write(
      `\n== profile: ${name} on ${backend}, ${connections} connections, ${options.durationS} s, LOG_LEVEL=${level} — ` +
        `${fmtInt(figures.rps)} req/s, p50 ${fmtMs(figures.p50Ms)}, p99 ${fmtMs(figures.p99Ms)}\n` +
        `   ${saved}\n\n${formatSummary(summary)}\n`,
    );
    writeFileSync(
      saved.replace(/\.cpuprofile$/, '.summary.json'),
      `${JSON.stringify({ figures, summary }, null, 2)}\n`,
    );
  }
}

// --- small helpers ------------------------------------------------------------------------------------------

/** record[key], created empty on first use. */
function slot<T>(record: Partial<Record<string, Record<string, T>>>, key: string): Record<string, T> {
  let value = record[key];
  if (value === undefined) {
    value = {};
    record[key] = value;
  }
  return value;
}

/** fsyncs per second one writer gets on the bench's temp filesystem: the ceiling without group commit. */
function probeFsync(dir: string): number {
  const path = join(dir, 'fsync-probe');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 1);
  let count = 0;
  const end = performance.now() + 1000;
  while (performance.now() < end) {
    writeSync(fd, block, 0, block.length, 0);
    fsyncSync(fd);
    count++;
  }
  closeSync(fd);
  rmSync(path);
  return count;
}

function filesystem(dir: string): string {
  const type = statfsSync(dir).type;
  const known: Record<number, string> = {
    61267: 'ext4',
    16914836: 'tmpfs',
    1481003842: 'xfs',
    2435016766: 'btrfs',
  };
  return known[type] ?? `0x${type.toString(16)}`;
}

function gitInfo(): { commit?: string; dirty?: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['--no-optional-locks', 'status', '--porcelain'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return {};
  }
}

async function main(): Promise<number> {
  try {
    const options = parseOptions(process.argv.slice(2));
    requireDist();
    const wrkVersion = ensureWrk();
    if (filesystem(temp) === 'tmpfs') {
      log(`warning: ${temp} is on tmpfs, where fsync costs nothing; set TMPDIR to a disk-backed directory.`);
    }
    if (options.profile) await profile(options);
    else if (options.targets)
      await targetsBench({ ...options, logLevel: options.logLevels[0] ?? 'info', temp, log });
    else await compare(options, wrkVersion);
    return 0;
  } catch (error) {
    if (error instanceof BenchError) {
      log(`bench: ${error.message}`);
      return 1;
    }
    log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    rmSync(temp, { recursive: true, force: true });
  }
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log('bench: interrupted; stopping the servers…');
  Promise.all(cleanups.map((c) => c().catch(() => {}))).finally(() => {
    rmSync(temp, { recursive: true, force: true });
    process.exit(130);
  });
});

process.exitCode = await main();
