// How the held version targets follow changes (docs/contract.md §8.4, src/version-targets/cache.ts): a
// change to some groups refreshes only those groups — creates, moves of a policy between groups, deletes
// and reverts — and the result equals a full load (same answers, same ETag); an import loads everything
// again. On SQLite through the store's own writes; on PostgreSQL through another replica's (a store on
// the same database with its own connections), as its notifications announce them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { COMMAND_LINE } from '../src/audit/context.ts';
import { now } from '../src/clock.ts';
import type { DeploymentGroup } from '../src/deployment-groups/model.ts';
import type { BackupRecord } from '../src/store/backup.ts';
import { openPostgresStore } from '../src/store/postgres/store.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import type { Audit, Store } from '../src/store/store.ts';
import { TargetsCache } from '../src/version-targets/cache.ts';
import { AccountTargets } from '../src/version-targets/resolution.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from './support/postgres.ts';

const AUDIT: Audit = { context: COMMAND_LINE };
/** The freshness bound of §8.4. */
const BOUND_MS = 1000;

interface Pair {
  /** Where the changes are written. */
  writer: Store;
  /** Whose cache follows them. */
  reader: Store;
  close(): Promise<void>;
}

const backends: { name: string; open(): Promise<Pair> }[] = [
  {
    name: 'sqlite (own writes)',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'ringmaster-refresh-'));
      const store = openSqliteStore({ path: join(dir, 'test.db') });
      return {
        writer: store,
        reader: store,
        async close() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];
if (POSTGRES_URL) {
  backends.push({
    name: 'postgres (another replica’s writes)',
    async open() {
      const database: TestDatabase = await createTestDatabase();
      const writer = await openPostgresStore({ url: database.url });
      const reader = await openPostgresStore({ url: database.url });
      return {
        writer,
        reader,
        async close() {
          await writer.close();
          await reader.close();
          await database.drop();
        },
      };
    },
  });
}

function group(policies: string[], version: string): DeploymentGroup {
  const timestamp = now();
  return {
    id: randomUUID(),
    name: `ring ${version}`,
    version_config: [{ target_environment: 'windows', version }],
    policy_ids: policies,
    created_at: timestamp,
    updated_at: timestamp,
  };
}

for (const backend of backends) {
  describe(`version targets refresh: ${backend.name}`, () => {
    let pair: Pair;
    let cache: TargetsCache;
    before(async () => {
      pair = await backend.open();
      cache = new TargetsCache(pair.reader);
      cache.start();
    });
    after(async () => {
      cache?.stop();
      await pair?.close();
    });

    /** Waits (≤ BOUND_MS) until every policy resolves as `expected` says, then compares with a full load. */
    async function settled(expected: Record<string, string | null>): Promise<void> {
      const started = performance.now();
      const answers = async () => {
        const targets = await cache.get(ACCOUNT);
        return Object.fromEntries(
          Object.keys(expected).map((p) => [p, targets.resolve(p, 'windows').target?.version ?? null]),
        );
      };
      let seen = await answers();
      while (JSON.stringify(seen) !== JSON.stringify(expected) && performance.now() - started < 3000) {
        await sleep(10);
        seen = await answers();
      }
      assert.deepEqual(seen, expected);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < BOUND_MS, `seen after ${Math.round(elapsed)} ms`);
      const held = await cache.get(ACCOUNT);
      const full = AccountTargets.load(await pair.writer.accountGroups(ACCOUNT));
      assert.equal(held.etag, full.etag, 'the same document as a full load');
      assert.equal(held.fingerprint, full.fingerprint);
      assert.equal(held.size, full.size);
      assert.deepEqual(
        held.groups.map((g) => [g.id, [...held.policies(g)]]),
        full.groups.map((g) => [g.id, [...full.policies(g)]]),
      );
    }

    it('applies creates, moves, deletes and reverts group by group, and an import by a full load', async () => {
      const [p1, p2, p3, p4] = ['p1', 'p2', 'p3', 'p4'].map((p) => `${p}-${randomUUID()}`) as string[];
      const { writer } = pair;
      const one = group([p1 as string, p2 as string], '1.0');
      await writer.createDeploymentGroup(ACCOUNT, one, AUDIT);
      await settled({ [p1 as string]: '1.0', [p2 as string]: '1.0', [p3 as string]: null });
      assert.equal(cache.refreshes.full, 1, 'the first use loads everything');

      const two = group([p3 as string], '2.0');
      await writer.createDeploymentGroup(ACCOUNT, two, AUDIT);
      await settled({ [p1 as string]: '1.0', [p2 as string]: '1.0', [p3 as string]: '2.0' });

      // p2 moves from one to two: released by one first, then claimed by two.
      const move = (id: string, policies: string[]) =>
        writer.updateDeploymentGroup(
          ACCOUNT,
          id,
          ({ group: current }) => ({ ...current, policy_ids: policies, updated_at: now() }),
          AUDIT,
        );
      await move(one.id, [p1 as string]);
      await move(two.id, [p3 as string, p2 as string, p4 as string]);
      await settled({
        [p1 as string]: '1.0',
        [p2 as string]: '2.0',
        [p3 as string]: '2.0',
        [p4 as string]: '2.0',
      });

      const deleted = (await writer.accountGroups(ACCOUNT)).find((g) => g.group.id === two.id);
      assert.ok(deleted);
      assert.equal(await writer.deleteDeploymentGroup(ACCOUNT, two.id, AUDIT), true);
      await settled({
        [p1 as string]: '1.0',
        [p2 as string]: null,
        [p3 as string]: null,
        [p4 as string]: null,
      });

      // A revert of the delete: the group comes back with its id, created_at and policies.
      await writer.restoreDeploymentGroup(ACCOUNT, { ...deleted.group, updated_at: now() }, AUDIT);
      await settled({
        [p1 as string]: '1.0',
        [p2 as string]: '2.0',
        [p3 as string]: '2.0',
        [p4 as string]: '2.0',
      });
      assert.equal(cache.refreshes.full, 1, 'no write since the first use loaded everything');
      // (Changes announced close together may be applied by one refresh.)
      assert.ok(cache.refreshes.incremental >= 1, `${cache.refreshes.incremental} group-by-group refreshes`);

      // An import restoring the same revisions with other contents: only a full load can see it.
      const records: BackupRecord[] = [];
      for await (const record of writer.exportRecords()) records.push(record);
      const edited = records.map(
        (r) => JSON.parse(JSON.stringify(r).replaceAll('"2.0"', '"2.9"')) as BackupRecord,
      );
      await writer.importRecords(
        (async function* () {
          yield* edited;
        })(),
        { replace: true },
      );
      await settled({
        [p1 as string]: '1.0',
        [p2 as string]: '2.9',
        [p3 as string]: '2.9',
        [p4 as string]: '2.9',
      });
      assert.equal(cache.refreshes.full, 2, 'the import loaded everything again');
    });

    it('packs again once the groups laid over the index hold more than 1/8 of the account', async () => {
      const account = OTHER_ACCOUNT;
      const policies = (g: string) => Array.from({ length: 1100 }, (_, i) => `${g}-${i}`);
      const groups = [group(policies('a'), '1.0'), group(policies('b'), '1.0')];
      for (const g of groups) await pair.writer.createDeploymentGroup(account, g, AUDIT);
      const fullBefore = cache.refreshes.full;
      assert.equal((await cache.get(account)).resolve('b-7', 'windows').target?.version, '1.0');
      for (const [i, g] of groups.entries()) {
        const version = `2.${i}`;
        await pair.writer.updateDeploymentGroup(
          account,
          g.id,
          ({ group: current }) => ({
            ...current,
            version_config: [{ target_environment: 'windows', version }],
            updated_at: now(),
          }),
          AUDIT,
        );
        let held = await cache.get(account);
        const started = performance.now();
        while (held.resolve(`${'ab'[i]}-7`, 'windows').target?.version !== version) {
          assert.ok(performance.now() - started < BOUND_MS, 'seen within the bound');
          await sleep(10);
          held = await cache.get(account);
        }
      }
      const held = await cache.get(account);
      assert.ok(cache.refreshes.full >= fullBefore + 2, 'first use, then packed again');
      assert.ok(held.overlaid <= 1100, `${held.overlaid} policies laid over the index`);
      assert.equal(held.etag, AccountTargets.load(await pair.writer.accountGroups(account)).etag);
    });
  });
}
