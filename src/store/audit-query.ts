// The audit list query (docs/contract.md §8.2), written once for both backends: which entries (an account's,
// or every one), a time window, a filter, an order and a keyset or offset page, as one SQL statement. Each
// backend runs it with its own placeholders (sqlite/audit.ts, postgres/audit.ts). What the filter means in
// Cloudflare's terms is decided in src/audit/filters.ts; this module only renders a condition.
import type { AuditEntry } from '../audit/model.ts';
import { AUDIT_SELECTED, type Placeholder, selectAudit } from './sql.ts';

/** Columns a condition may test: audit_log's, by their model names (never text from a request). */
export type AuditColumn = Exclude<keyof AuditEntry, 'before' | 'after'>;

/**
 * A filter over entries, always true or false (never SQL's unknown): `in` is false for a NULL column, so
 * `not` of it keeps the entries without a value, as Cloudflare's `.not` filters do.
 */
export type AuditCondition =
  | { op: 'in'; column: AuditColumn; values: readonly (string | number)[] }
  | { op: 'null'; column: AuditColumn }
  | { op: 'and' | 'or'; conditions: readonly AuditCondition[] }
  | { op: 'not'; condition: AuditCondition }
  | { op: 'true' | 'false' };

export interface AuditQuery {
  /**
   * An account's entries, with or without those that concern every account (account_id NULL); or every
   * entry of the installation (the CLI).
   */
  scope: { accountId: string; withUnscoped: boolean } | 'all';
  /** `at` ≥ since and `at` < before (RFC 3339 with nine fractional digits, compared as text). */
  since?: string;
  before?: string;
  where?: AuditCondition;
  /** By seq: the order entries were written in. */
  direction: 'asc' | 'desc';
  /** Keyset paging: only entries past this seq in `direction`. */
  afterSeq?: number;
  offset?: number;
  limit: number;
}

export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * One statement for `query`. With `withUnscoped`, the account's entries and the unscoped ones are read as two
 * index-ordered branches (each LIMITed) merged by seq: `account_id = ? OR account_id IS NULL` would sort
 * every entry of the account for each page.
 */
export function listAuditStatement(query: AuditQuery, placeholder: Placeholder): Statement {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return placeholder(values.length);
  };
  const order = `ORDER BY seq ${query.direction === 'desc' ? 'DESC' : 'ASC'}`;
  const reach = query.limit + (query.offset ?? 0);
  const select = (scope: string | undefined) => {
    const conditions = [
      ...(scope === undefined ? [] : [scope]),
      ...(query.since === undefined ? [] : [`at >= ${param(query.since)}`]),
      ...(query.before === undefined ? [] : [`at < ${param(query.before)}`]),
      ...(query.afterSeq === undefined
        ? []
        : [`seq ${query.direction === 'desc' ? '<' : '>'} ${param(query.afterSeq)}`]),
      ...(query.where === undefined ? [] : [render(query.where, param)]),
    ];
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
    return `${selectAudit()}${where} ${order}`;
  };
  const page = (limit: number, offset: number | undefined) =>
    `LIMIT ${param(limit)}${offset ? ` OFFSET ${param(offset)}` : ''}`;

  if (query.scope === 'all' || !query.scope.withUnscoped) {
    const scope = query.scope === 'all' ? undefined : `account_id = ${param(query.scope.accountId)}`;
    return { text: `${select(scope)} ${page(query.limit, query.offset)}`, values };
  }
  const own = `${select(`account_id = ${param(query.scope.accountId)}`)} ${page(reach, undefined)}`;
  const unscoped = `${select('account_id IS NULL')} ${page(reach, undefined)}`;
  const text = `SELECT ${AUDIT_SELECTED} FROM (${own}) AS own UNION ALL SELECT ${AUDIT_SELECTED} FROM (${unscoped}) AS unscoped ${order} ${page(query.limit, query.offset)}`;
  return { text, values };
}

function render(condition: AuditCondition, param: (value: unknown) => string): string {
  switch (condition.op) {
    case 'true':
      return '(1 = 1)';
    case 'false':
      return '(1 = 0)';
    case 'null':
      return `(${condition.column} IS NULL)`;
    case 'in':
      if (condition.values.length === 0) return '(1 = 0)';
      return `(${condition.column} IS NOT NULL AND ${condition.column} IN (${condition.values.map(param).join(', ')}))`;
    case 'not':
      return `(NOT ${render(condition.condition, param)})`;
    case 'and':
    case 'or': {
      if (condition.conditions.length === 0) return condition.op === 'and' ? '(1 = 1)' : '(1 = 0)';
      const joined = condition.conditions
        .map((inner) => render(inner, param))
        .join(` ${condition.op.toUpperCase()} `);
      return `(${joined})`;
    }
  }
}

/** Distinct client addresses of the entries `scope` reads: a CIDR filter is matched against them in code. */
export function auditAddressesStatement(scope: AuditQuery['scope'], placeholder: Placeholder): Statement {
  if (scope === 'all')
    return { text: 'SELECT DISTINCT actor_ip FROM audit_log WHERE actor_ip IS NOT NULL', values: [] };
  const unscoped = scope.withUnscoped ? ' OR account_id IS NULL' : '';
  return {
    text: `SELECT DISTINCT actor_ip FROM audit_log WHERE (account_id = ${placeholder(1)}${unscoped}) AND actor_ip IS NOT NULL`,
    values: [scope.accountId],
  };
}

/** What `render` selects, for one entry in memory: the renderers label entries with the filters' conditions. */
export function matches(condition: AuditCondition, entry: AuditEntry): boolean {
  switch (condition.op) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return entry[condition.column] === null;
    case 'in': {
      const value = entry[condition.column];
      return value !== null && condition.values.includes(value);
    }
    case 'not':
      return !matches(condition.condition, entry);
    case 'and':
      return condition.conditions.every((inner) => matches(inner, entry));
    case 'or':
      return condition.conditions.some((inner) => matches(inner, entry));
  }
}
