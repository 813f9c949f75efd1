// Rows as both backends store them: the same columns, all TEXT, with version_config, policy_ids and a
// credential's accounts as JSON text (so that client order and null-vs-[] survive). One mapping for both.
import type { Credential, DeploymentGroup } from './store.ts';

export const GROUP_COLUMNS = 'id, name, version_config, policy_ids, created_at, updated_at';
export const CREDENTIAL_COLUMNS =
  'id, kind, name, email, secret_hash, permission, accounts, created_at, expires_at, revoked_at';

export interface GroupRow {
  id: string;
  name: string;
  version_config: string;
  policy_ids: string | null;
  created_at: string;
  updated_at: string;
}

export interface CredentialRow {
  id: string;
  kind: 'token' | 'key';
  name: string | null;
  email: string | null;
  secret_hash: string;
  permission: 'read' | 'write';
  accounts: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** Values for (id, account_id, name, version_config, policy_ids, created_at, updated_at). */
export function groupValues(accountId: string, group: DeploymentGroup): (string | null)[] {
  return [
    group.id,
    accountId,
    group.name,
    JSON.stringify(group.version_config),
    serializePolicyIds(group.policy_ids),
    group.created_at,
    group.updated_at,
  ];
}

export function serializePolicyIds(policyIds: string[] | null): string | null {
  return policyIds === null ? null : JSON.stringify(policyIds);
}

export function toGroup(row: GroupRow): DeploymentGroup {
  return {
    id: row.id,
    name: row.name,
    version_config: JSON.parse(row.version_config),
    policy_ids: row.policy_ids === null ? null : JSON.parse(row.policy_ids),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Values in CREDENTIAL_COLUMNS order. */
export function credentialValues(c: Credential): (string | null)[] {
  return [
    c.id,
    c.kind,
    c.name,
    c.email,
    c.secretHash,
    c.permission,
    c.accounts === null ? null : JSON.stringify(c.accounts),
    c.createdAt,
    c.expiresAt,
    c.revokedAt,
  ];
}

export function toCredential(row: CredentialRow): Credential {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    email: row.email,
    secretHash: row.secret_hash,
    permission: row.permission,
    accounts: row.accounts === null ? null : JSON.parse(row.accounts),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
