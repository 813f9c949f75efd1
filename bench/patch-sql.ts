// Where a durable PATCH's time in SQLite goes: the store's own statements and row/entry building, run as
// group commit runs them (groups of 57 writes, each in its savepoint, one COMMIT with its fsync), on 100
// groups, with no HTTP. Prints the main thread's wall time per write for each step and the process's CPU
// per write. Steps are timed one by one, so compare a step across builds, not the sum with a server's figure.
//   npx tsx bench/patch-sql.ts [groups of 57, default 400]          (docs/performance.md, "Stop 20")
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupEntry } from '../src/audit/entries.ts';
import type { AuditContext } from '../src/audit/model.ts';
import { formatTimestamp, nowNanos } from '../src/clock.ts';
import type { DeploymentGroup } from '../src/deployment-groups/model.ts';
import { auditValues, groupValues, type Row, toStoredGroup, updateValues } from '../src/store/rows.ts';
import { openSqliteDatabase } from '../src/store/sqlite/open.ts';
import { prepareStatements } from '../src/store/sqlite/statements.ts';

const GROUP_SIZE = 57; // what the bench's 64 connections make (docs/performance.md)
const groups = Number(process.argv[2] ?? 400);
const dir = mkdtempSync(join(tmpdir(), 'ringmaster-patch-sql-'));
const db = openSqliteDatabase(join(dir, 'ringmaster.db'));
const s = prepareStatements(db);
const account = 'a'.repeat(32);
const at = formatTimestamp(nowNanos());
const ids = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
for (const [i, id] of ids.entries()) {
  const group: DeploymentGroup = {
    id,
    name: `g${i}`,
    version_config: [{ target_environment: 'windows', version: '2025.1.1' }],
    policy_ids: [`p${i}a`, `p${i}b`],
    created_at: at,
    updated_at: at,
  } as DeploymentGroup;
  s.insertGroup.run(...groupValues(account, group));
}
const context = {
  actor_type: 'user',
  actor_id: 'credential',
  actor_name: 'bench',
  actor_email: null,
  actor_ip: '127.0.0.1',
  interface: 'API',
  ray_id: '0123456789abcdef',
  method: 'PATCH',
  uri: `/client/v4/accounts/${account}/devices/deployment-groups/id`,
  status: 200,
  user_agent: 'bench',
} as unknown as AuditContext;
const sql = {
  begin: db.prepare('BEGIN IMMEDIATE'),
  savepoint: db.prepare('SAVEPOINT request'),
  release: db.prepare('RELEASE request'),
  commit: db.prepare('COMMIT'),
};
const steps = ['savepoint', 'select', 'build', 'update', 'audit insert', 'release', 'begin + commit'];
const spent = new Map(steps.map((step) => [step, 0n]));
function timed<T>(step: string, run: () => T): T {
  const start = process.hrtime.bigint();
  const result = run();
  spent.set(step, (spent.get(step) ?? 0n) + process.hrtime.bigint() - start);
  return result;
}

let writes = 0;
const cpu = process.cpuUsage();
for (let g = 0; g < groups; g++) {
  const begin = process.hrtime.bigint();
  sql.begin.run();
  spent.set('begin + commit', (spent.get('begin + commit') ?? 0n) + process.hrtime.bigint() - begin);
  for (let w = 0; w < GROUP_SIZE; w++, writes++) {
    const id = ids[writes % ids.length] as string;
    timed('savepoint', () => sql.savepoint.run());
    const row = timed('select', () => s.get.get(id, account) as Row);
    const { update, entry } = timed('build', () => {
      const current = toStoredGroup(row);
      const next = { ...current.group, name: `n${writes}`, updated_at: formatTimestamp(nowNanos()) };
      const stored = { group: next, revision: current.revision + 1 };
      const entry = auditValues(groupEntry(account, { context }, 'update', current, stored));
      return { update: updateValues(next, stored.revision), entry };
    });
    timed('update', () => s.updateGroup.run(...update, id, account));
    timed('audit insert', () => s.insertAudit.run(...entry));
    timed('release', () => sql.release.run());
  }
  timed('begin + commit', () => sql.commit.run());
}
const used = process.cpuUsage(cpu);
db.close();
rmSync(dir, { recursive: true, force: true });
const perWrite = (ns: bigint) => (Number(ns) / 1000 / writes).toFixed(2);
console.log(`${writes} writes in groups of ${GROUP_SIZE}; main thread µs per write:`);
for (const step of steps) console.log(`  ${step.padEnd(15)} ${perWrite(spent.get(step) ?? 0n).padStart(6)}`);
console.log(`process CPU per write: ${((used.user + used.system) / writes).toFixed(1)} µs`);
