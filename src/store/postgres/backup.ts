// Export and import on PostgreSQL (the format: src/store/backup.ts), in batches of rows per round trip.
import type { PoolClient } from 'pg';
import type { BackupRecord } from '../backup.ts';
import { IMPORT_BATCH, importInBatches, mustWipe } from '../import.ts';
import {
  auditValues,
  credentialValues,
  groupValues,
  idempotencyValues,
  type Row,
  toAuditRecord,
  toCredentialRecord,
  toGroupRecord,
  toIdempotencyRecord,
} from '../rows.ts';
import { IS_USED, REBUILD_AUDIT_CHAIN, WIPE } from '../sql.ts';
import type { ImportCounts } from '../store.ts';
import { maintenance } from './migrate.ts';
import { pipeline } from './pipeline.ts';
import { claimImported } from './policies.ts';
import { exportRollouts, importRollouts } from './rollouts.ts';
import {
  exportAuditPage,
  exportCredentialsPage,
  exportGroupsPage,
  exportIdempotencyPage,
  IMPORT_AUDIT,
  IMPORT_CREDENTIALS,
  IMPORT_GROUPS,
  IMPORT_IDEMPOTENCY_KEYS,
  LOCK_FOR_IMPORT,
  NOTIFY_IMPORTED,
  RESTART_AUDIT_SEQ,
} from './statements.ts';

/** Rows per round trip when exporting. */
const EXPORT_BATCH = 1_000;

/**
 * Every group, then every credential, on `client`, from one snapshot however long the consumer takes,
 * without blocking writers. The caller ends the transaction (ROLLBACK) and releases the client.
 */
export async function* exportRecords(client: PoolClient): AsyncGenerator<BackupRecord> {
  await client.query(maintenance('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'));
  // The consumer may be slow (a pipe, a network copy): waiting on it is not being stuck.
  await client.query('SET LOCAL idle_in_transaction_session_timeout = 0');
  for await (const row of pages(client, exportGroupsPage, (r) => [r.account_id, r.created_at, r.id])) {
    yield toGroupRecord(row);
  }
  for await (const row of pages(client, exportCredentialsPage, (r) => [r.created_at, r.id])) {
    yield toCredentialRecord(row);
  }
  for await (const row of pages(client, exportAuditPage, (r) => [r.seq])) yield toAuditRecord(row);
  const keyOf = (r: Row) => [r.account_id, r.credential_id, r.key];
  for await (const row of pages(client, exportIdempotencyPage, keyOf)) yield toIdempotencyRecord(row);
  yield* exportRollouts(client);
}

/** Keyset pagination: each page starts after the last row of the one before (`keyOf`). */
async function* pages(
  client: PoolClient,
  statement: (after: boolean) => string,
  keyOf: (row: Row) => unknown[],
): AsyncGenerator<Row> {
  let last: Row | undefined;
  for (;;) {
    const values = last ? [EXPORT_BATCH, ...keyOf(last)] : [EXPORT_BATCH];
    const { rows } = await client.query<Row>(maintenance(statement(last !== undefined), values));
    yield* rows;
    last = rows.at(-1);
    if (rows.length < EXPORT_BATCH) return;
  }
}

/**
 * Writes `records` in one transaction on `client`: all of them or, if anything fails, none (the caller
 * rolls back). Writers on other replicas wait until it commits; readers do not.
 */
export async function importRecords(
  client: PoolClient,
  records: AsyncIterable<BackupRecord>,
  replace: boolean,
): Promise<ImportCounts> {
  // The records may arrive slowly (read from a pipe); waiting for them is not being stuck.
  await pipeline(client, ['BEGIN', 'SET LOCAL idle_in_transaction_session_timeout = 0']);
  // Taken before the emptiness check, so that nothing slips in between it and the import.
  await client.query(maintenance(LOCK_FOR_IMPORT));
  const { rows } = await client.query<{ used: boolean }>(IS_USED);
  if (mustWipe(rows[0]?.used === true, replace)) await client.query(maintenance(WIPE));
  const counts = await importInBatches(records, IMPORT_BATCH, {
    async groups(batch) {
      const values = batch.map((group) => groupValues(group.account_id, group, group.revision));
      await client.query(maintenance(IMPORT_GROUPS, columnsOf(values)));
      await claimImported(client, batch);
    },
    async credentials(batch) {
      await client.query(maintenance(IMPORT_CREDENTIALS, columnsOf(batch.map(credentialValues))));
    },
    async auditEntries(batch) {
      const values = batch.map(({ type: _, seq, ...entry }) => [seq, ...auditValues(entry)]);
      await client.query(maintenance(IMPORT_AUDIT, columnsOf(values)));
    },
    async idempotencyKeys(batch) {
      const values = batch.map(({ type: _, ...key }) => idempotencyValues(key));
      await client.query(maintenance(IMPORT_IDEMPOTENCY_KEYS, columnsOf(values)));
    },
    rollouts: (batch) => importRollouts(client, batch),
  });
  await client.query(maintenance(REBUILD_AUDIT_CHAIN));
  // New entries are numbered after the imported ones.
  await client.query(maintenance(RESTART_AUDIT_SEQ));
  await client.query(maintenance(NOTIFY_IMPORTED));
  await client.query(maintenance('COMMIT'));
  return counts;
}

/** Rows of values → one array per column, for `unnest`. */
function columnsOf(rows: unknown[][]): unknown[][] {
  const width = rows[0]?.length ?? 0;
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));
}
