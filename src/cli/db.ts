// `ringmaster db migrate | export | import`: schema upgrades and moving an installation between
// databases (SQLite ⇄ PostgreSQL) through the JSONL backup format of src/store/backup.ts.
import { createInterface } from 'node:readline';
import { type DatabaseConfig, loadConfig, redactUrl } from '../config.ts';
import {
  BackupFormatError,
  type BackupRecord,
  backupHeader,
  backupTrailer,
  countRecord,
  emptyCounts,
  formatRecord,
  parseBackup,
} from '../store/backup.ts';
import { loadMigrations } from '../store/migrations.ts';
import { openStore, recordedMigrations } from '../store/open.ts';
import { PolicyConflictError, type Store, StoreNotEmptyError } from '../store/store.ts';
import type { Parsed } from './commands.ts';
import { UsageError } from './usage.ts';

/** Records between two progress lines on stderr. */
export const PROGRESS_EVERY = 10_000;
/** Bytes of output gathered before each write to stdout. */
const CHUNK = 64 * 1024;

/** Opening a store applies every pending migration; what was recorded before tells what it did. */
export async function migrate(): Promise<void> {
  const { database } = loadConfig();
  const before = await recordedMigrations(database);
  const store = await openStore(database);
  await store.close();
  const applied = loadMigrations(database.kind)
    .map((m) => m.version)
    .filter((version) => !before.includes(version));
  const where = describe(database);
  if (before.length === 0) {
    process.stderr.write(
      `Database ${where} was empty: applied the schema (${plural(applied.length, 'migration')}); it is up to date.\n`,
    );
  } else if (applied.length > 0) {
    process.stderr.write(`Database ${where}: applied migration ${applied.join(', ')}; it is up to date.\n`);
  } else {
    process.stderr.write(`Database ${where} is up to date; nothing to apply.\n`);
  }
}

/** `1 deployment group`, `2 deployment groups`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** Writes every record to stdout, one JSON line each, between the header and the trailer. */
export async function exportBackup(): Promise<void> {
  const { database } = loadConfig();
  const counts = await withStore(database, async (store) => {
    const counts = emptyCounts();
    let chunk = `${backupHeader()}\n`;
    for await (const record of withProgress(store.exportRecords(), 'exported')) {
      countRecord(counts, record);
      chunk += `${formatRecord(record)}\n`;
      if (chunk.length >= CHUNK) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(`${chunk}${backupTrailer(counts)}\n`);
    return counts;
  });
  process.stderr.write(
    `Exported ${plural(counts.deploymentGroups, 'deployment group')}, ${plural(counts.credentials, 'credential')} and ${plural(counts.auditEntries, 'audit entry', 'audit entries')} from ${describe(database)}.
`,
  );
}

/** Reads a backup from stdin and writes it in one transaction: all of it or, on any problem, nothing. */
export async function importBackup({ values }: Parsed): Promise<void> {
  const replace = values.replace === true;
  if (process.stdin.isTTY) {
    throw new UsageError('db import reads a backup from stdin: ringmaster db import < backup.jsonl');
  }
  const { database, targetEnvironments } = loadConfig();
  const counts = await withStore(database, async (store) => {
    try {
      const records = parseBackup(linesOf(process.stdin), { targetEnvironments });
      return await store.importRecords(withProgress(records, 'read'), { replace });
    } catch (error) {
      throw explainImportFailure(error);
    }
  });
  process.stderr.write(
    `Imported ${plural(counts.deploymentGroups, 'deployment group')}, ${plural(counts.credentials, 'credential')} and ${plural(counts.auditEntries, 'audit entry', 'audit entries')} into ${describe(database)}.
`,
  );
}

/**
 * The input's lines, read only once the consumer asks for the first: readline emits lines whether or
 * not anyone listens, so an interface opened before the store is ready (migrations, a transaction to
 * begin) would drop them.
 */
async function* linesOf(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    yield* lines;
  } finally {
    lines.close();
  }
}

function explainImportFailure(error: unknown): unknown {
  if (error instanceof StoreNotEmptyError) {
    return new Error(
      `${error.message}; nothing was imported. Use --replace to delete what it holds and import instead`,
    );
  }
  if (error instanceof BackupFormatError)
    return new Error(`the backup is invalid, nothing was imported: ${error.message}`);
  if (error instanceof PolicyConflictError) {
    const which = error.conflicts.map((c) => `${c.policyId} (owned by ${c.groupId})`).join(', ');
    return new Error(`the backup gives policy IDs to more than one group, nothing was imported: ${which}`);
  }
  if (error instanceof Error) return new Error(`nothing was imported: ${error.message}`, { cause: error });
  return error;
}

async function withStore<T>(database: DatabaseConfig, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(database);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Passes records through, printing a line on stderr every PROGRESS_EVERY of them. */
async function* withProgress(
  records: AsyncIterable<BackupRecord>,
  verb: string,
): AsyncGenerator<BackupRecord> {
  let count = 0;
  for await (const record of records) {
    yield record;
    if (++count % PROGRESS_EVERY === 0) process.stderr.write(`… ${verb} ${count} records\n`);
  }
}

/** Writes to stdout and waits until the chunk is handed to the OS (the process exits right after). */
function write(chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

function describe(database: DatabaseConfig): string {
  return database.kind === 'sqlite' ? `${database.path} (sqlite)` : `${redactUrl(database.url)} (postgres)`;
}
