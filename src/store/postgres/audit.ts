// The audit list on PostgreSQL (docs/contract.md §8.2): the statement both backends share (../audit-query.ts),
// with `$n` placeholders.
import type { QueryConfig } from 'pg';
import type { AuditEntry } from '../../audit/model.ts';
import { type AuditQuery, auditAddressesStatement, listAuditStatement } from '../audit-query.ts';
import { type Row, toAuditEntry } from '../rows.ts';

type Run = <R extends Row>(config: QueryConfig) => Promise<{ rows: R[] }>;

export async function listAuditEntries(run: Run, query: AuditQuery): Promise<AuditEntry[]> {
  const { rows } = await run<Row>(listAuditStatement(query, (n) => `$${n}`));
  return rows.map(toAuditEntry);
}

export async function listAuditAddresses(run: Run, scope: AuditQuery['scope']): Promise<string[]> {
  const { rows } = await run<{ actor_ip: string }>(auditAddressesStatement(scope, (n) => `$${n}`));
  return rows.map((row) => row.actor_ip);
}
