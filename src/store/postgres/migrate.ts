import pg, { type Pool, type QueryConfig } from 'pg';
import { loadMigrations } from '../migrations.ts';

/**
 * The pool's query timeout is for requests (a few seconds). Schema changes, waiting for another
 * replica's migration, and the batches of an export or import may legitimately take much longer.
 */
export const MAINTENANCE_TIMEOUT_MS = 60 * 60 * 1000;

/** A statement run with the maintenance timeout instead of the request one. */
export function maintenance(text: string, values?: unknown[]): QueryConfig {
  // query_timeout per query is supported by pg (client.js) but missing from @types/pg's QueryConfig.
  return { text, values, query_timeout: MAINTENANCE_TIMEOUT_MS } as QueryConfig;
}

/**
 * The advisory lock every replica takes before looking at the schema ("RMMIGRAT" in ASCII). Advisory
 * locks are per database, so installations sharing one PostgreSQL server do not wait on each other.
 */
const MIGRATION_LOCK = '5930478053733458260';

/**
 * Applies every migration not yet recorded in schema_migrations, each in its own transaction, while
 * holding a session advisory lock: replicas starting together against an empty database queue on the
 * lock, the first applies the schema, the others find it recorded. Returns the versions it applied.
 */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  let broken: unknown;
  try {
    // Taken before CREATE TABLE IF NOT EXISTS too: that statement is not safe to run concurrently.
    await client.query(maintenance('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]));
    try {
      await client.query(
        maintenance(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`),
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const recorded = new Set(rows.map((row) => row.version));
      const applied: number[] = [];
      for (const migration of loadMigrations('postgres')) {
        if (recorded.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(maintenance(migration.sql));
          await client.query(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [migration.version, migration.name, new Date().toISOString()],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch((error: unknown) => {
        broken = error;
      });
    }
  } catch (error) {
    broken = error;
    throw error;
  } finally {
    // A connection that failed is closed rather than reused; closing it also drops the session lock.
    client.release(broken instanceof Error ? broken : undefined);
  }
}

/** The versions recorded in the database at `url`, without changing it: [] if it has none. */
export async function recordedMigrations(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ present: boolean }>(
      "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
    );
    if (!rows[0]?.present) return [];
    const versions = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    return versions.rows.map((row) => row.version);
  } finally {
    await client.end();
  }
}
