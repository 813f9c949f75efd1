// CPU time per request: the server's own user+system CPU (from /proc/<pid>/stat) divided by the requests
// it answered under wrk. Unlike requests/s, it hardly moves when other processes share the cores, so it
// compares two builds on a busy machine. Prints µs per request for the baseline, the Fastify ceiling and
// the server, and the baseline/server ratio (comparable to the bench's req/s ratio on an idle machine).
// `patch`: the bench's durable PATCH (a new name each request, round-robin over the 100 groups), server only
// (the baseline writes nothing): the server's CPU per PATCH, fsync waits excluded.
//
//   tsx bench/cpu-per-request.ts [get|list|patch] [seconds] [LOG_LEVEL]      (after npm run build)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureBodies, seedViaApi } from './lib/fixture.ts';
import { type Running, startBaseline, startFastifyCeiling, startServer } from './lib/processes.ts';
import { ensureWrk, type RequestSpec, runWrk, writeScript } from './lib/wrk.ts';

const [name = 'get', seconds = '8', level = 'info'] = process.argv.slice(2);
const temp = mkdtempSync(join(tmpdir(), 'ringmaster-cpu-'));
const TICK_US = 1e6 / 100; // USER_HZ

/** The process's CPU time, or its main thread's (where JavaScript runs: the loop's own limit). */
function cpuUs(pid: number, thread = false): number {
  const file = thread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
  const fields = readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime + stime
}

async function measure(label: string, running: Running, path: string, token: string, paths?: string[]) {
  const headers = { Authorization: `Bearer ${token}` };
  const spec: RequestSpec = paths
    ? {
        method: 'PATCH',
        path,
        headers: { ...headers, 'Content-Type': 'application/json' },
        rename: { paths, run: 0 },
      }
    : { method: 'GET', path, headers };
  const script = writeScript(temp, label, spec);
  const base = { origins: [running.origin], connections: 64, threads: 1, path, scripts: [script] };
  await runWrk({ ...base, durationS: 2 });
  const before = cpuUs(running.pid);
  const beforeMain = cpuUs(running.pid, true);
  const f = await runWrk({ ...base, durationS: Number(seconds) });
  const us = (cpuUs(running.pid) - before) / f.requests;
  const main = (cpuUs(running.pid, true) - beforeMain) / f.requests;
  process.stdout.write(
    `${label.padEnd(9)} ${us.toFixed(1).padStart(7)} µs CPU/request, ${main.toFixed(1)} of them on the main thread  (${Math.round(f.rps)} req/s)\n`,
  );
  return us;
}

ensureWrk();
const server = await startServer({
  name: 'server',
  databaseUrl: `sqlite:${join(temp, 'ringmaster.db')}`,
  logLevel: level,
  logPath: join(temp, 'server.log'),
  expectToken: true,
});
const token = server.printedToken as string;
const fixture = await seedViaApi(server.origin, token, 100);
writeFileSync(join(temp, 'bodies.json'), JSON.stringify(await captureBodies(server.origin, fixture)));
const baseline = await startBaseline(join(temp, 'bodies.json'));
const ceiling = await startFastifyCeiling(join(temp, 'bodies.json'));
const path = { list: fixture.listPath, patch: fixture.patchPaths[0] as string }[name] ?? fixture.getPath;
/** The baseline's and the Fastify ceiling's CPU per request beside the server's (a GET or a list page). */
async function compare(): Promise<void> {
  const b = await measure('baseline', baseline, path, token);
  if (name === 'get') {
    const c = await measure('fastify', ceiling, path, token);
    process.stdout.write(`fastify ratio (baseline/fastify CPU per request): ${(b / c).toFixed(2)}\n`);
  }
  const s = await measure(`server`, server, path, token);
  process.stdout.write(
    `server ratio (baseline/server CPU per request), ${name}, LOG_LEVEL=${level}: ${(b / s).toFixed(2)}\n`,
  );
}

try {
  if (name === 'patch') await measure('server', server, path, token, fixture.patchPaths);
  else await compare();
} finally {
  await Promise.all([server.stop(), baseline.stop(), ceiling.stop()]);
}
