// The storage interface. The service speaks only this. Each backend (sqlite/, postgres/) implements it
// with the same files in the same roles: open.ts (connect and migrate), store.ts (this interface),
// statements.ts (all its SQL), policies.ts (ownership), backup.ts (export and import), errors.ts
// (classification), migrate.ts; what is backend-neutral is written once here, in rows.ts, sql.ts,
// ownership.ts, import.ts and backup.ts. Backends enforce policy ownership with a unique key on
// (account_id, policy_id) and report a violation as PolicyConflictError — never check-then-write. The
// model comes from deployment-groups/model.ts and tokens/model.ts; this module never defines it.
import type { AuditAction, AuditContext, AuditEntry } from '../audit/model.ts';
import type { DeploymentGroup } from '../deployment-groups/model.ts';
import type { Rollout, RolloutState } from '../rollouts/model.ts';
import type { Credential } from '../tokens/model.ts';
import type { AuditQuery } from './audit-query.ts';
import type { BackupRecord } from './backup.ts';
import type { GroupChangeListener } from './changes.ts';

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface GroupPage {
  groups: DeploymentGroup[];
  total: number;
}

/**
 * A group as served (deployment-groups/wire.ts): its wire JSON, and what its ETag is made of
 * (http/conditional.ts etagOf), read together.
 */
export interface GroupWire {
  revision: number;
  group: Pick<DeploymentGroup, 'updated_at'>;
  json: string;
}

/** A page of the list as served: each group's wire JSON, in list order, and the account's total. */
export interface GroupWirePage {
  groups: string[];
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

/** A group with its revision (1 when created, +1 per change): what its ETag is made of. */
export interface StoredGroup {
  group: DeploymentGroup;
  revision: number;
}

/** What identifies one state of a group without reading it (the version targets' refresh, §8.4). */
export interface GroupVersion {
  id: string;
  revision: number;
  updated_at: string;
}

/**
 * Computes a group's next state from its current one. Must be pure and synchronous: a backend may
 * call it while holding a lock. Returning `current.group` itself means "nothing changes" and nothing is
 * written; throwing (a failed If-Match) writes nothing and rejects with that error.
 */
export type GroupChange = (current: StoredGroup) => DeploymentGroup;

/** Checks the group about to be deleted (If-Match); throwing writes nothing and rejects with that error. */
export type DeleteCheck = (current: StoredGroup) => void;

/**
 * Who writes a change and how, for its audit entry (written in the same transaction). `action`
 * overrides the one the operation implies (a revert is an update or a re-create).
 */
export interface Audit {
  context: AuditContext;
  action?: AuditAction;
  /**
   * Run the whole write, audit entry included, then roll it back instead of committing, and reject with
   * PreviewRollback carrying what the write would have resolved to (docs/contract.md §8.3).
   */
  preview?: boolean;
}

/** The end of a previewed write: rolled back; `result` is what it would have resolved to. */
export class PreviewRollback extends Error {
  constructor(readonly result: unknown) {
    super('previewed write rolled back');
    this.name = 'PreviewRollback';
  }
}

/** A write's last step: its result, or, when previewed, the rollback carrying it. */
export function committed<T>(audit: Audit, result: T): T {
  if (audit.preview) throw new PreviewRollback(result);
  return result;
}

/** The COMMIT ending a write's transaction, unless it is previewed (then its caller rolls back). */
export function commit(audit: Audit): string[] {
  return audit.preview ? [] : ['COMMIT'];
}

/** An Idempotency-Key sent with a create (docs/contract.md §8.1), scoped to account and credential. */
export interface IdempotencyRequest {
  credentialId: string;
  key: string;
  /** Identifies the request body: the same key with another hash is refused. */
  requestHash: string;
  /** Keys stored before this instant are expired: treated as absent and replaced. */
  expiredBefore: string;
  /** When the key is stored. */
  at: string;
  /** The answer to replay: its status and its `result`. */
  status: number;
  response: unknown;
}

/** What a create stored, or what a replayed key stored the first time. */
export type CreateOutcome =
  | { replayed: false; stored: StoredGroup }
  | { replayed: true; status: number; response: unknown };

/** The same Idempotency-Key was used before with another request body (422). */
export class IdempotencyMismatchError extends Error {
  constructor() {
    super('the Idempotency-Key was used with another request');
    this.name = 'IdempotencyMismatchError';
  }
}

/** A revert re-creating a deleted group found it back already (someone else restored it). */
export class GroupExistsError extends Error {
  constructor() {
    super('the deployment group exists again');
    this.name = 'GroupExistsError';
  }
}

export interface HistoryPage {
  /** The group's audit entries, newest first. */
  entries: AuditEntry[];
  total: number;
}

export interface ImportOptions {
  /** Delete everything the store holds first (same transaction). Without it a non-empty store is refused. */
  replace?: boolean;
}

export interface ImportCounts {
  deploymentGroups: number;
  credentials: number;
  auditEntries: number;
  idempotencyKeys: number;
  rollouts: number;
}

/** `importRecords` into a store that already holds groups or credentials, without `replace`. */
export class StoreNotEmptyError extends Error {
  constructor() {
    super('the target database is not empty (it holds deployment groups or credentials)');
    this.name = 'StoreNotEmptyError';
  }
}

// --- rollouts (docs/contract.md §8.5, docs/decisions/0013-rollout-scheduler.md) ---------------------------

export interface RolloutPage {
  rollouts: Rollout[];
  total: number;
}

/** What a rollout step sees, inside its transaction with everything it names locked. */
export interface RolloutView {
  rollout: Rollout;
  /** The rings `RolloutStep.rings` named that exist (a missing one was deleted), by id. */
  rings: Map<string, StoredGroup>;
  /** With `RolloutStep.others`: the account's other active rollouts (serialized per account). */
  others: Rollout[];
}

/** A ring a step changes: written at the next revision, with its audit entry, in the step's transaction. */
export interface RingWrite {
  current: StoredGroup;
  next: DeploymentGroup;
  audit: Audit;
}

export interface RolloutWrite {
  rollout: Rollout;
  rings: RingWrite[];
}

/**
 * One change of a rollout and the rings it touches, in one transaction. `run` must be pure and
 * synchronous (a backend calls it holding locks); returning `view.rollout` itself with no rings writes
 * nothing; throwing writes nothing and rejects with that error.
 */
export interface RolloutStep {
  /** The rings to read (and lock) for `run`. */
  rings(rollout: Rollout): string[];
  /** Also read the account's other active rollouts, serialized with every other step that does. */
  others?: boolean;
  run(view: RolloutView): RolloutWrite;
}

export interface Store {
  readonly backend: 'sqlite' | 'postgres';

  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** Connection-pool gauges for /metrics, where the backend has a pool (PostgreSQL). */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;

  listDeploymentGroups(accountId: string, page: PageRequest): Promise<GroupPage>;
  getDeploymentGroup(accountId: string, groupId: string): Promise<StoredGroup | undefined>;
  /** listDeploymentGroups() as the bytes the API serves (the read path: docs/performance.md). */
  listGroupWires(accountId: string, page: PageRequest): Promise<GroupWirePage>;
  /** getDeploymentGroup() as the bytes the API serves, with its ETag's parts. */
  getGroupWire(accountId: string, groupId: string): Promise<GroupWire | undefined>;
  /**
   * Stores the group (revision 1) and its audit entry, and the idempotency key if one is given. With a
   * key already stored for the same request, stores nothing and resolves to the first answer; with
   * another request, throws IdempotencyMismatchError. Throws PolicyConflictError (and stores nothing) if
   * another group owns any of its policy IDs.
   */
  createDeploymentGroup(
    accountId: string,
    group: DeploymentGroup,
    audit: Audit,
    idempotency?: IdempotencyRequest,
  ): Promise<CreateOutcome>;
  /**
   * Re-creates a deleted group (a revert) with its id and created_at, at the revision after the last one
   * in its history. Throws GroupExistsError if a group with that id exists, PolicyConflictError as create.
   */
  restoreDeploymentGroup(accountId: string, group: DeploymentGroup, audit: Audit): Promise<StoredGroup>;
  /**
   * Applies `change` to the current group atomically, with the next revision and its audit entry.
   * Resolves to the stored result, or undefined if the group does not exist in this account. Throws
   * PolicyConflictError (and changes nothing) if a newly added policy ID belongs to another group.
   */
  updateDeploymentGroup(
    accountId: string,
    groupId: string,
    change: GroupChange,
    audit: Audit,
  ): Promise<StoredGroup | undefined>;
  /**
   * Deletes the group (after `check` accepted it), frees its policy IDs and records the deletion as the
   * next revision; false if it did not exist in this account.
   */
  deleteDeploymentGroup(
    accountId: string,
    groupId: string,
    audit: Audit,
    check?: DeleteCheck,
  ): Promise<boolean>;
  /** Every group of the account with its revision, by created_at then id (the version targets, §8.4). */
  accountGroups(accountId: string): Promise<StoredGroup[]>;
  /** Every group's version (id, revision, updated_at), in list order: what changed since a load (§8.4). */
  accountGroupVersions(accountId: string): Promise<GroupVersion[]>;
  /** The account's groups among `groupIds` (any order; those not found are left out). */
  accountGroupsById(accountId: string, groupIds: string[]): Promise<StoredGroup[]>;
  /**
   * Each listed account's groupFingerprint() (changes.ts); an account without groups is left out. The
   * periodic check behind watchGroupChanges.
   */
  groupFingerprints(accountIds: string[]): Promise<Map<string, string>>;
  /**
   * Calls `listener` whenever groups change: this store's own writes as soon as they commit (with their
   * account), other processes' within OTHERS_SEEN_WITHIN_MS (other-commits.ts) or on their notification. Returns the unsubscribe.
   */
  watchGroupChanges(listener: GroupChangeListener): () => void;
  /** A group's audit entries (also after its deletion), newest first. */
  groupHistory(accountId: string, groupId: string, page: PageRequest): Promise<HistoryPage>;
  /** The entry that made revision `revision` of the group, if any. */
  groupRevision(accountId: string, groupId: string, revision: number): Promise<AuditEntry | undefined>;

  /** Audit entries as `query` selects them, in its order (docs/contract.md §8.2; SQL in audit-query.ts). */
  listAuditEntries(query: AuditQuery): Promise<AuditEntry[]>;
  /** The distinct client addresses of the entries `scope` reads (a CIDR filter is matched in code). */
  listAuditAddresses(scope: AuditQuery['scope']): Promise<string[]>;

  /** Each insert and revocation writes its audit entries (one per granted account) in its transaction. */
  insertCredential(credential: Credential, audit: Audit): Promise<void>;
  /** Inserts `credential` only if the store holds no credential at all; true if it did. */
  insertFirstCredential(credential: Credential, audit: Audit): Promise<boolean>;
  findCredentialBySecretHash(secretHash: string): Promise<Credential | undefined>;
  listCredentials(): Promise<Credential[]>;
  /** Marks the credential revoked; false if there is no such credential or it was already revoked. */
  revokeCredential(id: string, revokedAt: string, audit: Audit): Promise<boolean>;

  /** Deletes at most `limit` of the oldest audit entries written before `before`; resolves to how many. */
  pruneAuditLog(before: string, limit: number): Promise<number>;
  /** Deletes at most `limit` idempotency keys stored before `before`; resolves to how many. */
  pruneIdempotencyKeys(before: string, limit: number): Promise<number>;

  /**
   * Stores a new rollout after `check` accepted the account's other active rollouts (the check and the
   * insert serialized per account with every `others` step); throwing stores nothing.
   */
  insertRollout(accountId: string, rollout: Rollout, check: (others: Rollout[]) => void): Promise<void>;
  /** An account's rollouts, newest first (created_at, then id, descending), optionally in one state. */
  listRollouts(accountId: string, page: PageRequest, state?: RolloutState): Promise<RolloutPage>;
  getRollout(accountId: string, rolloutId: string): Promise<Rollout | undefined>;
  /** Runs `step` on the rollout (locked); undefined if it does not exist in this account. */
  changeRollout(accountId: string, rolloutId: string, step: RolloutStep): Promise<Rollout | undefined>;
  /**
   * Runs `step` on one active rollout whose next stage is due at `now`, taking the due stage's row with
   * SKIP LOCKED inside the step's transaction, so that each stage is taken by one transaction at a time
   * across replicas; undefined when no due stage is free.
   */
  advanceDueRollout(now: string, step: RolloutStep): Promise<Rollout | undefined>;

  /**
   * Every group (ordered by account, created_at, id), then every credential (ordered by created_at, id),
   * then every audit entry (by seq), then every idempotency key, then every rollout (by account,
   * created_at, id), read from one consistent snapshot. Same data, same order, whichever backend holds it.
   */
  exportRecords(): AsyncIterable<BackupRecord>;
  /**
   * Writes `records` in ONE transaction: all of them or, if any fails (a bad record, a duplicate id,
   * two groups claiming one policy ID, the iterable throwing), none. Throws StoreNotEmptyError unless
   * the store is empty or `replace` is set.
   */
  importRecords(records: AsyncIterable<BackupRecord>, options?: ImportOptions): Promise<ImportCounts>;
}
