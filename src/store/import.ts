// `importRecords`, backend-neutral: when a store may be imported into, and records fed to a backend in
// batches of one type (SQLite writes them row by row, PostgreSQL a batch per statement).
import type {
  AuditRecord,
  BackupRecord,
  CredentialRecord,
  GroupRecord,
  IdempotencyKeyRecord,
  RolloutRecord,
} from './backup.ts';
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
  auditEntries(batch: AuditRecord[]): unknown;
  idempotencyKeys(batch: IdempotencyKeyRecord[]): unknown;
  rollouts(batch: RolloutRecord[]): unknown;
}

/** Passes `records` to `write` in batches of at most `size` records of one type, and counts them. */
export async function importInBatches(
  records: AsyncIterable<BackupRecord>,
  size: number,
  write: BatchWriter,
): Promise<ImportCounts> {
  const groups = new Batch<GroupRecord>(size, (batch) => write.groups(batch));
  const credentials = new Batch<CredentialRecord>(size, (batch) => write.credentials(batch));
  const entries = new Batch<AuditRecord>(size, (batch) => write.auditEntries(batch));
  const keys = new Batch<IdempotencyKeyRecord>(size, (batch) => write.idempotencyKeys(batch));
  const rollouts = new Batch<RolloutRecord>(size, (batch) => write.rollouts(batch));
  for await (const record of records) {
    if (record.type === 'deployment_group') await groups.add(record);
    else if (record.type === 'credential') await credentials.add(record);
    else if (record.type === 'audit_entry') await entries.add(record);
    else if (record.type === 'rollout') await rollouts.add(record);
    else await keys.add(record);
  }
  for (const batch of [groups, credentials, entries, keys, rollouts]) await batch.flush();
  return {
    deploymentGroups: groups.written,
    credentials: credentials.written,
    auditEntries: entries.written,
    idempotencyKeys: keys.written,
    rollouts: rollouts.written,
  };
}

class Batch<T> {
  private items: T[] = [];
  written = 0;

  constructor(
    private readonly size: number,
    private readonly write: (batch: T[]) => unknown,
  ) {}

  async add(item: T): Promise<void> {
    this.items.push(item);
    if (this.items.length === this.size) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.items.length === 0) return;
    await this.write(this.items);
    this.written += this.items.length;
    this.items = [];
  }
}
