// `npx tsx bench/targets-refresh.ts`: how long one write to an account of 1,000,000 held policies
// (1,000 groups × 1,000) blocks the event loop of the process holding its version targets
// (docs/contract.md §8.4, src/version-targets/cache.ts), and the event loop's delay — what every request
// waits on top of its own work — while one group is written every WRITE_EVERY_MS. In one process, on
// SQLite; prints the figures. Not part of `npm run bench` (no threshold): a figure for the record.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { COMMAND_LINE } from '../src/audit/context.ts';
import { now } from '../src/clock.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import { TargetsCache } from '../src/version-targets/cache.ts';
import { ACCOUNT, seedSqliteScale } from './lib/fixture.ts';

const WRITES = 20;
const WRITE_EVERY_MS = 250;

const dir = mkdtempSync(join(tmpdir(), 'ringmaster-refresh-bench-'));
const path = join(dir, 'ringmaster.db');
await openSqliteStore({ path }).close(); // migrated
const seed = seedSqliteScale(path, 1000, 1000);
const store = openSqliteStore({ path });
const cache = new TargetsCache(store);
cache.start();
try {
  let started = performance.now();
  await cache.get(ACCOUNT);
  console.log(`first load: ${Math.round(performance.now() - started)} ms, ${cache.size.policies} policies`);
  const groupId = seed.sampleIds[0] as string;
  const write = (i: number) =>
    store.updateDeploymentGroup(
      ACCOUNT,
      groupId,
      ({ group }) => ({
        ...group,
        version_config: [{ target_environment: 'windows', version: `2026.9.${i}.0` }],
        updated_at: now(),
      }),
      { context: COMMAND_LINE },
    );
  const blocked: number[] = [];
  const writes: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  for (let i = 0; i < WRITES; i++) {
    // The write, then the refresh it announces (which may run within the write's own settling): what the
    // next request of this process waits for, and every other request on this event loop with it.
    started = performance.now();
    await write(i);
    const written = performance.now();
    await cache.get(ACCOUNT);
    blocked.push(performance.now() - started);
    writes.push(written - started);
    await sleep(WRITE_EVERY_MS);
  }
  delay.disable();
  blocked.sort((a, b) => a - b);
  writes.sort((a, b) => a - b);
  console.log(`the writes alone: p50 ${(writes[WRITES >> 1] as number).toFixed(1)} ms`);
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  const at = (q: number) =>
    (blocked[Math.min(blocked.length - 1, Math.floor(q * blocked.length))] as number).toFixed(1);
  console.log(`a write and its refresh: p50 ${at(0.5)} ms, max ${at(1)} ms (${WRITES} writes)`);
  console.log(
    `event loop delay during the writes: p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, ` +
      `max ${ms(delay.max)} ms`,
  );
  const refreshes = (cache as { refreshes?: object }).refreshes;
  if (refreshes) console.log(`refreshes: ${JSON.stringify(refreshes)}`);
} finally {
  cache.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
