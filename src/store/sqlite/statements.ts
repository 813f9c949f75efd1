// Every SQL statement of the SQLite backend, prepared once per connection.
import type { Database, Statement } from 'better-sqlite3';
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
  IS_USED,
  importAudit,
  insertAudit,
  insertCredential,
  insertGroup,
  insertIdempotencyKey,
  lastRevision,
  type Placeholder,
  pruneAudit,
  pruneIdempotencyKeys,
  REBUILD_AUDIT_CHAIN,
  revisionEntry,
  selectAudit,
  selectCredentials,
  selectGroups,
  selectIdempotencyKey,
  selectIdempotencyKeys,
  uncountPrunedAudit,
  updateGroup,
} from '../sql.ts';

const positional: Placeholder = () => '?';
/** Retention's uncount: one statement for live groups' rows, one for audit_other_heads (migration 008). */
const [uncountPrunedGroupAudit, uncountPrunedOtherAudit] = uncountPrunedAudit(positional);

export const SQL = {
  ping: 'SELECT 1',
  dataVersion: 'PRAGMA data_version',
  count: 'SELECT group_count FROM account_group_counts WHERE account_id = ?',
  list: `${selectGroups()} WHERE account_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?`,
  get: `${selectGroups()} WHERE id = ? AND account_id = ?`,
  // The read path (wire-cache.ts): a group's revision, a page's ids and revisions, the rest from memory.
  revision: 'SELECT revision FROM deployment_groups WHERE id = ? AND account_id = ?',
  listRevisions:
    'SELECT id, revision FROM deployment_groups WHERE account_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?',
  insertGroup: insertGroup(positional),
  updateGroup: updateGroup(positional),
  deleteGroup: 'DELETE FROM deployment_groups WHERE id = ? AND account_id = ?',
  accountGroups: accountGroups(positional),
  accountGroupVersions: accountGroupVersions(positional),
  accountGroupsById: accountGroupsById(positional, 'SELECT value FROM json_each(?)'),
  groupFingerprints: groupFingerprints('SELECT value FROM json_each(?)'),
  claimPolicy: `INSERT INTO policy_owners (account_id, policy_id, group_id) VALUES (?, ?, ?)
    ON CONFLICT (account_id, policy_id) DO NOTHING`,
  releasePolicy: 'DELETE FROM policy_owners WHERE account_id = ? AND policy_id = ?',
  policyOwner: 'SELECT group_id FROM policy_owners WHERE account_id = ? AND policy_id = ?',
  insertCredential: insertCredential(positional),
  anyCredential: 'SELECT 1 FROM credentials LIMIT 1',
  credentialByHash: `${selectCredentials()} WHERE secret_hash = ?`,
  listCredentials: `${selectCredentials()} ${CREDENTIAL_ORDER}`,
  revokeCredential: 'UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  credentialById: `${selectCredentials()} WHERE id = ?`,
  insertAudit: insertAudit(positional),
  importAudit: importAudit(positional),
  importIdempotencyKey: insertIdempotencyKey(positional),
  history: history(positional),
  historyCount: historyCount(positional),
  revisionEntry: revisionEntry(positional),
  lastRevision: lastRevision(positional),
  selectIdempotencyKey: selectIdempotencyKey(positional),
  claimIdempotencyKey: claimIdempotencyKey(positional),
  uncountPrunedGroupAudit,
  uncountPrunedOtherAudit,
  pruneAudit: pruneAudit(positional),
  pruneIdempotencyKeys: pruneIdempotencyKeys(positional),
  isUsed: IS_USED,
  rebuildAuditChain: REBUILD_AUDIT_CHAIN,
  exportAudit: `${selectAudit()} ${AUDIT_ORDER}`,
  exportIdempotencyKeys: `${selectIdempotencyKeys()} ${IDEMPOTENCY_ORDER}`,
  exportGroups: `${selectGroups()} ${GROUP_EXPORT_ORDER}`,
  exportCredentials: `${selectCredentials()} ${CREDENTIAL_ORDER}`,
} as const;

/**
 * The statements of the request path by name (the exports run on a connection of their own, backup.ts).
 * Written out, so that declarations (`ringmaster/testing` reaches this file) can name the type.
 */
export type Statements = Record<
  Exclude<
    keyof typeof SQL,
    'exportGroups' | 'exportCredentials' | 'exportAudit' | 'exportIdempotencyKeys' | 'rebuildAuditChain'
  >,
  Statement
>;

/** The statements of the request path, prepared on `db`. */
export function prepareStatements(db: Database): Statements {
  const prepare = (sql: string) => db.prepare(sql);
  return {
    ping: prepare(SQL.ping),
    dataVersion: prepare(SQL.dataVersion).pluck(),
    count: prepare(SQL.count).pluck(),
    list: prepare(SQL.list),
    get: prepare(SQL.get),
    revision: prepare(SQL.revision).pluck(),
    listRevisions: prepare(SQL.listRevisions),
    insertGroup: prepare(SQL.insertGroup),
    updateGroup: prepare(SQL.updateGroup),
    deleteGroup: prepare(SQL.deleteGroup),
    accountGroups: prepare(SQL.accountGroups),
    accountGroupVersions: prepare(SQL.accountGroupVersions),
    accountGroupsById: prepare(SQL.accountGroupsById),
    groupFingerprints: prepare(SQL.groupFingerprints),
    claimPolicy: prepare(SQL.claimPolicy),
    releasePolicy: prepare(SQL.releasePolicy),
    policyOwner: prepare(SQL.policyOwner).pluck(),
    insertCredential: prepare(SQL.insertCredential),
    anyCredential: prepare(SQL.anyCredential).pluck(),
    credentialByHash: prepare(SQL.credentialByHash),
    listCredentials: prepare(SQL.listCredentials),
    revokeCredential: prepare(SQL.revokeCredential),
    isUsed: prepare(SQL.isUsed).pluck(),
    credentialById: prepare(SQL.credentialById),
    insertAudit: prepare(SQL.insertAudit),
    importAudit: prepare(SQL.importAudit),
    importIdempotencyKey: prepare(SQL.importIdempotencyKey),
    history: prepare(SQL.history),
    historyCount: prepare(SQL.historyCount).pluck(),
    revisionEntry: prepare(SQL.revisionEntry),
    lastRevision: prepare(SQL.lastRevision).pluck(),
    selectIdempotencyKey: prepare(SQL.selectIdempotencyKey),
    claimIdempotencyKey: prepare(SQL.claimIdempotencyKey),
    uncountPrunedGroupAudit: prepare(SQL.uncountPrunedGroupAudit),
    uncountPrunedOtherAudit: prepare(SQL.uncountPrunedOtherAudit),
    pruneAudit: prepare(SQL.pruneAudit),
    pruneIdempotencyKeys: prepare(SQL.pruneIdempotencyKeys),
  };
}
