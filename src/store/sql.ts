// SQL that both backends write the same way, apart from how a parameter is written (`?` in SQLite, `$n`
// in PostgreSQL). Each backend's statements.ts builds its statements from these.
import {
  AUDIT_COLUMNS,
  CREDENTIAL_COLUMNS,
  GROUP_COLUMNS,
  IDEMPOTENCY_COLUMNS,
  UPDATE_COLUMNS,
} from './rows.ts';

/** How a backend writes the parameter at 1-based `position`. */
export type Placeholder = (position: number) => string;

export function insertGroup(placeholder: Placeholder): string {
  return insert('deployment_groups', GROUP_COLUMNS, placeholder);
}

export function insertCredential(placeholder: Placeholder): string {
  return insert('credentials', CREDENTIAL_COLUMNS, placeholder);
}

/** `UPDATE … SET <UPDATE_COLUMNS> WHERE id = … AND account_id = …`, the key after the new values. */
export function updateGroup(placeholder: Placeholder): string {
  const set = UPDATE_COLUMNS.map((column, i) => `${column} = ${placeholder(i + 1)}`).join(', ');
  const next = UPDATE_COLUMNS.length + 1;
  return `UPDATE deployment_groups SET ${set} WHERE id = ${placeholder(next)} AND account_id = ${placeholder(next + 1)}`;
}

export function selectGroups(): string {
  return `SELECT ${GROUP_COLUMNS.join(', ')} FROM deployment_groups`;
}

/** An account's groups in list order: what the version targets are built from (docs/contract.md §8.4). */
export function accountGroups(placeholder: Placeholder): string {
  return `${selectGroups()} WHERE account_id = ${placeholder(1)} ORDER BY created_at, id`;
}

/** An account's groups' versions (id, revision, updated_at) in list order: what changed since a load. */
export function accountGroupVersions(placeholder: Placeholder): string {
  return `SELECT id, revision, updated_at FROM deployment_groups WHERE account_id = ${placeholder(1)}
    ORDER BY created_at, id`;
}

/** The account's groups whose IDs `ids` selects (a subquery taking parameter 2). */
export function accountGroupsById(placeholder: Placeholder, ids: string): string {
  return `${selectGroups()} WHERE account_id = ${placeholder(1)} AND id IN (${ids})`;
}

/** The parts of changes.ts groupFingerprint(), per account, for the accounts `accounts` selects. */
export function groupFingerprints(accounts: string): string {
  return `SELECT account_id, count(*) AS groups, sum(revision) AS revisions, max(updated_at) AS latest
    FROM deployment_groups WHERE account_id IN (${accounts}) GROUP BY account_id`;
}

export function selectCredentials(): string {
  return `SELECT ${CREDENTIAL_COLUMNS.join(', ')} FROM credentials`;
}

function insert(table: string, columns: readonly string[], placeholder: Placeholder): string {
  const values = columns.map((_, i) => placeholder(i + 1)).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values})`;
}

/**
 * A new entry. Migration 007's trigger `audit_chain` sets its previous_seq and moves its resource's head, in
 * the same transaction, whoever writes it (docs/decisions/0011-change-control.md, "The history chain").
 */
export function insertAudit(placeholder: Placeholder): string {
  return insert('audit_log', AUDIT_COLUMNS, placeholder);
}

/** An imported entry, with its seq; the chains are rebuilt after the import (REBUILD_AUDIT_CHAIN). */
export function importAudit(placeholder: Placeholder): string {
  return insert('audit_log', ['seq', ...AUDIT_COLUMNS], placeholder);
}

/**
 * Live groups' heads into their rows (deployment_groups.audit_seq, audit_entries), out of
 * audit_other_heads: after migration 008 put every head of 007 there, and after REBUILD_AUDIT_CHAIN did.
 */
const GROUP_HEADS_INTO_ROWS = `UPDATE deployment_groups SET audit_seq = head.seq, audit_entries = head.entries
  FROM audit_other_heads AS head
  WHERE head.account_id = deployment_groups.account_id AND head.resource_type = 'deployment_group'
    AND head.resource_id = deployment_groups.id;
DELETE FROM audit_other_heads WHERE resource_type = 'deployment_group' AND EXISTS (SELECT 1 FROM deployment_groups AS g
  WHERE g.id = audit_other_heads.resource_id AND g.account_id = audit_other_heads.account_id)`;

/**
 * Every entry's previous_seq and every head, from the entries themselves: after an import, whose entries
 * the trigger chained in the file's order, which need not be seq order. The same statements as migrations
 * 007 and 008 backfill with: every head into audit_other_heads, then live groups' heads into their rows.
 */
export const REBUILD_AUDIT_CHAIN = `UPDATE audit_log SET previous_seq = chained.previous_seq FROM (
    SELECT seq, lag(seq) OVER (PARTITION BY coalesce(account_id, ''), resource_type, resource_id ORDER BY seq) AS previous_seq
    FROM audit_log) AS chained
  WHERE audit_log.seq = chained.seq AND chained.previous_seq IS NOT NULL;
UPDATE deployment_groups SET audit_seq = NULL, audit_entries = 0 WHERE audit_seq IS NOT NULL OR audit_entries <> 0;
DELETE FROM audit_other_heads;
INSERT INTO audit_other_heads (account_id, resource_type, resource_id, seq, entries)
  SELECT coalesce(account_id, ''), resource_type, resource_id, max(seq), count(*) FROM audit_log
  GROUP BY coalesce(account_id, ''), resource_type, resource_id;
${GROUP_HEADS_INTO_ROWS}`;

export function insertIdempotencyKey(placeholder: Placeholder): string {
  return insert('idempotency_keys', IDEMPOTENCY_COLUMNS, placeholder);
}

/** What every read of audit_log selects: its columns by name, seq first (never `*`). */
export const AUDIT_SELECTED = `seq, ${AUDIT_COLUMNS.join(', ')}`;

export function selectAudit(): string {
  return `SELECT ${AUDIT_SELECTED} FROM audit_log`;
}

/**
 * The head of one group (account $1, group $2) in the view audit_heads (migration 008): its row's while it
 * lives, audit_other_heads' once deleted. Both engines push the condition into each side of the view's
 * UNION ALL: a primary key lookup on each.
 */
function groupHead(p: Placeholder): string {
  return `audit_heads.account_id = ${p(1)} AND audit_heads.resource_type = 'deployment_group' AND audit_heads.resource_id = ${p(2)}`;
}

/**
 * The chain of one group's entries (account $1, group $2) from its head, newest first: `chain` (seq,
 * previous_seq, revision, depth), at most `depth` entries if given (a BIGINT: a page's end may pass 2^31).
 * The walk ends at the first entry, or at one retention pruned (pruning takes the oldest entries, so the
 * rest of the chain is gone too).
 */
function groupChain(p: Placeholder, depth?: string): string {
  const columns = 'audit_log.seq, audit_log.previous_seq, audit_log.revision';
  return `WITH RECURSIVE chain (seq, previous_seq, revision, depth) AS (
    SELECT ${columns}, CAST(1 AS BIGINT) FROM audit_heads JOIN audit_log ON audit_log.seq = audit_heads.seq WHERE ${groupHead(p)}
    UNION ALL
    SELECT ${columns}, chain.depth + 1 FROM chain JOIN audit_log ON audit_log.seq = chain.previous_seq
    ${depth === undefined ? '' : `WHERE chain.depth < ${depth}`})`;
}

/**
 * The entries of a chain (groupChain) that `where` keeps, in the walk's order: newest first. That is seq
 * order wherever one resource's entries are written one after the other (a group's changes hold its row
 * lock); entries written at once without a lock may have seqs out of the chain's order, and pages stay
 * consistent by following the chain.
 */
function chainEntries(where: string): string {
  const columns = AUDIT_SELECTED.split(', ').map((column) => `audit_log.${column}`);
  return `SELECT ${columns.join(', ')} FROM chain JOIN audit_log ON audit_log.seq = chain.seq ${where} ORDER BY chain.depth`;
}

/**
 * History, newest first: the group's entries (account $1, group $2), walked down to depth $3 (the page's
 * end), $4 of them after skipping $5.
 */
export function history(p: Placeholder): string {
  return `${groupChain(p, p(3))} ${chainEntries('')} LIMIT ${p(4)} OFFSET ${p(5)}`;
}

/** How many entries the group's history holds (account $1, group $2): no row if it has none. */
export function historyCount(p: Placeholder): string {
  return `SELECT entries AS total FROM audit_heads WHERE ${groupHead(p)}`;
}

/** The entry that made revision $3 of group $2 of account $1. */
export function revisionEntry(p: Placeholder): string {
  return `${groupChain(p)} ${chainEntries(`WHERE chain.revision = ${p(3)}`)} LIMIT 1`;
}

/** The last revision a (deleted) group $2 of account $1 had, from its history. */
export function lastRevision(p: Placeholder): string {
  return `${groupChain(p)} SELECT max(revision) AS revision FROM chain`;
}

export function selectIdempotencyKeys(): string {
  return `SELECT ${IDEMPOTENCY_COLUMNS.join(', ')} FROM idempotency_keys`;
}

export function selectIdempotencyKey(p: Placeholder): string {
  return `${selectIdempotencyKeys()} WHERE account_id = ${p(1)} AND credential_id = ${p(2)} AND key = ${p(3)}`;
}

/**
 * Stores a key, or replaces one that expired (created before the last parameter); returns a row only if it
 * did either, so that a live key is never overwritten.
 */
export function claimIdempotencyKey(p: Placeholder): string {
  const columns = IDEMPOTENCY_COLUMNS;
  const values = columns.map((_, i) => p(i + 1)).join(', ');
  const set = columns.slice(3).map((column) => `${column} = excluded.${column}`);
  return `INSERT INTO idempotency_keys (${columns.join(', ')}) VALUES (${values})
    ON CONFLICT (account_id, credential_id, key) DO UPDATE SET ${set.join(', ')}
    WHERE idempotency_keys.created_at < ${p(columns.length + 1)} RETURNING key`;
}

/** The oldest entries a prune deletes: up to $2 of them if written before $1. */
function prunedEntries(p: Placeholder): string {
  // Parameters in the order of their numbers: SQLite's `?` are bound by position in the text.
  return `at < ${p(1)} AND seq IN (SELECT seq FROM audit_log ORDER BY seq LIMIT ${p(2)})`;
}

/**
 * Deletes up to $2 of the oldest entries if written before $1. Only the oldest $2 rows are looked at, so
 * that one batch never walks the whole log (entries are written in time order, give or take the clocks
 * of replicas).
 */
export function pruneAudit(p: Placeholder): string {
  return `DELETE FROM audit_log WHERE ${prunedEntries(p)}`;
}

/**
 * Takes entries out of their heads' counts: `pruned` is a FROM clause of the entries (account_id,
 * resource_type, resource_id). A head keeps its seq: a chain walk stops at the entry that is gone. Two
 * statements, one for each place a head lives (migration 008): live groups' rows, and audit_other_heads.
 * (Through the view audit_heads it would be one, as the previous version writes it, at a trigger per head.)
 */
export function uncountAuditEntries(pruned: string): [groups: string, others: string] {
  const counted = (columns: string) =>
    `SELECT ${columns}, count(*) AS entries FROM (SELECT account_id, resource_type, resource_id FROM ${pruned}) AS e`;
  return [
    `UPDATE deployment_groups SET audit_entries = deployment_groups.audit_entries - pruned.entries FROM (
      ${counted('account_id, resource_id')} WHERE resource_type = 'deployment_group' GROUP BY account_id, resource_id) AS pruned
    WHERE deployment_groups.id = pruned.resource_id AND deployment_groups.account_id = pruned.account_id
      AND deployment_groups.audit_seq IS NOT NULL`,
    `UPDATE audit_other_heads SET entries = audit_other_heads.entries - pruned.entries FROM (
      ${counted("coalesce(account_id, '') AS account_id, resource_type, resource_id")}
      GROUP BY coalesce(account_id, ''), resource_type, resource_id) AS pruned
    WHERE audit_other_heads.account_id = pruned.account_id AND audit_other_heads.resource_type = pruned.resource_type
      AND audit_other_heads.resource_id = pruned.resource_id`,
  ];
}

/** Before pruneAudit, in the same transaction (SQLite: one writer, so all three see the same entries). */
export function uncountPrunedAudit(p: Placeholder): [groups: string, others: string] {
  return uncountAuditEntries(`audit_log WHERE ${prunedEntries(p)}`);
}

/** Deletes up to $2 idempotency keys stored before $1, through idempotency_keys_created. */
export function pruneIdempotencyKeys(p: Placeholder): string {
  return `DELETE FROM idempotency_keys WHERE (account_id, credential_id, key) IN (
    SELECT account_id, credential_id, key FROM idempotency_keys WHERE created_at < ${p(1)} ORDER BY created_at LIMIT ${p(2)})`;
}

/** Whether the store holds anything an import would replace (a boolean column `used`). */
export const IS_USED =
  'SELECT (EXISTS (SELECT 1 FROM deployment_groups) OR EXISTS (SELECT 1 FROM credentials) OR EXISTS (SELECT 1 FROM audit_log)) AS used';

/**
 * Empties what an import replaces; ownership rows first, as they refer to the groups. Deleted groups' heads
 * go to audit_other_heads (migration 008's trigger), emptied after them.
 */
export const WIPE =
  'DELETE FROM policy_owners; DELETE FROM deployment_groups; DELETE FROM credentials; DELETE FROM audit_log; DELETE FROM audit_other_heads; DELETE FROM idempotency_keys; DELETE FROM rollout_stages; DELETE FROM rollouts';

/** Export order (docs/deployment.md, "The backup format"): the same in both backends, byte for byte. */
export const GROUP_EXPORT_ORDER = 'ORDER BY account_id, created_at, id';
export const CREDENTIAL_ORDER = 'ORDER BY created_at, id';
export const AUDIT_ORDER = 'ORDER BY seq';
export const IDEMPOTENCY_ORDER = 'ORDER BY account_id, credential_id, key';
