// The storage interface. The service speaks only this. Each backend (sqlite/, postgres/) implements it
// with the same files in the same roles: open.ts (connect and migrate), store.ts (this interface),
// statements.ts (all its SQL), policies.ts (ownership), backup.ts (export and import), errors.ts
// (classification), migrate.ts; what is backend-neutral is written once here, in rows.ts, sql.ts,
// ownership.ts, import.ts and backup.ts. Backends enforce policy ownership with a unique key on
// (account_id, policy_id) and report a violation as PolicyConflictError — never check-then-write. The
// model comes from deployment-groups/model.ts and tokens/model.ts; this module never defines it.

import type { AuditEntry } from '../audit/model.ts';
import type { DeploymentGroup } from '../deployment-groups/model.ts';
import type { Credential } from '../tokens/model.ts';
import type { AuditQuery } from './audit-query.ts';
import type { BackupRecord } from './backup.ts';

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface GroupPage {
  groups: DeploymentGroup[];
  total: number;
}

/** A policy ID some other group of the same account already owns. */
export interface PolicyConflict {
  policyId: string;
  groupId: string;
}

export class PolicyConflictError extends Error {
  constructor(readonly conflicts: PolicyConflict[]) {
    super(`${conflicts.length} policy ID(s) already belong to another deployment group`);
    this.name = 'PolicyConflictError';
  }
}

/** The store cannot be reached or cannot write (disk full, database down); answered with 503. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('storage unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Computes a group's next state from its current one. Must be pure and synchronous: a backend may
 * call it while holding a lock. Returning `current` itself means "nothing changes" and nothing is written.
 */
export type GroupChange = (current: DeploymentGroup) => DeploymentGroup;

export interface ImportOptions {
  /** Delete everything the store holds first (same transaction). Without it a non-empty store is refused. */
  replace?: boolean;
}

export interface ImportCounts {
  deploymentGroups: number;
  credentials: number;
}

/** `importRecords` into a store that already holds groups or credentials, without `replace`. */
export class StoreNotEmptyError extends Error {
  constructor() {
    super('the target database is not empty (it holds deployment groups or credentials)');
    this.name = 'StoreNotEmptyError';
  }
}

export interface Store {
  readonly backend: 'sqlite' | 'postgres';

  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** Connection-pool gauges for /metrics, where the backend has a pool (PostgreSQL). */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;

  listDeploymentGroups(accountId: string, page: PageRequest): Promise<GroupPage>;
  getDeploymentGroup(accountId: string, groupId: string): Promise<DeploymentGroup | undefined>;
  /** Throws PolicyConflictError (and stores nothing) if another group owns any of its policy IDs. */
  createDeploymentGroup(accountId: string, group: DeploymentGroup): Promise<void>;
  /**
   * Applies `change` to the current group atomically. Resolves to the stored result, or undefined
   * if the group does not exist in this account. Throws PolicyConflictError (and changes nothing)
   * if a newly added policy ID belongs to another group.
   */
  updateDeploymentGroup(
    accountId: string,
    groupId: string,
    change: GroupChange,
  ): Promise<DeploymentGroup | undefined>;
  /** Deletes the group and frees its policy IDs; false if it did not exist in this account. */
  deleteDeploymentGroup(accountId: string, groupId: string): Promise<boolean>;

  /** Audit entries as `query` selects them, in its order (docs/contract.md §8.2; SQL in audit-query.ts). */
  listAuditEntries(query: AuditQuery): Promise<AuditEntry[]>;
  /** The distinct client addresses of the entries `scope` reads (a CIDR filter is matched in code). */
  listAuditAddresses(scope: AuditQuery['scope']): Promise<string[]>;

  insertCredential(credential: Credential): Promise<void>;
  /** Inserts `credential` only if the store holds no credential at all; true if it did. */
  insertFirstCredential(credential: Credential): Promise<boolean>;
  findCredentialBySecretHash(secretHash: string): Promise<Credential | undefined>;
  listCredentials(): Promise<Credential[]>;
  /** Marks the credential revoked; false if there is no such credential or it was already revoked. */
  revokeCredential(id: string, revokedAt: string): Promise<boolean>;

  /**
   * Every group (ordered by account, created_at, id), then every credential (ordered by created_at, id),
   * read from one consistent snapshot. Same data, same order, whichever backend holds it.
   */
  exportRecords(): AsyncIterable<BackupRecord>;
  /**
   * Writes `records` in ONE transaction: all of them or, if any fails (a bad record, a duplicate id,
   * two groups claiming one policy ID, the iterable throwing), none. Throws StoreNotEmptyError unless
   * the store is empty or `replace` is set.
   */
  importRecords(records: AsyncIterable<BackupRecord>, options?: ImportOptions): Promise<ImportCounts>;
}
