// One server per SQLite file (docs/decisions/0007-one-server-per-sqlite-file.md). Group commit, the
// credential cache and the busy timeout all assume that one process writes the file; a second server on
// it would not corrupt anything, but would answer 503s under load and surprise whoever started it. The
// admin commands (tokens, keys, db) do not take this lock, so they keep working next to a running server.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { explainOpenError } from './errors.ts';

/**
 * The locks this process holds, by database path. Referenced for the life of the process: a connection
 * that was garbage-collected would be closed, and its lock released with it.
 */
const held = new Map<string, Database>();

/** The companion file whose lock marks `path` as served: `<path>-server.lock`. */
export function serverLockPath(path: string): string {
  return `${path}-server.lock`;
}

/**
 * Takes the server lock of the database at `path` for the rest of this process's life, or throws naming
 * the file if another process holds it. The lock is an exclusive SQLite lock on the companion file (an
 * OS file lock underneath), so the operating system releases it when the process ends in any way, even
 * SIGKILL: no stale lock survives a crash.
 */
export function lockForServer(path: string): void {
  if (path === ':memory:' || held.has(path)) return;
  const lockPath = serverLockPath(path);
  let lock: Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    lock = new BetterSqlite3(lockPath, { timeout: 0 });
    lock.pragma('locking_mode = EXCLUSIVE');
    // Nothing is ever written: no journal file next to it.
    lock.pragma('journal_mode = MEMORY');
    // Takes the exclusive lock now and keeps it: the transaction is never committed, and never writes.
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock?.close();
    if (String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY')) {
      throw new Error(
        `another ringmaster server is already serving the SQLite database ${path} (it holds ${lockPath}). ` +
          'Run one server per SQLite file — use PostgreSQL for several (docs/deployment.md); ' +
          'the tokens, keys and db commands work next to a running server.',
      );
    }
    throw explainOpenError(error, lockPath);
  }
  held.set(path, lock);
}
