// Export and import on SQLite (the format: src/store/backup.ts).
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
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
import { WIPE } from '../sql.ts';
import type { ImportCounts } from '../store.ts';
import { translate } from './errors.ts';
import { claimPolicies } from './policies.ts';
import { exportRollouts, importRollouts } from './rollouts.ts';
import { SQL, type Statements } from './statements.ts';

/**
 * Every group, then every credential, from one snapshot. A file is read through a second, read-only
 * connection inside one transaction: one consistent snapshot (WAL) for the whole export, while `db` goes
 * on writing. An in-memory database has no second connection; it is small by nature and read at once.
 */
export async function* exportRecords(db: Database): AsyncGenerator<BackupRecord> {
  const reader = db.memory ? db : new BetterSqlite3(db.name, { readonly: true, fileMustExist: true });
  try {
    if (reader !== db) reader.exec('BEGIN');
    const rows = (sql: string) => {
      const statement: Statement = reader.prepare(sql);
      return (reader === db ? statement.all() : statement.iterate()) as Iterable<Row>;
    };
    for (const row of rows(SQL.exportGroups)) yield toGroupRecord(row);
    for (const row of rows(SQL.exportCredentials)) yield toCredentialRecord(row);
    for (const row of rows(SQL.exportAudit)) yield toAuditRecord(row);
    for (const row of rows(SQL.exportIdempotencyKeys)) yield toIdempotencyRecord(row);
    yield* exportRollouts(reader);
  } catch (error) {
    throw translate(error);
  } finally {
    if (reader !== db) reader.close();
  }
}

/**
 * Writes `records` in one IMMEDIATE transaction on `db`, which must hold no other transaction: all of
 * them or, if anything fails, none.
 */
export async function importRecords(
  db: Database,
  s: Statements,
  records: AsyncIterable<BackupRecord>,
  replace: boolean,
): Promise<ImportCounts> {
  try {
    db.exec('BEGIN IMMEDIATE');
    if (mustWipe(s.isUsed.get() === 1, replace)) db.exec(WIPE);
    const counts = await importInBatches(records, IMPORT_BATCH, {
      groups(batch) {
        for (const group of batch) {
          s.insertGroup.run(...groupValues(group.account_id, group, group.revision));
          claimPolicies(s, group.account_id, group.id, group.policy_ids ?? []);
        }
      },
      credentials(batch) {
        for (const credential of batch) s.insertCredential.run(...credentialValues(credential));
      },
      auditEntries(batch) {
        // With its seq, so that order and cursors survive; AUTOINCREMENT continues after the largest.
        for (const { type: _, seq, ...entry } of batch) s.importAudit.run(seq, ...auditValues(entry));
      },
      idempotencyKeys(batch) {
        for (const { type: _, ...key } of batch) s.importIdempotencyKey.run(...idempotencyValues(key));
      },
      rollouts: (batch) => importRollouts(db, batch),
    });
    db.exec(SQL.rebuildAuditChain);
    db.exec('COMMIT');
    return counts;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw translate(error);
  }
}
