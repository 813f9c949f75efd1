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

export function insertAudit(placeholder: Placeholder): string {
  return insert('audit_log', AUDIT_COLUMNS, placeholder);
}

/** An imported entry, with its seq. */
export function importAudit(placeholder: Placeholder): string {
  return insert('audit_log', ['seq', ...AUDIT_COLUMNS], placeholder);
}

export function insertIdempotencyKey(placeholder: Placeholder): string {
  return insert('idempotency_keys', IDEMPOTENCY_COLUMNS, placeholder);
}

/** What every read of audit_log selects: its columns by name, seq first (never `*`). */
export const AUDIT_SELECTED = `seq, ${AUDIT_COLUMNS.join(', ')}`;

export function selectAudit(): string {
  return `SELECT ${AUDIT_SELECTED} FROM audit_log`;
}

/** The entries of one group (account $1, group $2), from audit_log_resource. */
export function groupEntries(p: Placeholder): string {
  return `${selectAudit()} WHERE account_id = ${p(1)} AND resource_type = 'deployment_group' AND resource_id = ${p(2)}`;
}

/** History, newest first: the group's entries (account $1, group $2), $3 of them after skipping $4. */
export function history(p: Placeholder): string {
  return `${groupEntries(p)} ORDER BY seq DESC LIMIT ${p(3)} OFFSET ${p(4)}`;
}

export function historyCount(p: Placeholder): string {
  return `SELECT count(*) AS total FROM audit_log WHERE account_id = ${p(1)} AND resource_type = 'deployment_group' AND resource_id = ${p(2)}`;
}

/** The entry that made revision $3 of group $2 of account $1. */
export function revisionEntry(p: Placeholder): string {
  return `${groupEntries(p)} AND revision = ${p(3)} ORDER BY seq DESC LIMIT 1`;
}

/** The last revision a (deleted) group $2 of account $1 had, from its history. */
export function lastRevision(p: Placeholder): string {
  return `SELECT max(revision) AS revision FROM audit_log WHERE account_id = ${p(1)} AND resource_type = 'deployment_group' AND resource_id = ${p(2)}`;
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

/**
 * Deletes up to $2 of the oldest entries if written before $1. Only the oldest $2 rows are looked at, so
 * that one batch never walks the whole log (entries are written in time order, give or take the clocks
 * of replicas).
 */
export function pruneAudit(p: Placeholder): string {
  // Parameters in the order of their numbers: SQLite's `?` are bound by position in the text.
  return `DELETE FROM audit_log WHERE at < ${p(1)} AND seq IN (SELECT seq FROM audit_log ORDER BY seq LIMIT ${p(2)})`;
}

/** Deletes up to $2 idempotency keys stored before $1, through idempotency_keys_created. */
export function pruneIdempotencyKeys(p: Placeholder): string {
  return `DELETE FROM idempotency_keys WHERE (account_id, credential_id, key) IN (
    SELECT account_id, credential_id, key FROM idempotency_keys WHERE created_at < ${p(1)} ORDER BY created_at LIMIT ${p(2)})`;
}

/** Whether the store holds anything an import would replace (a boolean column `used`). */
export const IS_USED =
  'SELECT (EXISTS (SELECT 1 FROM deployment_groups) OR EXISTS (SELECT 1 FROM credentials) OR EXISTS (SELECT 1 FROM audit_log)) AS used';

/** Empties what an import replaces; ownership rows first, as they refer to the groups. */
export const WIPE =
  'DELETE FROM policy_owners; DELETE FROM deployment_groups; DELETE FROM credentials; DELETE FROM audit_log; DELETE FROM idempotency_keys; DELETE FROM rollout_stages; DELETE FROM rollouts';

/** Export order (docs/deployment.md, "The backup format"): the same in both backends, byte for byte. */
export const GROUP_EXPORT_ORDER = 'ORDER BY account_id, created_at, id';
export const CREDENTIAL_ORDER = 'ORDER BY created_at, id';
export const AUDIT_ORDER = 'ORDER BY seq';
export const IDEMPOTENCY_ORDER = 'ORDER BY account_id, credential_id, key';
