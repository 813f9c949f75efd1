// Each resource's audit entries as a chain from its head (migration 007, docs/decisions/0011-change-control.md,
// "The history chain"): a group's history, read along the chain, is exactly its entries newest first — on
// both backends, page by page with its total — after retention prunes the oldest part of chains, after an
// export and import into another store, and after migration 007 on a database written by 001–006. Since
// migration 008 a live group's head is in its row and every other head in audit_other_heads: the view
// audit_heads must show both as 007's table did, across deletes and restores, and take the previous
// version's writes (a rolling upgrade).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { COMMAND_LINE } from '../src/audit/context.ts';
import type { NewAuditEntry } from '../src/audit/model.ts';
import type { DeploymentGroup } from '../src/deployment-groups/model.ts';
import type { BackupRecord } from '../src/store/backup.ts';
import { loadMigrations } from '../src/store/migrations.ts';
import { openPostgresStore } from '../src/store/postgres/store.ts';
import { AUDIT_COLUMNS, auditValues } from '../src/store/rows.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import type { Audit, Store, StoredGroup } from '../src/store/store.ts';
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

async function assertHistories(store: Store, written: NewAuditEntry[], what: string, backend: Backend) {
  for (const [groupId, account] of [...GROUPS.map((g) => [g, ACCOUNT]), ['g-a', OTHER_ACCOUNT]] as const) {
    const want = expected(written, groupId, account);
    const got = await history(store, groupId, account);
    assert.deepEqual(got.ids, want, `${what}: history of ${groupId} in ${account}`);
    assert.deepEqual(got.totals, [want.length], `${what}: total of ${groupId} in ${account}`);
  }
  await assertHeads(backend, store, what);
}

/**
 * The view audit_heads against the log, as 007's table held them (a head of entries all pruned keeps its
 * seq, with 0 entries), and each head in its one place (migration 008): no live group's in the table.
 */
async function assertHeads(backend: Backend, store: Store, what: string) {
  const key = 'account_id, resource_type, resource_id';
  const text = (rows: Record<string, unknown>[]) =>
    rows.map((r) => `${r.account_id} ${r.resource_type} ${r.resource_id} ${r.seq} ${r.entries}`);
  assert.deepEqual(
    text(
      await backend.exec(
        store,
        `SELECT ${key}, seq, entries FROM audit_heads WHERE entries > 0 ORDER BY ${key}`,
      ),
    ),
    text(
      await backend.exec(
        store,
        `SELECT coalesce(account_id, '') AS account_id, resource_type, resource_id, max(seq) AS seq, count(*) AS entries
         FROM audit_log GROUP BY coalesce(account_id, ''), resource_type, resource_id ORDER BY ${key}`,
      ),
    ),
    `${what}: audit_heads against the log`,
  );
  const [misplaced] = await backend.exec(
    store,
    `SELECT count(*) AS n FROM audit_other_heads AS h JOIN deployment_groups AS g
       ON g.id = h.resource_id AND g.account_id = h.account_id WHERE h.resource_type = 'deployment_group'`,
  );
  assert.equal(Number(misplaced?.n), 0, `${what}: live groups' heads in audit_other_heads`);
}

interface Backend {
  name: string;
  /** A store on a new database; `upTo` applies migrations only that far, and writes `old` as they did. */
  open(options?: {
    upTo: number;
    old: NewAuditEntry[];
    groups?: string[];
  }): Promise<{ store: Store; close(): Promise<void> }>;
  /** Appends entries the way the store writes them (test/support/audit.ts). */
  insert(store: Store, entries: NewAuditEntry[]): Promise<void>;
  /** Runs `sql` (one statement, or several without parameters) on the store's database; the rows of the last. */
  exec(store: Store, sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
}

/** audit_log's insert before migration 007: the columns alone. */
const OLD_INSERT = (p: (n: number) => string) =>
  `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map((_, i) => p(i + 1)).join(', ')})`;

/** A group's row as 001–007 write it (the columns they all have), in account $2. */
const INSERT_GROUP = (p: (n: number) => string) =>
  `INSERT INTO deployment_groups (id, account_id, name, version_config, policy_ids, created_at, updated_at)
   VALUES (${p(1)}, ${p(2)}, 'g', '[]', NULL, '2026-03-01T00:00:00.000000000Z', '2026-03-01T00:00:00.000000000Z')`;

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
      for (const id of options.groups ?? []) db.prepare(INSERT_GROUP(() => '?')).run(id, ACCOUNT);
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
  async exec(store, sql, values) {
    const db = new BetterSqlite3(paths.get(store) as string);
    try {
      if (values === undefined && !/^\s*(SELECT|WITH)/i.test(sql)) {
        db.exec(sql);
        return [];
      }
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all(...(values ?? [])) as Record<string, unknown>[];
      statement.run(...(values ?? []));
      return [];
    } finally {
      db.close();
    }
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
        for (const id of options.groups ?? [])
          await client.query(
            INSERT_GROUP((n) => `$${n}`),
            [id, ACCOUNT],
          );
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
  async exec(store, sql, values) {
    return withClient(urls.get(store) as string, async (client) => {
      const result = await client.query(sql, values);
      const last = Array.isArray(result) ? result.at(-1) : result;
      return last?.rows ?? [];
    });
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

/** Rows for groups of ACCOUNT, written straight (their entries come from entries()). */
async function liveGroups(backend: Backend, store: Store, ids: string[]): Promise<void> {
  const p = backend === sqlite ? () => '?' : (n: number) => `$${n}`;
  for (const id of ids) await backend.exec(store, INSERT_GROUP(p), [id, ACCOUNT]);
}

/** A group as the API writes it. */
function group(id: string): DeploymentGroup {
  const at = '2026-03-01T00:00:00.000000000Z';
  const version_config = [{ target_environment: 'windows', version: '2026.6.822.0' }];
  return { id, name: id, version_config, policy_ids: null, created_at: at, updated_at: at };
}

const AUDIT: Audit = { context: COMMAND_LINE };

// The previous version's (007's) statements on audit_heads, word for word: during a rolling upgrade its
// replicas go on sending them after migration 008 made audit_heads a view (docs/deployment.md).
const V007_UNCOUNT = (
  pruned: string,
) => `UPDATE audit_heads SET entries = audit_heads.entries - pruned.entries FROM (
      SELECT coalesce(account_id, '') AS account_id, resource_type, resource_id, count(*) AS entries FROM ${pruned}
      GROUP BY coalesce(account_id, ''), resource_type, resource_id) AS pruned
    WHERE audit_heads.account_id = pruned.account_id AND audit_heads.resource_type = pruned.resource_type
      AND audit_heads.resource_id = pruned.resource_id`;
const V007_PRUNED = (p: (n: number) => string) =>
  `at < ${p(1)} AND seq IN (SELECT seq FROM audit_log ORDER BY seq LIMIT ${p(2)})`;
const V007_PG_PRUNE = `WITH gone AS (DELETE FROM audit_log WHERE ${V007_PRUNED((n) => `$${n}`)} RETURNING account_id, resource_type, resource_id),
      uncounted AS (${V007_UNCOUNT('gone')})
      SELECT count(*) AS pruned FROM gone`;
const V007_REBUILD = `UPDATE audit_log SET previous_seq = chained.previous_seq FROM (
    SELECT seq, lag(seq) OVER (PARTITION BY coalesce(account_id, ''), resource_type, resource_id ORDER BY seq) AS previous_seq
    FROM audit_log) AS chained
  WHERE audit_log.seq = chained.seq AND chained.previous_seq IS NOT NULL;
DELETE FROM audit_heads;
INSERT INTO audit_heads (account_id, resource_type, resource_id, seq, entries)
  SELECT coalesce(account_id, ''), resource_type, resource_id, max(seq), count(*) FROM audit_log
  GROUP BY coalesce(account_id, ''), resource_type, resource_id`;
const V007_LOCK =
  'LOCK TABLE deployment_groups, policy_owners, credentials, audit_log, audit_heads, idempotency_keys, rollouts, rollout_stages IN EXCLUSIVE MODE';

/** 007's retention batch: its uncount through audit_heads, and the delete (on PostgreSQL, one statement). */
async function prune007(backend: Backend, store: Store, before: string, limit: number): Promise<void> {
  if (backend === postgres) {
    await backend.exec(store, V007_PG_PRUNE, [before, limit]);
    return;
  }
  await backend.exec(store, V007_UNCOUNT(`audit_log WHERE ${V007_PRUNED(() => '?')}`), [before, limit]);
  await backend.exec(store, `DELETE FROM audit_log WHERE ${V007_PRUNED(() => '?')}`, [before, limit]);
}

for (const backend of POSTGRES_URL ? [sqlite, postgres] : [sqlite]) {
  describe(`the audit chain on ${backend.name}`, () => {
    test('a history is its entries newest first, page by page, and goes on past a prune of its oldest part', async () => {
      const { store, close } = await backend.open();
      try {
        // g-a and g-b live (heads in their rows), g-c and g-d deleted or never created (in the table).
        await liveGroups(backend, store, ['g-a', 'g-b']);
        const written = entries();
        await backend.insert(store, written);
        await assertHistories(store, written, 'as written', backend);
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
        await assertHistories(store, kept, 'after the prune', backend);
        const pruned = written.find((e) => e.resource_id === 'g-a' && e.account_id === ACCOUNT);
        assert.equal(await store.groupRevision(ACCOUNT, 'g-a', pruned?.revision as number), undefined);

        // New entries extend the pruned chains: the walk still stops where the prune cut them.
        const later = entries(12, 60);
        await backend.insert(store, later);
        await assertHistories(store, [...kept, ...later], 'after more entries', backend);
        // A chain pruned whole: its group starts over, with only the new entries.
        assert.equal(
          await store.pruneAuditLog('2027-01-01T00:00:00.000000000Z', 1000),
          kept.length + later.length,
        );
        await assertHistories(store, [], 'after pruning everything', backend);
        const fresh = entries(8, 100);
        await backend.insert(store, fresh);
        await assertHistories(store, fresh, 'after pruning everything and writing again', backend);
      } finally {
        await close();
      }
    });

    test('an import into another store keeps every history, and its chains go on', async () => {
      const source = await backend.open();
      const target = await backend.open();
      try {
        await liveGroups(backend, source.store, ['g-a', 'g-b']);
        await liveGroups(backend, target.store, ['g-c']);
        const written = entries();
        await backend.insert(source.store, written);
        await source.store.pruneAuditLog(written[5]?.at as string, 1000);
        const kept = written.slice(5);
        const records = await collect(source.store.exportRecords());
        // Into a store that had history of its own: replaced, chains and heads included.
        await backend.insert(target.store, entries(20, 200));
        await target.store.importRecords(replay(records), { replace: true });
        await assertHistories(target.store, kept, 'after the import', backend);
        const later = entries(10, 300);
        await backend.insert(target.store, later);
        await assertHistories(
          target.store,
          [...kept, ...later],
          'after the import and more entries',
          backend,
        );
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
        // the trigger alone must keep each entry's previous one — for a head in audit_other_heads (g-a,
        // no group row), by its lock; for a live group's head in its row (g-b), by moving it only if it is
        // still the one it read.
        const { store, close } = await backend.open();
        await liveGroups(backend, store, ['g-b']);
        const pool = new pg.Pool({ connectionString: urls.get(store), max: 8 });
        try {
          for (const groupId of ['g-a', 'g-b']) {
            const written = Array.from({ length: 8 }, (_, c) =>
              Array.from({ length: 15 }, (_, i) =>
                auditEntry({ resource_id: groupId, revision: c * 100 + i + 1 }),
              ),
            );
            await Promise.all(
              written.map((batch) =>
                insertPostgresAuditEntries((text, values) => pool.query(text, values), batch),
              ),
            );
            const got = await history(store, groupId);
            assert.deepEqual(got.totals, [120], groupId);
            assert.deepEqual(new Set(got.ids), new Set(written.flat().map((e) => e.id)), groupId);
            assert.equal(got.ids.length, 120, groupId);
          }
          await assertHeads(backend, store, 'after the race');
        } finally {
          await pool.end();
          await close();
        }
      });

    if (backend === postgres)
      test("a head moved or uncounted in a group's row announces no change of the group; a change does", async () => {
        // Migration 006's notification makes every replica refresh the account's version targets.
        const { store, close } = await backend.open();
        const listener = new pg.Client({ connectionString: urls.get(store) });
        const heard: string[] = [];
        try {
          await listener.connect();
          await listener.query('LISTEN ringmaster_groups');
          listener.on('notification', (n) => heard.push(n.payload ?? ''));
          // Notifications arrive in commit order: once a later one is heard, any earlier one has been.
          const heardAll = async (tag: string) => {
            await backend.exec(store, `SELECT pg_notify('ringmaster_groups', '${tag}')`);
            while (!heard.includes(tag)) await new Promise((resolve) => setImmediate(resolve));
            return heard.splice(0);
          };
          await liveGroups(backend, store, ['g-a']);
          assert.deepEqual(await heardAll('created'), [ACCOUNT, 'created']);
          await backend.insert(store, entries(20));
          assert.deepEqual(await heardAll('entries'), ['entries'], 'entries moved the head in the row');
          assert.equal(await store.pruneAuditLog('2027-01-01T00:00:00.000000000Z', 1000), 20);
          assert.deepEqual(await heardAll('pruned'), ['pruned'], 'a prune uncounted the row');
          await backend.exec(store, `UPDATE deployment_groups SET revision = revision + 1 WHERE id = 'g-a'`);
          assert.deepEqual(await heardAll('changed'), [ACCOUNT, 'changed']);
        } finally {
          await listener.end();
          await close();
        }
      });

    test("migration 008 moves live groups' heads into their rows and keeps every history and total", async () => {
      // Written by 001–007: live g-a and g-b, deleted g-c and g-d, g-a's entries in the other account,
      // credentials' entries (some for every account).
      const old = entries();
      const { store, close } = await backend.open({ upTo: 7, old, groups: ['g-a', 'g-b'] });
      try {
        await assertHistories(store, old, 'after migration 008', backend);
        const seqOf = (e: NewAuditEntry) => old.indexOf(e) + 1;
        const rows = await backend.exec(
          store,
          'SELECT id, audit_seq, audit_entries FROM deployment_groups ORDER BY id',
        );
        assert.deepEqual(
          rows.map((r) => `${r.id} ${r.audit_seq} ${r.audit_entries}`),
          ['g-a', 'g-b'].map((id) => {
            const own = old.filter((e) => e.account_id === ACCOUNT && e.resource_id === id);
            return `${id} ${seqOf(own.at(-1) as NewAuditEntry)} ${own.length}`;
          }),
          'live groups hold their heads',
        );
        const later = entries(10, 60);
        await backend.insert(store, later);
        await assertHistories(store, [...old, ...later], 'after migration 008 and more entries', backend);
        assert.equal(await store.pruneAuditLog(old[30]?.at as string, 1000), 30);
        const kept = [...old.slice(30), ...later];
        await assertHistories(store, kept, 'after migration 008 and a prune', backend);
        // A group deleted and written again (a restore) takes its head along, and back.
        await backend.exec(store, `DELETE FROM deployment_groups WHERE id = 'g-b'`);
        await assertHistories(store, kept, 'after g-b is deleted', backend);
        await liveGroups(backend, store, ['g-b', 'g-c']);
        await assertHistories(store, kept, 'after g-b is restored and g-c created again', backend);
        const last = entries(10, 70);
        await backend.insert(store, last);
        await assertHistories(store, [...kept, ...last], 'after more entries', backend);
      } finally {
        await close();
      }
    });

    test('a group deleted and restored keeps one chain and one total, pruned while deleted and while live', async () => {
      const { store, close } = await backend.open();
      try {
        const id = randomUUID();
        const rename = (name: string) => (current: StoredGroup) => ({ ...current.group, name });
        await store.createDeploymentGroup(ACCOUNT, group(id), AUDIT);
        await store.updateDeploymentGroup(ACCOUNT, id, rename('two'), AUDIT);
        await store.updateDeploymentGroup(ACCOUNT, id, rename('three'), AUDIT);
        assert.equal(await store.deleteDeploymentGroup(ACCOUNT, id, AUDIT), true);
        const far = '2100-01-01T00:00:00.000000000Z';
        assert.equal(await store.pruneAuditLog(far, 1), 1, 'the create pruned while the group is deleted');
        const deleted = await store.groupHistory(ACCOUNT, id, { limit: 10, offset: 0 });
        assert.deepEqual(
          deleted.entries.map((e) => e.action),
          ['delete', 'update', 'update'],
        );
        assert.equal(deleted.total, 3);
        const restored = await store.restoreDeploymentGroup(ACCOUNT, group(id), AUDIT);
        assert.equal(restored.revision, 5, "the restore continues the deleted group's revisions");
        await store.updateDeploymentGroup(ACCOUNT, id, rename('five'), AUDIT);
        assert.equal(await store.pruneAuditLog(far, 1), 1, 'the first update pruned while the group lives');
        const page = await store.groupHistory(ACCOUNT, id, { limit: 10, offset: 0 });
        assert.deepEqual(
          page.entries.map((e) => `${e.action} ${e.revision}`),
          ['update 6', 'revert 5', 'delete 4', 'update 3'],
        );
        assert.equal(page.total, 4);
        assert.equal((await store.groupRevision(ACCOUNT, id, 3))?.action, 'update');
        const [row] = await backend.exec(
          store,
          'SELECT audit_entries FROM deployment_groups WHERE id = $1'.replace(
            '$1',
            backend === sqlite ? '?' : '$1',
          ),
          [id],
        );
        assert.equal(Number(row?.audit_entries), 4);
        await assertHeads(backend, store, 'after the restore');
      } finally {
        await close();
      }
    });

    test("the previous version's statements on audit_heads still work after migration 008", async () => {
      const { store, close } = await backend.open();
      try {
        await liveGroups(backend, store, ['g-a', 'g-b']);
        const written = entries();
        await backend.insert(store, written);
        // Its retention: the uncount through the view, then (or with) the delete.
        await prune007(backend, store, written[25]?.at as string, 10);
        await prune007(backend, store, written[25]?.at as string, 1000);
        await assertHistories(store, written.slice(25), "after the previous version's prune", backend);
        // Its import's rebuild: empties audit_heads and fills it again.
        await backend.exec(store, V007_REBUILD);
        await assertHistories(store, written.slice(25), "after the previous version's rebuild", backend);
        if (backend === postgres) await backend.exec(store, `BEGIN; ${V007_LOCK}; COMMIT`);
        // And its wipe before an import.
        await backend.exec(store, 'DELETE FROM audit_log; DELETE FROM audit_heads');
        await assertHistories(store, [], "after the previous version's wipe", backend);
        const [left] = await backend.exec(
          store,
          'SELECT (SELECT count(*) FROM audit_other_heads) + (SELECT count(*) FROM deployment_groups WHERE audit_seq IS NOT NULL) AS n',
        );
        assert.equal(Number(left?.n), 0, 'no head left in either place');
      } finally {
        await close();
      }
    });

    test('migration 007 gives a database written by 001–006 the same histories', async () => {
      const old = entries();
      const { store, close } = await backend.open({ upTo: 6, old });
      try {
        await assertHistories(store, old, 'after migration 007', backend);
        const later = entries(10, 60);
        await backend.insert(store, later);
        await assertHistories(store, [...old, ...later], 'after migration 007 and more entries', backend);
        assert.equal(await store.pruneAuditLog(old[30]?.at as string, 1000), 30);
        await assertHistories(
          store,
          [...old.slice(30), ...later],
          'after migration 007 and a prune',
          backend,
        );
      } finally {
        await close();
      }
    });
  });
}
