// Both backends for suites that run the same tests against each store: SQLite always, in a temporary
// directory; PostgreSQL when RINGMASTER_TEST_POSTGRES_URL is set, in a new schema of one database per test
// file, dropped after the file. Each open() gives a fresh, empty, migrated store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/store.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from './postgres.ts';

export interface OpenedStore {
  store: Store;
  /** SQLite: the database file. */
  path?: string;
  /** PostgreSQL: the URL of the store's schema. */
  url?: string;
  /** Another store on the same database (another process, or another replica). */
  another(): Promise<Store>;
  close(): Promise<void>;
}

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStore>;
}

/** The backends this run tests; `prefix` names the SQLite directories (`ringmaster-<prefix>-…`). */
export function storeBackends(prefix: string): StoreBackend[] {
  const backends: StoreBackend[] = [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), `ringmaster-${prefix}-`));
        const path = join(dir, 'test.db');
        const store = openSqliteStore({ path });
        return {
          store,
          path,
          another: async () => openSqliteStore({ path }),
          async close() {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
  if (POSTGRES_URL) {
    let database: TestDatabase | undefined;
    after(async () => {
      await database?.drop();
    });
    backends.push({
      name: 'postgres',
      async open() {
        database ??= await createTestDatabase();
        const url = await database.createSchema();
        const store = await openPostgresStore({ url });
        return { store, url, another: () => openPostgresStore({ url }), close: () => store.close() };
      },
    });
  }
  return backends;
}
