// SQLite's errors, classified: "the storage cannot serve now" (503) versus "this request is wrong", and
// the failures of opening a database file, explained with the path and what to do about them.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../store.ts';

/** SQLite result codes that mean "the storage cannot serve now", not "this request is wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|PROTOCOL|NOMEM)/;

export function translate(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) return new StoreUnavailableError(error);
  return error;
}

/**
 * Why `path` could not be opened (or migrated), in words an operator can act on. SQLite's own messages
 * ("unable to open database file", "attempt to write a readonly database", "file is not a database")
 * name neither the file nor the cause.
 */
export function explainOpenError(error: unknown, path: string): Error {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const reason = error instanceof Error ? error.message : String(error);
  const directory = dirname(path);
  const sidecars = `SQLite also creates ${path}-wal and ${path}-shm next to it`;
  let advice: string;
  if (/^(EACCES|EPERM|EROFS|ENOTDIR|EEXIST)$/.test(code)) {
    advice = `cannot create its directory ${directory} (${reason}); create it, or choose another DATABASE_URL`;
  } else if (code.startsWith('SQLITE_CANTOPEN') && isDirectory(path)) {
    advice = `${path} is a directory; DATABASE_URL must name a file, e.g. sqlite:${path}/ringmaster.db`;
  } else if (code.startsWith('SQLITE_CANTOPEN')) {
    advice = `${reason}: make the directory ${directory} and the file writable by the user running ringmaster (${sidecars})`;
  } else if (code.startsWith('SQLITE_READONLY')) {
    advice = `${reason}: the file or its directory is read-only for this process; make ${path} and ${directory} writable by the user running ringmaster (${sidecars})`;
  } else if (code === 'SQLITE_NOTADB') {
    advice = `${reason}: ${path} is not an SQLite database; DATABASE_URL must name a Ringmaster database, or a file that does not exist yet to create one`;
  } else if (code.startsWith('SQLITE_CORRUPT')) {
    advice = `${reason}: the file is damaged; restore it from a backup (docs/deployment.md)`;
  } else {
    advice = reason;
  }
  return new Error(`cannot open the SQLite database ${path}: ${advice}`, { cause: error });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
