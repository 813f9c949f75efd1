// Every SQL statement of the PostgreSQL backend. The request path's are named, so each connection
// prepares them once; export and import build theirs per batch.
import { AUDIT_COLUMNS, CREDENTIAL_COLUMNS, GROUP_COLUMNS, IDEMPOTENCY_COLUMNS } from '../rows.ts';
import {
  AUDIT_ORDER,
  accountGroups,
  accountGroupsById,
  accountGroupVersions,
  CREDENTIAL_ORDER,
  claimIdempotencyKey,
  GROUP_EXPORT_ORDER,
  groupFingerprints,
  history,
  historyCount,
  IDEMPOTENCY_ORDER,
  insertAudit,
  insertCredential,
  insertGroup,
  lastRevision,
  type Placeholder,
  pruneAudit,
  pruneIdempotencyKeys,
  revisionEntry,
  selectAudit,
  selectCredentials,
  selectGroups,
  selectIdempotencyKey,
  selectIdempotencyKeys,
  uncountAuditEntries,
  updateGroup,
} from '../sql.ts';

const numbered: Placeholder = (position) => `$${position}`;

/** Named (prepared once per connection) statements of the request path. */
export const SQL = {
  list: {
    name: 'rm_list',
    text: `SELECT t.total, g.* FROM (SELECT count(*)::int AS total FROM deployment_groups WHERE account_id = $1) t
      LEFT JOIN LATERAL (${selectGroups()} WHERE account_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3) g ON true
      ORDER BY g.created_at, g.id`,
  },
  get: { name: 'rm_get', text: `${selectGroups()} WHERE id = $1 AND account_id = $2` },
  lock: { name: 'rm_lock', text: `${selectGroups()} WHERE id = $1 AND account_id = $2 FOR UPDATE` },
  insertGroup: { name: 'rm_insert_group', text: insertGroup(numbered) },
  updateGroup: { name: 'rm_update_group', text: updateGroup(numbered) },
  accountGroups: { name: 'rm_account_groups', text: accountGroups(numbered) },
  accountGroupVersions: { name: 'rm_account_group_versions', text: accountGroupVersions(numbered) },
  accountGroupsById: {
    name: 'rm_account_groups_by_id',
    text: accountGroupsById(numbered, 'SELECT unnest($2::text[])'),
  },
  groupFingerprints: { name: 'rm_group_fingerprints', text: groupFingerprints('SELECT unnest($1::text[])') },
  deleteGroup: {
    name: 'rm_delete_group',
    text: 'DELETE FROM deployment_groups WHERE id = $1 AND account_id = $2',
  },
  claim: {
    name: 'rm_claim',
    text: `INSERT INTO policy_owners (account_id, policy_id, group_id)
      SELECT $1, policy_id, $2 FROM unnest($3::text[]) AS policy_id
      ON CONFLICT (account_id, policy_id) DO NOTHING RETURNING policy_id`,
  },
  owners: {
    name: 'rm_owners',
    text: 'SELECT policy_id, group_id FROM policy_owners WHERE account_id = $1 AND policy_id = ANY($2::text[])',
  },
  release: {
    name: 'rm_release',
    text: 'DELETE FROM policy_owners WHERE account_id = $1 AND group_id = $2 AND policy_id = ANY($3::text[])',
  },
  insertCredential: { name: 'rm_insert_credential', text: insertCredential(numbered) },
  insertFirstCredential: {
    name: 'rm_insert_first_credential',
    text: `INSERT INTO credentials (${CREDENTIAL_COLUMNS.join(', ')})
      SELECT ${CREDENTIAL_COLUMNS.map((_, i) => numbered(i + 1)).join(', ')}
      WHERE NOT EXISTS (SELECT 1 FROM credentials)`,
  },
  credentialByHash: { name: 'rm_credential_by_hash', text: `${selectCredentials()} WHERE secret_hash = $1` },
  listCredentials: { name: 'rm_list_credentials', text: `${selectCredentials()} ${CREDENTIAL_ORDER}` },
  revokeCredential: {
    name: 'rm_revoke_credential',
    text: `UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL
      RETURNING ${CREDENTIAL_COLUMNS.join(', ')}`,
  },
  insertAudit: { name: 'rm_insert_audit', text: insertAudit(numbered) },
  history: { name: 'rm_history', text: history(numbered) },
  historyCount: { name: 'rm_history_count', text: historyCount(numbered) },
  revisionEntry: { name: 'rm_revision_entry', text: revisionEntry(numbered) },
  lastRevision: { name: 'rm_last_revision', text: lastRevision(numbered) },
  selectIdempotencyKey: { name: 'rm_select_idempotency_key', text: selectIdempotencyKey(numbered) },
  claimIdempotencyKey: { name: 'rm_claim_idempotency_key', text: claimIdempotencyKey(numbered) },
  pruneAudit: {
    // The heads are uncounted by what the delete took: a replica pruning at the same time takes other rows.
    name: 'rm_prune_audit',
    text: `WITH gone AS (${pruneAudit(numbered)} RETURNING account_id, resource_type, resource_id),
      ${uncountAuditEntries('gone')
        .map((uncount, i) => `uncounted${i} AS (${uncount})`)
        .join(', ')}
      SELECT count(*) AS pruned FROM gone`,
  },
  pruneIdempotencyKeys: { name: 'rm_prune_idempotency_keys', text: pruneIdempotencyKeys(numbered) },
} as const;

/** Serializes insertFirstCredential across replicas ("RMFIRSTC" in ASCII). */
export const FIRST_CREDENTIAL_LOCK = '5930469127658066755';
export const LOCK_FIRST_CREDENTIAL = 'SELECT pg_advisory_xact_lock($1)';

// --- export and import -------------------------------------------------------------------------------

export const LOCK_FOR_IMPORT =
  'LOCK TABLE deployment_groups, policy_owners, credentials, audit_log, audit_other_heads, idempotency_keys, rollouts, rollout_stages IN EXCLUSIVE MODE';

/**
 * Sent by an import, inside its transaction: an empty payload on the groups' channel (notifications.ts)
 * tells every replica to load all it holds again — an import may restore the same revisions with other
 * contents, which no group's version shows.
 */
export const NOTIFY_IMPORTED = "SELECT pg_notify('ringmaster_groups', '')";

/** A page of the group export: $1 rows after the row ($2, $3, $4) of the previous page, if any. */
export function exportGroupsPage(after: boolean): string {
  const where = after ? 'WHERE (account_id, created_at, id) > ($2, $3, $4)' : '';
  return `${selectGroups()} ${where} ${GROUP_EXPORT_ORDER} LIMIT $1`;
}

/** A page of the credential export: $1 rows after the row ($2, $3) of the previous page, if any. */
export function exportCredentialsPage(after: boolean): string {
  const where = after ? 'WHERE (created_at, id) > ($2, $3)' : '';
  return `${selectCredentials()} ${where} ${CREDENTIAL_ORDER} LIMIT $1`;
}

/** A page of the audit-log export: $1 entries after seq $2, if any. */
export function exportAuditPage(after: boolean): string {
  return `${selectAudit()} ${after ? 'WHERE seq > $2' : ''} ${AUDIT_ORDER} LIMIT $1`;
}

/** A page of the idempotency-key export: $1 rows after the key ($2, $3, $4), if any. */
export function exportIdempotencyPage(after: boolean): string {
  const where = after ? 'WHERE (account_id, credential_id, key) > ($2, $3, $4)' : '';
  return `${selectIdempotencyKeys()} ${where} ${IDEMPOTENCY_ORDER} LIMIT $1`;
}

/** The columns that are not text. */
const COLUMN_TYPES: Record<string, string> = { revision: 'int[]', status: 'int[]', seq: 'bigint[]' };

/** A batch of rows in one statement: $n is the array of the n-th column's values. */
function insertUnnest(table: string, columns: readonly string[]): string {
  const type = (column: string) => COLUMN_TYPES[column] ?? 'text[]';
  const arrays = columns.map((column, i) => `${numbered(i + 1)}::${type(column)}`).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${arrays})`;
}

export const IMPORT_GROUPS = insertUnnest('deployment_groups', GROUP_COLUMNS);
export const IMPORT_CREDENTIALS = insertUnnest('credentials', CREDENTIAL_COLUMNS);
/** Entries keep their seq, so that cursors and order survive a round trip; the identity moves past them. */
export const IMPORT_AUDIT = insertUnnest('audit_log', ['seq', ...AUDIT_COLUMNS]);
export const RESTART_AUDIT_SEQ =
  "SELECT setval(pg_get_serial_sequence('audit_log', 'seq'), coalesce((SELECT max(seq) FROM audit_log), 0) + 1, false)";
export const IMPORT_IDEMPOTENCY_KEYS = insertUnnest('idempotency_keys', IDEMPOTENCY_COLUMNS);
export const IMPORT_CLAIMS = `${insertUnnest('policy_owners', ['account_id', 'policy_id', 'group_id'])}
  ON CONFLICT (account_id, policy_id) DO NOTHING RETURNING account_id, policy_id, group_id`;
export const IMPORT_OWNERS = `SELECT o.account_id, o.policy_id, o.group_id FROM policy_owners o
  JOIN unnest($1::text[], $2::text[]) AS r (account_id, policy_id) USING (account_id, policy_id)`;
