// CPU time per request through the app's own path, without sockets: buildApp() from dist/ (or another
// checkout's dist/), one group on SQLite, GET of it by `app.inject` N times at LOG_LEVEL=info (log lines
// to this process's stdout: send it to /dev/null), process.cpuUsage() around the loop. No wrk, no
// kernel, no second process: on a busy machine it still varies ±15 % run to run, so alternate two builds
// several times and compare the medians (docs/performance.md "Read path").
//
//   tsx bench/cpu-per-inject.ts [requests] [root of a checkout with dist/ built] > /dev/null
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/processes.ts';

const requests = Number(process.argv[2] ?? 20_000);
const root = process.argv[3] ?? ROOT;
const { buildApp } = await import(join(root, 'dist/app.js'));
const { openSqliteStore } = await import(join(root, 'dist/store/sqlite/store.js'));
const { TokenService } = await import(join(root, 'dist/tokens/service.js'));

const dir = mkdtempSync(join(tmpdir(), 'ringmaster-inject-'));
const store = openSqliteStore({ path: join(dir, 'bench.db') });
const { secret } = await new TokenService(store).createToken({ accounts: null, permission: 'write' });
const app = buildApp({
  config: {
    logLevel: 'info',
    targetEnvironments: ['windows', 'macos'],
    authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
  },
  store,
});
await app.ready();
const groups = '/client/v4/accounts/0123456789abcdef0123456789abcdef/devices/deployment-groups';
const authorization = `Bearer ${secret}`;
const created = await app.inject({
  method: 'POST',
  url: groups,
  headers: { authorization, 'content-type': 'application/json' },
  payload: JSON.stringify({
    name: 'bench',
    version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  }),
});
const get = {
  method: 'GET' as const,
  url: `${groups}/${created.json().result.id}`,
  headers: { authorization },
};
for (let i = 0; i < 3000; i++) await app.inject(get); // warm-up: JIT, caches
const start = process.cpuUsage();
for (let i = 0; i < requests; i++) {
  const response = await app.inject(get);
  if (response.statusCode !== 200) throw new Error(`GET answered ${response.statusCode}`);
}
const used = process.cpuUsage(start);
process.stderr.write(
  `${((used.user + used.system) / requests).toFixed(1)} µs CPU per injected GET (${root})\n`,
);
await app.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
