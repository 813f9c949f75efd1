// The storage interface. The service speaks only this; each backend (sqlite/, postgres/) implements it
// with the same file names. Backends enforce policy ownership with a unique key on
// (account_id, policy_id) and report a violation as PolicyConflictError — never check-then-write.

/** One entry of `version_config`, in wire shape (docs/contract.md §2). */
export interface VersionConfig {
  target_environment: string | null;
  version: string;
}

/** A deployment group exactly as it is served: stored and returned in its wire shape. */
export interface DeploymentGroup {
  id: string;
  name: string;
  version_config: VersionConfig[];
  /** `null` when never set or cleared; `[]` only when the client sent `[]`. Client order is kept. */
  policy_ids: string[] | null;
  created_at: string;
  updated_at: string;
}

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

export type Permission = 'read' | 'write';

/** An API token or a legacy API key. Only the SHA-256 of the secret is ever stored. */
export interface Credential {
  /** 32 hex digits, shown by `tokens list` and returned by /user/tokens/verify. */
  id: string;
  kind: 'token' | 'key';
  name: string | null;
  /** The legacy key's X-Auth-Email; null for tokens. */
  email: string | null;
  secretHash: string;
  permission: Permission;
  /** Granted account IDs; null means every account. */
  accounts: string[] | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/**
 * Computes a group's next state from its current one. Must be pure and synchronous: a backend may
 * call it while holding a lock. Returning `current` itself means "nothing changes" and nothing is written.
 */
export type GroupChange = (current: DeploymentGroup) => DeploymentGroup;

/**
 * One record of a backup (`ringmaster db export` / `db import`): a group with its account, or a
 * credential. Policy ownership is not a record of its own: it follows from the groups' `policy_ids`.
 */
export type BackupRecord =
  | { type: 'deployment_group'; accountId: string; group: DeploymentGroup }
  | { type: 'credential'; credential: Credential };

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
