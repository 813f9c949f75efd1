// Audit entries written straight into a store's database, for the suites that read the audit trail: they
// need entries of every kind (a rollout, the operator on the database, a legacy key, the dashboard) at
// chosen times, which the write paths produce only one by one and at the present time.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { NewAuditEntry } from '../../src/audit/model.ts';
import { AUDIT_COLUMNS, auditValues } from '../../src/store/rows.ts';
import { ACCOUNT } from './accounts.ts';

/** An entry of a group change made with a token, through the API; `overrides` set the rest. */
export function auditEntry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    id: randomUUID(),
    account_id: ACCOUNT,
    at: '2026-07-01T12:00:00.000000000Z',
    action: 'update',
    resource_type: 'deployment_group',
    resource_id: randomUUID(),
    revision: 2,
    actor_type: 'user',
    actor_id: 'a'.repeat(32),
    actor_name: 'ci',
    actor_email: null,
    actor_ip: '10.1.2.3',
    interface: 'API',
    ray_id: '0123456789abcdef-LCL',
    method: 'PATCH',
    uri: `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups/x`,
    status: 200,
    user_agent: 'test',
    before: { name: 'before' },
    after: { name: 'after' },
    ...overrides,
  };
}

const INSERT = (placeholder: (n: number) => string) =>
  `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map((_, i) => placeholder(i + 1)).join(', ')})`;

/** Appends `entries`, in order, to the audit log of the SQLite database at `path` (a store may have it open). */
export function insertSqliteAuditEntries(path: string, entries: NewAuditEntry[]): void {
  const db = new Database(path);
  try {
    const insert = db.prepare(INSERT(() => '?'));
    db.transaction(() => {
      for (const entry of entries) insert.run(...auditValues(entry));
    })();
  } finally {
    db.close();
  }
}

/** Appends `entries`, in order, through `query` (a PostgreSQL connection to the store's database). */
export async function insertPostgresAuditEntries(
  query: (text: string, values: unknown[]) => Promise<unknown>,
  entries: NewAuditEntry[],
): Promise<void> {
  for (const entry of entries)
    await query(
      INSERT((n) => `$${n}`),
      auditValues(entry),
    );
}
