// The audit log on SQLite: writing an entry (chained by migration 007's trigger), and
// the audit list (docs/contract.md §8.2): the statement both backends share (../audit-query.ts), with `?`
// placeholders. Statements differ by the filters given, so the prepared ones are kept per text.
import type { Database, Statement } from 'better-sqlite3';
import type { AuditEntry, NewAuditEntry } from '../../audit/model.ts';
import { type AuditQuery, auditAddressesStatement, listAuditStatement } from '../audit-query.ts';
import { auditValues, type Row, toAuditEntry } from '../rows.ts';
import type { Statements } from './statements.ts';

/** Prepared statements kept, most recently used last; a filter combination past this is prepared again. */
const CACHED = 64;
const prepared = new WeakMap<Database, Map<string, Statement>>();

function prepare(db: Database, text: string): Statement {
  const cache = prepared.get(db) ?? new Map<string, Statement>();
  prepared.set(db, cache);
  const statement = cache.get(text) ?? db.prepare(text);
  cache.delete(text);
  cache.set(text, statement);
  if (cache.size > CACHED) cache.delete(cache.keys().next().value as string);
  return statement;
}

/** Inside a write: the entry (the same transaction as the change); migration 007's trigger chains it. */
export function insertAuditEntry(s: Statements, entry: NewAuditEntry): void {
  s.insertAudit.run(...auditValues(entry));
}

export function listAuditEntries(db: Database, query: AuditQuery): AuditEntry[] {
  const { text, values } = listAuditStatement(query, () => '?');
  return (prepare(db, text).all(...values) as Row[]).map(toAuditEntry);
}

export function listAuditAddresses(db: Database, scope: AuditQuery['scope']): string[] {
  const { text, values } = auditAddressesStatement(scope, () => '?');
  return (prepare(db, text).all(...values) as { actor_ip: string }[]).map((row) => row.actor_ip);
}
