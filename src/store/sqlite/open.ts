// Opening the embedded database: one better-sqlite3 connection in WAL mode with synchronous=FULL, so
// every acknowledged write survives power loss (docs/decisions/0003-sqlite-durability.md), migrated.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { explainOpenError } from './errors.ts';
import { migrate } from './migrate.ts';

/**
 * Opens (creating it and its parent directories if need be) and migrates the database at `path`, or
 * ':memory:'. A failure names the path and what to do about it.
 */
export function openSqliteDatabase(path: string): Database {
  let db: Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Waiting for another process's write lock blocks the event loop, so wait briefly and answer 503 after.
    db.pragma('busy_timeout = 250');
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw explainOpenError(error, path);
  }
}
