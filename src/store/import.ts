// `importRecords`, backend-neutral: when a store may be imported into, and records fed to a backend in
// batches of one type (SQLite writes them row by row, PostgreSQL a batch per statement).
import type { BackupRecord, CredentialRecord, GroupRecord } from './backup.ts';
import { type ImportCounts, StoreNotEmptyError } from './store.ts';

/** Records per batch: bounds what an import holds in memory (and PostgreSQL's statement size). */
export const IMPORT_BATCH = 1_000;

/**
 * Whether the existing data must be wiped first. A store that holds groups or credentials is imported
 * into only when told to replace them (docs/deployment.md, "Backups").
 */
export function mustWipe(used: boolean, replace: boolean): boolean {
  if (used && !replace) throw new StoreNotEmptyError();
  return used;
}

export interface BatchWriter {
  groups(batch: GroupRecord[]): unknown;
  credentials(batch: CredentialRecord[]): unknown;
}

/** Passes `records` to `write` in batches of at most `size` records of one type, and counts them. */
export async function importInBatches(
  records: AsyncIterable<BackupRecord>,
  size: number,
  write: BatchWriter,
): Promise<ImportCounts> {
  const counts: ImportCounts = { deploymentGroups: 0, credentials: 0 };
  let groups: GroupRecord[] = [];
  let credentials: CredentialRecord[] = [];
  const flushGroups = async () => {
    if (groups.length > 0) await write.groups(groups);
    counts.deploymentGroups += groups.length;
    groups = [];
  };
  const flushCredentials = async () => {
    if (credentials.length > 0) await write.credentials(credentials);
    counts.credentials += credentials.length;
    credentials = [];
  };
  for await (const record of records) {
    if (record.type === 'deployment_group') {
      groups.push(record);
      if (groups.length === size) await flushGroups();
    } else {
      credentials.push(record);
      if (credentials.length === size) await flushCredentials();
    }
  }
  await flushGroups();
  await flushCredentials();
  return counts;
}
