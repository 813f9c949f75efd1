import { existsSync } from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { loadMigrations } from '../migrations.ts';

/**
 * Applies every migration not yet recorded, each in its own IMMEDIATE transaction (which takes the
 * write lock, so a CLI command and the server starting together apply each migration once).
 * Returns the versions it applied.
 */
export function migrate(db: Database): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of loadMigrations('sqlite')) {
    db.transaction(() => {
      if (isApplied.get(migration.version)) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
      applied.push(migration.version);
    }).immediate();
  }
  return applied;
}

/** The versions recorded in the database at `path`, without creating or changing it: [] if it has none. */
export function recordedMigrations(path: string): number[] {
  if (path === ':memory:' || !existsSync(path)) return [];
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").get();
    if (!table) return [];
    return db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
  } finally {
    db.close();
  }
}
