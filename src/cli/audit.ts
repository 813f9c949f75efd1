// `ringmaster audit list` (docs/contract.md §8.2): the audit trail read straight from the database, for the
// operator — every account's entries and those of credentials granting every account (which the API shows
// in each account's log), newest first, read in keyset pages so that any length streams in bounded memory.
import { ACCOUNT_ID } from '../accounts.ts';
import type { AuditEntry } from '../audit/model.ts';
import { formatTimestamp, parseDateOrDateTime } from '../clock.ts';
import { loadConfig } from '../config.ts';
import type { AuditQuery } from '../store/audit-query.ts';
import { openStore } from '../store/open.ts';
import type { Parsed } from './commands.ts';
import { table } from './table.ts';
import { UsageError } from './usage.ts';

export interface AuditListValues {
  account?: string;
  since?: string;
  before?: string;
  limit?: string;
  json?: boolean;
}

/** Entries read per query. */
const PAGE = 1000;

/** `audit list`, as the command table (commands.ts) parsed it. */
export async function list({ values }: Parsed): Promise<void> {
  await listAudit(values as AuditListValues);
}

async function listAudit(values: AuditListValues): Promise<void> {
  const query = auditQuery(values);
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : count(values.limit);
  const store = await openStore(loadConfig().database);
  const out = values.json ? jsonWriter() : tableWriter();
  try {
    let afterSeq: number | undefined;
    let written = 0;
    while (written < limit) {
      const take = Math.min(PAGE, limit - written);
      const entries = await store.listAuditEntries({ ...query, afterSeq, limit: take });
      out.write(entries);
      written += entries.length;
      if (entries.length < take) break;
      afterSeq = entries.at(-1)?.seq;
    }
  } finally {
    out.end();
    await store.close();
  }
}

function auditQuery(values: AuditListValues): Omit<AuditQuery, 'limit'> {
  if (values.account !== undefined && !ACCOUNT_ID.test(values.account)) {
    throw new UsageError(`--account must be 32 lowercase hex digits: ${values.account}`);
  }
  const since = instant('--since', values.since);
  const before = instant('--before', values.before);
  if (since !== undefined && before !== undefined && since >= before) {
    throw new UsageError('--before must be later than --since');
  }
  return {
    scope: values.account === undefined ? 'all' : { accountId: values.account, withUnscoped: true },
    since,
    before,
    direction: 'desc',
  };
}

function instant(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const nanos = parseDateOrDateTime(text);
  if (nanos === undefined) {
    throw new UsageError(`${flag} takes a date (2026-07-01, midnight UTC) or an RFC 3339 date-time: ${text}`);
  }
  return formatTimestamp(nanos < 0n ? 0n : nanos);
}

function count(text: string): number {
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new UsageError(`--limit takes a whole number from 1: ${text}`);
  return Number(text);
}

interface Writer {
  write(entries: AuditEntry[]): void;
  end(): void;
}

/** A JSON array of the stored entries (the model's field names), written as it is read. */
function jsonWriter(): Writer {
  let first = true;
  process.stdout.write('[');
  return {
    write(entries) {
      for (const entry of entries) {
        process.stdout.write(`${first ? '\n' : ',\n'}${JSON.stringify(entry)}`);
        first = false;
      }
    },
    end() {
      process.stdout.write(first ? ']\n' : '\n]\n');
    },
  };
}

const HEADER = ['TIME (UTC)', 'ACCOUNT', 'ACTOR', 'VIA', 'ACTION', 'RESOURCE', 'REVISION'];

/** One aligned table per page read (columns line up within a page of 1000). */
function tableWriter(): Writer {
  let rows = 0;
  return {
    write(entries) {
      if (entries.length === 0) return;
      process.stdout.write(table([...(rows === 0 ? [HEADER] : []), ...entries.map(row)]));
      rows += entries.length;
    },
    end() {
      if (rows === 0) process.stderr.write('No audit entries.\n');
    },
  };
}

function row(entry: AuditEntry): string[] {
  return [
    `${entry.at.slice(0, 19)}Z`,
    entry.account_id ?? 'all',
    actor(entry),
    entry.interface,
    entry.action,
    `${entry.resource_type} ${entry.resource_id}`,
    entry.revision === null ? '-' : String(entry.revision),
  ];
}

function actor(entry: AuditEntry): string {
  if (entry.actor_type === 'system') return entry.interface === 'rollout' ? 'ringmaster' : 'operator';
  const who = entry.actor_email ?? entry.actor_name ?? entry.actor_id ?? '?';
  return entry.actor_ip ? `${who} (${entry.actor_ip})` : who;
}
