import type { DatabaseConfig } from '../config.ts';
import { recordedMigrations as recordedPostgresMigrations } from './postgres/migrate.ts';
import { openPostgresStore } from './postgres/store.ts';
import { recordedMigrations as recordedSqliteMigrations } from './sqlite/migrate.ts';
import { lockForServer } from './sqlite/server-lock.ts';
import { openSqliteStore } from './sqlite/store.ts';
import type { Store } from './store.ts';

/** Opens the configured backend and brings its schema up to date. */
export async function openStore(database: DatabaseConfig): Promise<Store> {
  if (database.kind === 'sqlite') return openSqliteStore({ path: database.path });
  return openPostgresStore({ url: database.url, poolSize: database.poolSize });
}

/**
 * For `ringmaster serve`, before openStore: refuses to serve an SQLite file another server is serving
 * (held until the process ends). PostgreSQL takes any number of replicas, so there it does nothing.
 */
export function claimServerLock(database: DatabaseConfig): void {
  if (database.kind === 'sqlite') lockForServer(database.path);
}

/**
 * The migration versions a database has recorded, before opening it (for `ringmaster db migrate` to say
 * what it did): [] for a database that does not exist yet or has no schema. Any failure to look also
 * answers [] — opening the store right after reports it properly.
 */
export async function recordedMigrations(database: DatabaseConfig): Promise<number[]> {
  try {
    if (database.kind === 'sqlite') return recordedSqliteMigrations(database.path);
    return await recordedPostgresMigrations(database.url);
  } catch {
    return [];
  }
}
