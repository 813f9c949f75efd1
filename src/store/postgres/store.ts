// The scale-out backend: any number of stateless replicas share one PostgreSQL database through a `pg`
// pool (opened by open.ts). Policy ownership is the (account_id, policy_id) primary key of policy_owners
// (policies.ts); an update locks its group row (SELECT … FOR UPDATE) for the length of one transaction.
// The pool runs in pipeline mode, so statements that do not depend on each other's results travel
// together: an update is two round trips (BEGIN + SELECT … FOR UPDATE, then UPDATE + COMMIT), three when
// it claims policy IDs. docs/deployment.md describes operating it.
import type pg from 'pg';
import type { PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { credentialEntries, groupEntry } from '../../audit/entries.ts';
import type { AuditEntry } from '../../audit/model.ts';
import type { DeploymentGroup } from '../../deployment-groups/model.ts';
import { groupJson } from '../../deployment-groups/wire.ts';
import type { Rollout, RolloutState } from '../../rollouts/model.ts';
import type { Credential } from '../../tokens/model.ts';
import type { AuditQuery } from '../audit-query.ts';
import type { BackupRecord } from '../backup.ts';
import { ChangeFeed, type GroupChangeListener, groupFingerprint } from '../changes.ts';
import { OtherCommits } from '../other-commits.ts';
import { policyChanges } from '../ownership.ts';
import {
  credentialValues,
  groupValues,
  idempotencyValues,
  type Row,
  toAuditEntry,
  toCredential,
  toGroup,
  toIdempotencyKey,
  toStoredGroup,
  updateValues,
} from '../rows.ts';
import {
  type Audit,
  type CreateOutcome,
  commit,
  committed,
  type DeleteCheck,
  type GroupChange,
  GroupExistsError,
  type GroupPage,
  type GroupVersion,
  type GroupWire,
  type GroupWirePage,
  type HistoryPage,
  IdempotencyMismatchError,
  type IdempotencyRequest,
  type ImportCounts,
  type ImportOptions,
  type PageRequest,
  type RolloutPage,
  type RolloutStep,
  type Store,
  type StoredGroup,
  StoreUnavailableError,
} from '../store.ts';
import { groupWire } from '../wire-cache.ts';
import { auditInsert, listAuditAddresses, listAuditEntries } from './audit.ts';
import { exportRecords, importRecords } from './backup.ts';
import { isConnectionError, isRetryable, translate } from './errors.ts';
import { GroupNotifications } from './notifications.ts';
import { openPostgresPool, type PostgresStoreOptions } from './open.ts';
import { pipeline } from './pipeline.ts';
import { claimPolicies } from './policies.ts';
import { PostgresRollouts } from './rollouts.ts';
import { FIRST_CREDENTIAL_LOCK, LOCK_FIRST_CREDENTIAL, SQL } from './statements.ts';

/** Deadlocks between two updates claiming each other's IDs are resolved by retrying the loser. */
const ATTEMPTS = 3;

/** Opens the pool, applies pending migrations (under the advisory lock) and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  return new PostgresStore(await openPostgresPool(options));
}

export class PostgresStore implements Store {
  readonly backend = 'postgres';
  /** Group changes, for the version targets (changes.ts): own writes, and others' by notification. */
  private readonly changes = new ChangeFeed();
  private readonly notifications: GroupNotifications;

  private readonly rollouts = new PostgresRollouts(
    (config) => this.query(config),
    (work) => this.transaction(work),
  );

  /** Credentials found by secret hash, all dropped at least every OTHERS_SEEN_WITHIN_MS (`others`). */
  private readonly credentials = new Map<string, Credential>();
  /** No marker of other replicas' commits: every look past the bound drops the credentials held. */
  private readonly others = new OtherCommits(null);

  /** `pool` comes from openPostgresPool(): configured and migrated. */
  constructor(private readonly pool: pg.Pool) {
    this.notifications = new GroupNotifications(pool, this.changes);
    this.others.onCommit(() => this.credentials.clear());
  }

  async ping(): Promise<void> {
    await this.query({ text: 'SELECT 1' });
  }

  async close(): Promise<void> {
    await this.notifications.stop();
    await this.pool.end();
  }

  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async listDeploymentGroups(accountId: string, { limit, offset }: PageRequest): Promise<GroupPage> {
    const { rows } = await this.query<Row & { total: number }>(SQL.list, [accountId, limit, offset]);
    const total = rows[0]?.total ?? 0;
    return { groups: rows.filter((row) => row.id !== null).map(toGroup), total };
  }

  async getDeploymentGroup(accountId: string, groupId: string): Promise<StoredGroup | undefined> {
    const { rows } = await this.query<Row>(SQL.get, [groupId, accountId]);
    return rows[0] && toStoredGroup(rows[0]);
  }

  /**
   * The wire JSON is made from the rows every time: a replica cannot learn synchronously that another one
   * committed (notifications arrive later), so holding it would serve a stale group (docs/performance.md).
   */
  async listGroupWires(accountId: string, page: PageRequest): Promise<GroupWirePage> {
    const { groups, total } = await this.listDeploymentGroups(accountId, page);
    return { groups: groups.map(groupJson), total };
  }

  async getGroupWire(accountId: string, groupId: string): Promise<GroupWire | undefined> {
    const stored = await this.getDeploymentGroup(accountId, groupId);
    return stored && groupWire(stored);
  }

  createDeploymentGroup(
    accountId: string,
    group: DeploymentGroup,
    audit: Audit,
    idempotency?: IdempotencyRequest,
  ): Promise<CreateOutcome> {
    return this.changes.after(accountId, this.create(accountId, group, audit, idempotency));
  }

  private create(
    accountId: string,
    group: DeploymentGroup,
    audit: Audit,
    idempotency?: IdempotencyRequest,
  ): Promise<CreateOutcome> {
    const stored = { group, revision: 1 };
    const insert = { ...SQL.insertGroup, values: groupValues(accountId, group) };
    const entry = auditInsert(groupEntry(accountId, audit, 'create', undefined, stored));
    return this.transaction(async (client): Promise<CreateOutcome> => {
      const begin: (string | QueryConfig)[] = ['BEGIN'];
      if (idempotency) {
        // The key's primary key decides between concurrent requests: the second waits for the first to
        // commit, then finds the key held and replays it (or, if the first rolled back, takes it).
        const [, claimed] = await pipeline(client, ['BEGIN', claimKey(accountId, idempotency)]);
        if (claimed?.rowCount === 0) {
          await client.query('ROLLBACK');
          return heldKey(client, accountId, idempotency);
        }
        begin.length = 0;
      }
      await this.insertWithPolicies(client, accountId, group, [...begin, insert], [entry, ...commit(audit)]);
      return committed(audit, { replayed: false, stored });
    });
  }

  restoreDeploymentGroup(accountId: string, group: DeploymentGroup, audit: Audit): Promise<StoredGroup> {
    return this.changed(accountId, async (client) => {
      const [, last] = await pipeline(client, [
        'BEGIN',
        { ...SQL.lastRevision, values: [accountId, group.id] },
      ]);
      const stored = { group, revision: Number(last?.rows[0]?.revision ?? 0) + 1 };
      const insert = { ...SQL.insertGroup, values: groupValues(accountId, group, stored.revision) };
      const entry = auditInsert(groupEntry(accountId, audit, 'revert', undefined, stored));
      try {
        await this.insertWithPolicies(client, accountId, group, [insert], [entry, ...commit(audit)]);
      } catch (error) {
        if ((error as { code?: unknown }).code === '23505') throw new GroupExistsError();
        throw error;
      }
      return committed(audit, stored);
    });
  }

  updateDeploymentGroup(
    accountId: string,
    groupId: string,
    change: GroupChange,
    audit: Audit,
  ): Promise<StoredGroup | undefined> {
    return this.changed(accountId, async (client) => {
      const current = await lockGroup(client, accountId, groupId);
      if (!current) return undefined;
      const next = change(current);
      if (next === current.group) {
        await client.query('ROLLBACK');
        return current;
      }
      const stored = { group: next, revision: current.revision + 1 };
      const { released, added } = policyChanges(current.group, next);
      const release = released.length > 0 ? [{ ...SQL.release, values: [accountId, groupId, released] }] : [];
      if (added.length > 0) await claimPolicies(client, accountId, groupId, added, release);
      await pipeline(client, [
        ...(added.length === 0 ? release : []),
        { ...SQL.updateGroup, values: [...updateValues(next, stored.revision), groupId, accountId] },
        auditInsert(groupEntry(accountId, audit, 'update', current, stored)),
        ...commit(audit),
      ]);
      return committed(audit, stored);
    });
  }

  deleteDeploymentGroup(
    accountId: string,
    groupId: string,
    audit: Audit,
    check?: DeleteCheck,
  ): Promise<boolean> {
    return this.changed(accountId, async (client) => {
      const current = await lockGroup(client, accountId, groupId);
      if (!current) return false;
      check?.(current);
      // policy_owners rows go with it (ON DELETE CASCADE), in the same statement.
      await pipeline(client, [
        { ...SQL.deleteGroup, values: [groupId, accountId] },
        auditInsert(groupEntry(accountId, audit, 'delete', current, undefined)),
        ...commit(audit),
      ]);
      return committed(audit, true);
    });
  }

  async accountGroups(accountId: string): Promise<StoredGroup[]> {
    return (await this.query<Row>(SQL.accountGroups, [accountId])).rows.map(toStoredGroup);
  }

  async accountGroupVersions(accountId: string): Promise<GroupVersion[]> {
    const { rows } = await this.query<GroupVersion>(SQL.accountGroupVersions, [accountId]);
    return rows.map((r) => ({ id: r.id, revision: Number(r.revision), updated_at: r.updated_at }));
  }

  async accountGroupsById(accountId: string, groupIds: string[]): Promise<StoredGroup[]> {
    return (await this.query<Row>(SQL.accountGroupsById, [accountId, groupIds])).rows.map(toStoredGroup);
  }

  async groupFingerprints(accountIds: string[]): Promise<Map<string, string>> {
    const { rows } = await this.query<FingerprintRow>(SQL.groupFingerprints, [accountIds]);
    const parts = (r: FingerprintRow) => groupFingerprint(Number(r.groups), Number(r.revisions), r.latest);
    return new Map(rows.map((r) => [r.account_id, parts(r)]));
  }

  /** Own writes are announced when they commit; other processes' by their NOTIFY (notifications.ts). */
  watchGroupChanges(listener: GroupChangeListener): () => void {
    const unsubscribe = this.changes.subscribe(listener);
    this.notifications.start();
    return () => {
      unsubscribe();
      if (!this.changes.watched) void this.notifications.stop();
    };
  }

  async groupHistory(
    accountId: string,
    groupId: string,
    { limit, offset }: PageRequest,
  ): Promise<HistoryPage> {
    const [count, page] = await Promise.all([
      this.query<{ total: string }>(SQL.historyCount, [accountId, groupId]),
      this.query<Row>(SQL.history, [accountId, groupId, offset + limit, limit, offset]),
    ]);
    return { entries: page.rows.map(toAuditEntry), total: Number(count.rows[0]?.total ?? 0) };
  }

  async groupRevision(accountId: string, groupId: string, revision: number): Promise<AuditEntry | undefined> {
    const { rows } = await this.query<Row>(SQL.revisionEntry, [accountId, groupId, revision]);
    return rows[0] && toAuditEntry(rows[0]);
  }

  async insertCredential(credential: Credential, audit: Audit): Promise<void> {
    const entries = credentialEntries(audit, 'create', undefined, credential).map(auditInsert);
    await this.transaction((client) =>
      pipeline(client, [
        'BEGIN',
        { ...SQL.insertCredential, values: credentialValues(credential) },
        ...entries,
        'COMMIT',
      ]),
    );
  }

  insertFirstCredential(credential: Credential, audit: Audit): Promise<boolean> {
    // The insert's snapshot is taken after the lock is granted, so a replica that waited sees the
    // credential the first one committed.
    return this.transaction(async (client) => {
      const [, , inserted] = await pipeline(client, [
        'BEGIN',
        { text: LOCK_FIRST_CREDENTIAL, values: [FIRST_CREDENTIAL_LOCK] },
        { ...SQL.insertFirstCredential, values: credentialValues(credential) },
      ]);
      if (inserted?.rowCount !== 1) {
        await client.query('ROLLBACK');
        return false;
      }
      const entries = credentialEntries(audit, 'create', undefined, credential).map(auditInsert);
      await pipeline(client, [...entries, 'COMMIT']);
      return true;
    });
  }

  /**
   * Every authenticated request looks its credential up, so found credentials are held for at most
   * OTHERS_SEEN_WITHIN_MS (other-commits.ts): another replica's revocation applies within that bound,
   * this store's own at once. At most one round trip per credential per 100 ms instead of one per request.
   */
  async findCredentialBySecretHash(secretHash: string): Promise<Credential | undefined> {
    this.others.look();
    const cached = this.credentials.get(secretHash);
    if (cached) return cached;
    const { rows } = await this.query<Row>(SQL.credentialByHash, [secretHash]);
    const credential = rows[0] && toCredential(rows[0]);
    if (credential) this.credentials.set(secretHash, credential);
    return credential;
  }

  async listCredentials(): Promise<Credential[]> {
    return (await this.query<Row>(SQL.listCredentials)).rows.map(toCredential);
  }

  revokeCredential(id: string, revokedAt: string, audit: Audit): Promise<boolean> {
    // Dropped once committed: a lookup while the transaction runs may cache the row as it was.
    return this.transaction(async (client) => {
      const [, revoked] = await pipeline(client, [
        'BEGIN',
        { ...SQL.revokeCredential, values: [revokedAt, id] },
      ]);
      const row = revoked?.rows[0] as Row | undefined;
      if (!row) {
        await client.query('ROLLBACK');
        return false;
      }
      const after = toCredential(row);
      const before = { ...after, revoked_at: null };
      const entries = credentialEntries(audit, 'revoke', before, after).map(auditInsert);
      await pipeline(client, [...entries, 'COMMIT']);
      return true;
    }).finally(() => this.credentials.clear());
  }

  async pruneAuditLog(before: string, limit: number): Promise<number> {
    const { rows } = await this.query<{ pruned: string }>(SQL.pruneAudit, [before, limit]);
    return Number(rows[0]?.pruned ?? 0);
  }

  async pruneIdempotencyKeys(before: string, limit: number): Promise<number> {
    return (await this.query(SQL.pruneIdempotencyKeys, [before, limit])).rowCount ?? 0;
  }

  async *exportRecords(): AsyncGenerator<BackupRecord> {
    const client = await this.connect();
    let failure: unknown;
    try {
      yield* exportRecords(client);
    } catch (error) {
      failure = error;
      throw translate(error);
    } finally {
      // Also reached when the consumer stops early: end the read-only transaction either way.
      if (failure === undefined) await client.query('ROLLBACK').catch((error: unknown) => (failure = error));
      client.release(failure instanceof Error ? failure : undefined);
    }
  }

  importRecords(
    records: AsyncIterable<BackupRecord>,
    { replace = false }: ImportOptions = {},
  ): Promise<ImportCounts> {
    // Never retried: the first attempt consumed the records. Credentials looked up meanwhile may be
    // what the import replaces: dropped when it ends.
    this.credentials.clear();
    return this.changes.after(
      null,
      this.transaction((client) => importRecords(client, records, replace), 1).finally(() =>
        this.credentials.clear(),
      ),
      true,
    );
  }

  /**
   * Inserts a group inside the transaction `first` opens (or continues), claiming its policy IDs, then
   * sends `last` (the audit entry and COMMIT): two round trips, one when it claims none.
   */
  private async insertWithPolicies(
    client: PoolClient,
    accountId: string,
    group: DeploymentGroup,
    first: (string | QueryConfig)[],
    last: (string | QueryConfig)[],
  ): Promise<void> {
    const policyIds = group.policy_ids ?? [];
    if (policyIds.length === 0) {
      await pipeline(client, [...first, ...last]);
      return;
    }
    await claimPolicies(client, accountId, group.id, policyIds, first);
    await pipeline(client, last);
  }

  /** A group write in a transaction (see transaction()), announced to the change feed once settled. */
  private changed<T>(accountId: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.changes.after(accountId, this.transaction(work));
  }

  /** One statement on any pooled connection (autocommit). */
  async listAuditEntries(query: AuditQuery): Promise<AuditEntry[]> {
    return listAuditEntries((config) => this.query(config), query);
  }

  async listAuditAddresses(scope: AuditQuery['scope']): Promise<string[]> {
    return listAuditAddresses((config) => this.query(config), scope);
  }

  insertRollout(accountId: string, rollout: Rollout, check: (others: Rollout[]) => void): Promise<void> {
    return this.rollouts.insert(accountId, rollout, check);
  }

  listRollouts(accountId: string, page: PageRequest, state?: RolloutState): Promise<RolloutPage> {
    return this.rollouts.list(accountId, page, state);
  }

  getRollout(accountId: string, rolloutId: string): Promise<Rollout | undefined> {
    return this.rollouts.get(accountId, rolloutId);
  }

  /** A rollout's step may change its rings: announced like any group write (changes.ts). */
  changeRollout(accountId: string, rolloutId: string, step: RolloutStep): Promise<Rollout | undefined> {
    return this.changes.after(accountId, this.rollouts.change(accountId, rolloutId, step));
  }

  async advanceDueRollout(now: string, step: RolloutStep): Promise<Rollout | undefined> {
    const stepped = await this.rollouts.advance(now, step);
    if (stepped) this.changes.emit(stepped.accountId);
    return stepped?.rollout;
  }

  private async query<R extends QueryResultRow = QueryResultRow>(
    config: QueryConfig,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    try {
      return await this.pool.query<R>(values === undefined ? config : { ...config, values });
    } catch (error) {
      throw translate(error);
    }
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * Runs `work` (which sends its own BEGIN and COMMIT, so they can share round trips) on one
   * connection. On failure the transaction is rolled back; a broken connection is discarded; a
   * deadlock is retried from the start (the change callbacks are pure, so running them again is safe).
   */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>, attempts = ATTEMPTS): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      let result: T;
      try {
        result = await work(client);
      } catch (error) {
        let broken = isConnectionError(error) ? error : undefined;
        if (!broken && client.getTransactionStatus() !== 'I') {
          await client.query('ROLLBACK').catch((rollbackError: unknown) => {
            broken = rollbackError;
          });
        }
        client.release(broken instanceof Error ? broken : undefined);
        if (attempt < attempts && isRetryable(error)) continue;
        throw translate(error);
      }
      client.release();
      return result;
    }
  }
}

interface FingerprintRow {
  account_id: string;
  groups: string;
  revisions: string;
  latest: string | null;
}

/** BEGIN and the group, locked until the transaction ends; undefined (rolled back) if there is none. */
async function lockGroup(
  client: PoolClient,
  accountId: string,
  groupId: string,
): Promise<StoredGroup | undefined> {
  const [, locked] = await pipeline(client, ['BEGIN', { ...SQL.lock, values: [groupId, accountId] }]);
  const row = locked?.rows[0] as Row | undefined;
  if (row) return toStoredGroup(row);
  await client.query('ROLLBACK');
  return undefined;
}

function claimKey(accountId: string, request: IdempotencyRequest): QueryConfig {
  const values = idempotencyValues({
    account_id: accountId,
    credential_id: request.credentialId,
    key: request.key,
    request_hash: request.requestHash,
    status: request.status,
    response: JSON.stringify(request.response),
    created_at: request.at,
  });
  return { ...SQL.claimIdempotencyKey, values: [...values, request.expiredBefore] };
}

/** The key another request holds (committed): its answer to replay, or a mismatch. */
async function heldKey(
  client: PoolClient,
  accountId: string,
  request: IdempotencyRequest,
): Promise<CreateOutcome> {
  const { rows } = await client.query<Row>({
    ...SQL.selectIdempotencyKey,
    values: [accountId, request.credentialId, request.key],
  });
  // Only if it expired and was pruned between the two statements: the client may simply retry.
  if (!rows[0]) throw new StoreUnavailableError(new Error('the idempotency key was pruned meanwhile'));
  const held = toIdempotencyKey(rows[0]);
  if (held.request_hash !== request.requestHash) throw new IdempotencyMismatchError();
  return { replayed: true, status: held.status, response: JSON.parse(held.response) };
}
