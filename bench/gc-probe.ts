// Whether a read's tail latency is garbage collection: runs the server with --trace-gc under wrk (one
// case, 64 connections) and prints wrk's latencies beside the GC pauses seen during the measured window
// (count, total, quantiles, by kind). Written for the list's p99 (docs/performance.md, "Read path").
//
//   tsx bench/gc-probe.ts [get|list] [seconds]      (after npm run build)
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedViaApi } from './lib/fixture.ts';
import { startServer } from './lib/processes.ts';
import { ensureWrk, runWrk, writeScript } from './lib/wrk.ts';

const [name = 'list', seconds = '5'] = process.argv.slice(2);
const temp = mkdtempSync(join(tmpdir(), 'ringmaster-gc-'));
const out = join(temp, 'server.out');
ensureWrk();
const server = await startServer({
  name: 'server',
  databaseUrl: `sqlite:${join(temp, 'ringmaster.db')}`,
  logLevel: 'warn',
  logPath: out,
  expectToken: true,
  nodeArgs: ['--trace-gc'],
});
try {
  const token = server.printedToken as string;
  const fixture = await seedViaApi(server.origin, token, 100);
  const path = name === 'list' ? fixture.listPath : fixture.getPath;
  const script = writeScript(temp, name, {
    method: 'GET',
    path,
    headers: { Authorization: `Bearer ${token}` },
  });
  const base = { origins: [server.origin], connections: 64, threads: 1, path, scripts: [script] };
  await runWrk({ ...base, durationS: 1 });
  const mark = readFileSync(out, 'utf8').length;
  const f = await runWrk({ ...base, durationS: Number(seconds) });
  const pauses = readFileSync(out, 'utf8')
    .slice(mark)
    .split('\n')
    .flatMap((line) => {
      const match = /ms: ([A-Za-z-]+(?: \([^)]*\))?)?.*?(\d+\.\d+) \/ [\d.]+ ms/.exec(line);
      return match ? [{ kind: (match[1] ?? '?').split(' ')[0] as string, ms: Number(match[2]) }] : [];
    });
  const ms = pauses.map((p) => p.ms).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
  const kinds = new Map<string, number>();
  for (const p of pauses) kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
  process.stdout.write(
    `${name}: ${Math.round(f.rps)} req/s, p50 ${f.p50Ms} ms, p90 ${f.p90Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms\n` +
      `GC: ${pauses.length} pauses (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}), total ` +
      `${ms.reduce((a, b) => a + b, 0).toFixed(1)} ms; median ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms\n`,
  );
} finally {
  await server.stop();
}
