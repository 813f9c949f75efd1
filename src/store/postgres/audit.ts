// The audit log on PostgreSQL: writing an entry (chained by migration 007's trigger),
// and the audit list (docs/contract.md §8.2): the statement both backends share (../audit-query.ts), with `$n`
// placeholders.
import type { QueryConfig } from 'pg';
import type { AuditEntry, NewAuditEntry } from '../../audit/model.ts';
import { type AuditQuery, auditAddressesStatement, listAuditStatement } from '../audit-query.ts';
import { auditValues, type Row, toAuditEntry } from '../rows.ts';
import { SQL } from './statements.ts';

type Run = <R extends Row>(config: QueryConfig) => Promise<{ rows: R[] }>;

/** The entry, for the change's own transaction; migration 007's trigger chains it. */
export function auditInsert(entry: NewAuditEntry): QueryConfig {
  return { ...SQL.insertAudit, values: auditValues(entry) };
}

export async function listAuditEntries(run: Run, query: AuditQuery): Promise<AuditEntry[]> {
  const { rows } = await run<Row>(listAuditStatement(query, (n) => `$${n}`));
  return rows.map(toAuditEntry);
}

export async function listAuditAddresses(run: Run, scope: AuditQuery['scope']): Promise<string[]> {
  const { rows } = await run<{ actor_ip: string }>(auditAddressesStatement(scope, (n) => `$${n}`));
  return rows.map((row) => row.actor_ip);
}
