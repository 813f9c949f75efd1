import type { DatabaseConfig } from '../config.ts';
import { openPostgresStore } from './postgres/store.ts';
import { openSqliteStore } from './sqlite/store.ts';
import type { Store } from './store.ts';

/** Opens the configured backend and brings its schema up to date. */
export async function openStore(database: DatabaseConfig): Promise<Store> {
  if (database.kind === 'sqlite') return openSqliteStore({ path: database.path });
  return openPostgresStore({ url: database.url, poolSize: database.poolSize });
}
