import type { DatabaseConfig } from '../config.ts';
import { openPostgresStore } from './postgres/store.ts';
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
