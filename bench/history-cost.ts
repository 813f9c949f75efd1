// What a long audit history costs a durable PATCH on SQLite: bytes written (WAL frames and their
// checkpoints: this process's `wchar`) and CPU (process.cpuUsage(): the statements, the commits and the
// checkpoints all run on this thread) per PATCH, on the --scale database (100,000 groups, 1,000,000
// policy IDs) seeded with 1,000,000 audit entries and with none; 100 of the groups patched, 64 requests
// in flight. Prints each figure and the with-history / without-history ratio (docs/performance.md, "The
// 1,000,000-entry history"; issue 10 asks for at most 1.2×). CPU varies with the machine's load: take
// the median of the rounds' ratios.
//   npx tsx bench/history-cost.ts [--groups 100000] [--audit 1000000] [--patches 5000] [--rounds 3]
// Each seeded database is kept as a template under $TMPDIR/ringmaster-history-cost and copied for every
// run (a template seeded by an older schema is migrated when the copy is opened).
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import { createTestApp, groupUrl } from '../test/support/app.ts';
import { seedSqliteScale } from './lib/fixture.ts';

const { values } = parseArgs({
  options: {
    groups: { type: 'string', default: '100000' },
    audit: { type: 'string', default: '1000000' },
    patches: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
  },
});
const GROUPS = Number(values.groups);
const AUDIT = Number(values.audit);
const PATCHES = Number(values.patches);
const ROUNDS = Number(values.rounds);
const IN_FLIGHT = 64;
const PATCHED = 100;
const templates = join(tmpdir(), 'ringmaster-history-cost');

/** The seeded template for `audit` entries, and the ids of PATCHED of its groups (spread over them). */
async function template(audit: number): Promise<{ path: string; ids: string[] }> {
  const path = join(templates, `${GROUPS}-${audit}.db`);
  const idsPath = `${path}.ids.json`;
  if (!existsSync(path)) {
    mkdirSync(templates, { recursive: true });
    const seeding = `${path}.seeding`;
    rmSync(seeding, { force: true });
    await openSqliteStore({ path: seeding }).close(); // migrated, empty
    const seed = seedSqliteScale(seeding, GROUPS, 10, audit);
    writeFileSync(idsPath, JSON.stringify(seed.sampleIds.slice(0, PATCHED)));
    renameSync(seeding, path);
  }
  return { path, ids: JSON.parse(readFileSync(idsPath, 'utf8')) as string[] };
}

interface Cost {
  bytes: number;
  cpuMicros: number;
}

/** Bytes and CPU per PATCH on a fresh copy of the template: after 2,000 PATCHes that warm the cache. */
async function measure(audit: number): Promise<Cost> {
  const { path, ids } = await template(audit);
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-history-cost-'));
  const copy = join(dir, 'ringmaster.db');
  copyFileSync(path, copy);
  const t = await createTestApp({ path: copy });
  let names = 0;
  const patches = async (count: number) => {
    let next = 0;
    const writer = async () => {
      while (next < count) {
        const id = ids[next++ % ids.length] as string;
        const answer = await t.request({ method: 'PATCH', url: groupUrl(id), body: { name: `n${names++}` } });
        if (answer.statusCode !== 200) throw new Error(answer.body);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
  };
  const written = () => Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  await patches(2_000);
  const bytes = written();
  const cpu = process.cpuUsage();
  await patches(PATCHES);
  const used = process.cpuUsage(cpu);
  const cost = { bytes: (written() - bytes) / PATCHES, cpuMicros: (used.user + used.system) / PATCHES };
  await t.close();
  return cost;
}

const fmt = (cost: Cost) => `${Math.round(cost.bytes)} bytes, ${cost.cpuMicros.toFixed(0)} µs CPU per PATCH`;
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
// A first run unmeasured: the JIT compiles the request path during whichever run comes first.
await measure(0);
const ratios: Cost[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // Interleaved, in turns first, so that the machine's load falls on both alike.
  let withHistory: Cost;
  let without: Cost;
  if (round % 2 === 1) {
    withHistory = await measure(AUDIT);
    without = await measure(0);
  } else {
    without = await measure(0);
    withHistory = await measure(AUDIT);
  }
  console.log(`round ${round}: ${AUDIT.toLocaleString('en')} entries: ${fmt(withHistory)}`);
  console.log(`round ${round}: no history: ${fmt(without)}`);
  const ratio = {
    bytes: withHistory.bytes / without.bytes,
    cpuMicros: withHistory.cpuMicros / without.cpuMicros,
  };
  ratios.push(ratio);
  console.log(
    `round ${round}: with / without: bytes ${ratio.bytes.toFixed(2)}×, CPU ${ratio.cpuMicros.toFixed(2)}×`,
  );
}
const bytes = median(ratios.map((r) => r.bytes));
const cpu = median(ratios.map((r) => r.cpuMicros));
console.log(`median of ${ROUNDS} rounds, with / without: bytes ${bytes.toFixed(2)}×, CPU ${cpu.toFixed(2)}×`);
