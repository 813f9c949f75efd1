// Each resource's audit entries as a chain from its head (migration 007, docs/decisions/0011-change-control.md,
// "The history chain"): a group's history, read along the chain, is exactly its entries newest first — on
// both backends, page by page with its total — after retention prunes the oldest part of chains, after an
// export and import into another store, and after migration 007 on a database written by 001–006.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { NewAuditEntry } from '../src/audit/model.ts';
import type { BackupRecord } from '../src/store/backup.ts';
import { loadMigrations } from '../src/store/migrations.ts';
import { openPostgresStore } from '../src/store/postgres/store.ts';
import { AUDIT_COLUMNS, auditValues } from '../src/store/rows.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import type { Store } from '../src/store/store.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { auditEntry, insertPostgresAuditEntries, insertSqliteAuditEntries } from './support/audit.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  reportPostgresSkipped,
  type TestDatabase,
  withClient,
} from './support/postgres.ts';

reportPostgresSkipped('audit chain (PostgreSQL)');

const GROUPS = ['g-a', 'g-b', 'g-c', 'g-d'];

/**
 * 60 entries, one a day from 2026-03-01: the groups' changes interleaved unevenly, g-a also in the other
 * account, and credential entries (some for every account: account_id NULL) between them.
 */
function entries(count = 60, firstDay = 0): NewAuditEntry[] {
  return Array.from({ length: count }, (_, k) => {
    const i = k + firstDay;
    const at = new Date(Date.UTC(2026, 2, 1 + i)).toISOString().replace('.000Z', '.000000000Z');
    if (i % 7 === 3)
      return auditEntry({
        at,
        account_id: i % 2 ? null : ACCOUNT,
        resource_type: 'api_token',
        resource_id: `cred-${i % 2}`,
        revision: null,
      });
    const group = GROUPS[(i * i) % GROUPS.length] as string;
    return auditEntry({
      at,
      account_id: i % 5 === 0 ? OTHER_ACCOUNT : ACCOUNT,
      resource_id: group,
      revision: i,
    });
  });
}

/** What a group's history must be: its entries of `account`, newest first (their ids). */
function expected(written: NewAuditEntry[], groupId: string, account = ACCOUNT): string[] {
  return written
    .filter(
      (e) => e.account_id === account && e.resource_type === 'deployment_group' && e.resource_id === groupId,
    )
    .map((e) => e.id)
    .reverse();
}

/** The group's whole history, read in pages of 4, and the total every page gave. */
async function history(store: Store, groupId: string, account = ACCOUNT) {
  const ids: string[] = [];
  const totals = new Set<number>();
  for (let offset = 0; ; offset += 4) {
    const page = await store.groupHistory(account, groupId, { limit: 4, offset });
    totals.add(page.total);
    ids.push(...page.entries.map((entry) => entry.id));
    if (page.entries.length < 4) break;
  }
  return { ids, totals: [...totals] };
}

async function assertHistories(store: Store, written: NewAuditEntry[], what: string) {
  for (const [groupId, account] of [...GROUPS.map((g) => [g, ACCOUNT]), ['g-a', OTHER_ACCOUNT]] as const) {
    const want = expected(written, groupId, account);
    const got = await history(store, groupId, account);
    assert.deepEqual(got.ids, want, `${what}: history of ${groupId} in ${account}`);
    assert.deepEqual(got.totals, [want.length], `${what}: total of ${groupId} in ${account}`);
  }
}

interface Backend {
  name: string;
  /** A store on a new database; `upTo` applies migrations only that far, and writes `old` as they did. */
  open(options?: { upTo: number; old: NewAuditEntry[] }): Promise<{ store: Store; close(): Promise<void> }>;
  /** Appends entries the way the store writes them (test/support/audit.ts). */
  insert(store: Store, entries: NewAuditEntry[]): Promise<void>;
}

/** audit_log's insert before migration 007: the columns alone. */
const OLD_INSERT = (p: (n: number) => string) =>
  `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map((_, i) => p(i + 1)).join(', ')})`;

const paths = new Map<Store, string>();
const sqlite: Backend = {
  name: 'sqlite',
  async open(options) {
    const dir = mkdtempSync(join(tmpdir(), 'ringmaster-chain-'));
    const path = join(dir, 'chain.db');
    if (options) {
      const db = new BetterSqlite3(path);
      db.exec(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      for (const migration of loadMigrations('sqlite').filter((m) => m.version <= options.upTo)) {
        db.exec(migration.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          'x',
        );
      }
      const insert = db.prepare(OLD_INSERT(() => '?'));
      for (const entry of options.old) insert.run(...auditValues(entry));
      db.close();
    }
    const store = openSqliteStore({ path });
    paths.set(store, path);
    return {
      store,
      async close() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async insert(store, written) {
    insertSqliteAuditEntries(paths.get(store) as string, written);
  },
};

let database: TestDatabase | undefined;
const urls = new Map<Store, string>();
const postgres: Backend = {
  name: 'postgres',
  async open(options) {
    database ??= await createTestDatabase();
    const url = await database.createSchema();
    if (options) {
      await withClient(url, async (client) => {
        await client.query(
          'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
        );
        for (const migration of loadMigrations('postgres').filter((m) => m.version <= options.upTo)) {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            'x',
          ]);
        }
        for (const entry of options.old)
          await client.query(
            OLD_INSERT((n) => `$${n}`),
            auditValues(entry),
          );
      });
    }
    const store = await openPostgresStore({ url });
    urls.set(store, url);
    return { store, close: () => store.close() };
  },
  async insert(store, written) {
    await withClient(urls.get(store) as string, (client) =>
      insertPostgresAuditEntries((text, values) => client.query(text, values), written),
    );
  },
};

after(async () => {
  await database?.drop();
});

async function collect(records: AsyncIterable<BackupRecord>): Promise<BackupRecord[]> {
  const all: BackupRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

async function* replay(records: BackupRecord[]): AsyncGenerator<BackupRecord> {
  yield* records;
}

for (const backend of POSTGRES_URL ? [sqlite, postgres] : [sqlite]) {
  describe(`the audit chain on ${backend.name}`, () => {
    test('a history is its entries newest first, page by page, and goes on past a prune of its oldest part', async () => {
      const { store, close } = await backend.open();
      try {
        const written = entries();
        await backend.insert(store, written);
        await assertHistories(store, written, 'as written');
        // A page past any end (the route's offset goes up to 2^53): empty, with the total.
        const far = await store.groupHistory(ACCOUNT, 'g-a', { limit: 100, offset: Number.MAX_SAFE_INTEGER });
        assert.deepEqual(far, { entries: [], total: expected(written, 'g-a').length });
        assert.equal((await store.groupRevision(ACCOUNT, 'g-b', 13))?.resource_id, 'g-b');

        // Everything before day 25: the oldest part of every chain, all of some (the credentials' cred-1
        // keeps entries; g-d's last entry is before the cut only if the pattern says so — checked below).
        const cut = written[25]?.at as string;
        assert.equal(await store.pruneAuditLog(cut, 10), 10, 'a batch takes at most its limit');
        assert.equal(await store.pruneAuditLog(cut, 1000), 15);
        const kept = written.slice(25);
        await assertHistories(store, kept, 'after the prune');
        const pruned = written.find((e) => e.resource_id === 'g-a' && e.account_id === ACCOUNT);
        assert.equal(await store.groupRevision(ACCOUNT, 'g-a', pruned?.revision as number), undefined);

        // New entries extend the pruned chains: the walk still stops where the prune cut them.
        const later = entries(12, 60);
        await backend.insert(store, later);
        await assertHistories(store, [...kept, ...later], 'after more entries');
        // A chain pruned whole: its group starts over, with only the new entries.
        assert.equal(
          await store.pruneAuditLog('2027-01-01T00:00:00.000000000Z', 1000),
          kept.length + later.length,
        );
        await assertHistories(store, [], 'after pruning everything');
        const fresh = entries(8, 100);
        await backend.insert(store, fresh);
        await assertHistories(store, fresh, 'after pruning everything and writing again');
      } finally {
        await close();
      }
    });

    test('an import into another store keeps every history, and its chains go on', async () => {
      const source = await backend.open();
      const target = await backend.open();
      try {
        const written = entries();
        await backend.insert(source.store, written);
        await source.store.pruneAuditLog(written[5]?.at as string, 1000);
        const kept = written.slice(5);
        const records = await collect(source.store.exportRecords());
        // Into a store that had history of its own: replaced, chains and heads included.
        await backend.insert(target.store, entries(20, 200));
        await target.store.importRecords(replay(records), { replace: true });
        await assertHistories(target.store, kept, 'after the import');
        const later = entries(10, 300);
        await backend.insert(target.store, later);
        await assertHistories(target.store, [...kept, ...later], 'after the import and more entries');
        // And the round trip gives the same records back.
        assert.deepEqual(
          (await collect(target.store.exportRecords()))
            .filter((r) => r.type === 'audit_entry')
            .slice(0, kept.length),
          records.filter((r) => r.type === 'audit_entry'),
        );
      } finally {
        await source.close();
        await target.close();
      }
    });

    if (backend === postgres)
      test('entries of one resource written at once from many connections all land on its chain', async () => {
        // No group row lock here (entries inserted straight, as a replica of another version might):
        // the trigger's lock on the head alone must keep each entry's previous one.
        const { store, close } = await backend.open();
        const pool = new pg.Pool({ connectionString: urls.get(store), max: 8 });
        try {
          const written = Array.from({ length: 8 }, (_, c) =>
            Array.from({ length: 15 }, (_, i) =>
              auditEntry({ resource_id: 'g-a', revision: c * 100 + i + 1 }),
            ),
          );
          await Promise.all(
            written.map((batch) =>
              insertPostgresAuditEntries((text, values) => pool.query(text, values), batch),
            ),
          );
          const got = await history(store, 'g-a');
          assert.deepEqual(got.totals, [120]);
          assert.deepEqual(new Set(got.ids), new Set(written.flat().map((e) => e.id)));
          assert.equal(got.ids.length, 120);
        } finally {
          await pool.end();
          await close();
        }
      });

    test('migration 007 gives a database written by 001–006 the same histories', async () => {
      const old = entries();
      const { store, close } = await backend.open({ upTo: 6, old });
      try {
        await assertHistories(store, old, 'after migration 007');
        const later = entries(10, 60);
        await backend.insert(store, later);
        await assertHistories(store, [...old, ...later], 'after migration 007 and more entries');
        assert.equal(await store.pruneAuditLog(old[30]?.at as string, 1000), 30);
        await assertHistories(store, [...old.slice(30), ...later], 'after migration 007 and a prune');
      } finally {
        await close();
      }
    });
  });
}
