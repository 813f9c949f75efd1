// Where the version-target resolve's CPU goes, beside the duties yardstick (bench/duties-floor.ts) that
// answers the same bytes: each under wrk (64 connections, 5 s after 2 s), its main thread sampled by
// `perf record -e cpu-clock` (a software clock: only time on a CPU counts, unlike the V8 profiler, which
// also counts a thread descheduled inside a syscall), then µs per request by where the samples fell —
// the kernel, Node's and V8's C++, JIT-compiled JavaScript, libc (docs/performance.md, "Stop 20").
//
//   npx tsx bench/resolve-cpu.ts          (after npm run build; needs perf; the server runs --perf-basic-prof)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Running, startDutiesFloor, startServer } from './lib/processes.ts';
import { lookupPath, SMALL_ACCOUNT, seedSmallAccount } from './lib/targets.ts';
import { runWrk, writeScript } from './lib/wrk.ts';

const SAMPLE_HZ = 4000;
const SECONDS = 4;
const temp = mkdtempSync(join(tmpdir(), 'ringmaster-resolve-cpu-'));
const server = await startServer({
  name: 'server',
  databaseUrl: `sqlite:${join(temp, 'ringmaster.db')}`,
  logLevel: 'info',
  logPath: join(temp, 'server.log'),
  expectToken: true,
  nodeArgs: ['--perf-basic-prof'],
});
const token = server.printedToken as string;
const headers = { Authorization: `Bearer ${token}` };
// The targets bench's small account (ten groups of ten policies) and its resolve.
const path = lookupPath(SMALL_ACCOUNT, await seedSmallAccount(server.origin, token));
const body = await (await fetch(`${server.origin}${path}`, { headers })).text();
writeFileSync(join(temp, 'bodies.json'), JSON.stringify({ get: body, list: body, patch: '{}', post: '{}' }));
const duties = await startDutiesFloor(join(temp, 'bodies.json'), join(temp, 'duties.log'));
const script = writeScript(temp, 'resolve', { method: 'GET', path, headers });

/** µs per request of `running`'s main thread, by where perf's samples fell. */
async function sample(label: string, running: Running): Promise<void> {
  const load = (durationS: number) =>
    runWrk({ origins: [running.origin], connections: 64, threads: 1, durationS, scripts: [script], path });
  await load(2);
  const file = join(temp, `${label}.perf`);
  const perf = spawn(
    'perf',
    ['record', '-q', '-e', 'cpu-clock', '-F', String(SAMPLE_HZ), '-t', String(running.pid)].concat([
      '-o',
      file,
      '--',
      'sleep',
      String(SECONDS),
    ]),
  );
  const figures = await load(SECONDS + 1);
  await new Promise((resolve) => perf.on('exit', resolve));
  const report = spawnSync(
    'perf',
    ['report', '-i', file, '-n', '--no-children', '--sort', 'dso', '--stdio'],
    {
      encoding: 'utf8',
    },
  ).stdout;
  // Rows: "  46.16%  7012  node": each place's samples, a sample being 1/SAMPLE_HZ s of the thread's CPU.
  const requests = figures.rps * SECONDS;
  const shares = [...report.matchAll(/^\s+[\d.]+%\s+(\d+)\s+(.+?)\s*$/gm)].map(([, count, dso]) => ({
    dso: (dso as string).startsWith('[JIT]') ? 'JIT (JavaScript)' : (dso as string),
    us: ((Number(count) / SAMPLE_HZ) * 1e6) / requests,
  }));
  const total = shares.reduce((sum, s) => sum + s.us, 0);
  process.stdout.write(
    `${label}: ${Math.round(figures.rps)} req/s, ${total.toFixed(1)} µs of main-thread CPU per request\n`,
  );
  for (const { dso, us } of shares.filter((s) => s.us >= 0.5)) {
    process.stdout.write(`  ${dso.padEnd(22)} ${us.toFixed(1).padStart(6)} µs\n`);
  }
}

try {
  await sample('resolve', server);
  await sample('duties', duties);
} finally {
  await Promise.all([server.stop(), duties.stop()]);
}
