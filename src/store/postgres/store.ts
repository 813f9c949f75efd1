// The scale-out backend: any number of stateless replicas share one PostgreSQL database through a `pg`
// pool (opened by open.ts). Policy ownership is the (account_id, policy_id) primary key of policy_owners
// (policies.ts); an update locks its group row (SELECT … FOR UPDATE) for the length of one transaction.
// The pool runs in pipeline mode, so statements that do not depend on each other's results travel
// together: an update is two round trips (BEGIN + SELECT … FOR UPDATE, then UPDATE + COMMIT), three when
// it claims policy IDs. docs/deployment.md describes operating it.
import type pg from 'pg';
import type { PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { AuditEntry } from '../../audit/model.ts';
import type { DeploymentGroup } from '../../deployment-groups/model.ts';
import type { Credential } from '../../tokens/model.ts';
import type { AuditQuery } from '../audit-query.ts';
import type { BackupRecord } from '../backup.ts';
import { policyChanges } from '../ownership.ts';
import { credentialValues, groupValues, type Row, toCredential, toGroup, updateValues } from '../rows.ts';
import type { GroupChange, GroupPage, ImportCounts, ImportOptions, PageRequest, Store } from '../store.ts';
import { listAuditAddresses, listAuditEntries } from './audit.ts';
import { exportRecords, importRecords } from './backup.ts';
import { isConnectionError, isRetryable, translate } from './errors.ts';
import { openPostgresPool, type PostgresStoreOptions } from './open.ts';
import { pipeline } from './pipeline.ts';
import { claimPolicies } from './policies.ts';
import { FIRST_CREDENTIAL_LOCK, LOCK_FIRST_CREDENTIAL, SQL } from './statements.ts';

/** Deadlocks between two updates claiming each other's IDs are resolved by retrying the loser. */
const ATTEMPTS = 3;

/** Opens the pool, applies pending migrations (under the advisory lock) and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  return new PostgresStore(await openPostgresPool(options));
}

export class PostgresStore implements Store {
  readonly backend = 'postgres';

  /** `pool` comes from openPostgresPool(): configured and migrated. */
  constructor(private readonly pool: pg.Pool) {}

  async ping(): Promise<void> {
    await this.query({ text: 'SELECT 1' });
  }

  async close(): Promise<void> {
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

  async getDeploymentGroup(accountId: string, groupId: string): Promise<DeploymentGroup | undefined> {
    const { rows } = await this.query<Row>(SQL.get, [groupId, accountId]);
    return rows[0] && toGroup(rows[0]);
  }

  async createDeploymentGroup(accountId: string, group: DeploymentGroup): Promise<void> {
    const insert = { ...SQL.insertGroup, values: groupValues(accountId, group) };
    const policyIds = group.policy_ids ?? [];
    if (policyIds.length === 0) {
      await this.query(insert);
      return;
    }
    await this.transaction(async (client) => {
      await claimPolicies(client, accountId, group.id, policyIds, ['BEGIN', insert]);
      await client.query('COMMIT');
    });
  }

  updateDeploymentGroup(
    accountId: string,
    groupId: string,
    change: GroupChange,
  ): Promise<DeploymentGroup | undefined> {
    return this.transaction(async (client) => {
      const [, locked] = await pipeline(client, ['BEGIN', { ...SQL.lock, values: [groupId, accountId] }]);
      const row = locked?.rows[0] as Row | undefined;
      if (!row) {
        await client.query('ROLLBACK');
        return undefined;
      }
      const current = toGroup(row);
      const next = change(current);
      if (next === current) {
        await client.query('ROLLBACK');
        return current;
      }
      const { released, added } = policyChanges(current, next);
      const release = released.length > 0 ? [{ ...SQL.release, values: [accountId, groupId, released] }] : [];
      if (added.length > 0) await claimPolicies(client, accountId, groupId, added, release);
      await pipeline(client, [
        ...(added.length === 0 ? release : []),
        { ...SQL.updateGroup, values: [...updateValues(next), groupId, accountId] },
        'COMMIT',
      ]);
      return next;
    });
  }

  async deleteDeploymentGroup(accountId: string, groupId: string): Promise<boolean> {
    // policy_owners rows go with it (ON DELETE CASCADE), in the same statement.
    return ((await this.query(SQL.deleteGroup, [groupId, accountId])).rowCount ?? 0) > 0;
  }

  async insertCredential(credential: Credential): Promise<void> {
    await this.query(SQL.insertCredential, credentialValues(credential));
  }

  insertFirstCredential(credential: Credential): Promise<boolean> {
    // The insert's snapshot is taken after the lock is granted, so a replica that waited sees the
    // credential the first one committed. One round trip: the four statements travel together.
    return this.transaction(async (client) => {
      const [, , inserted] = await pipeline(client, [
        'BEGIN',
        { text: LOCK_FIRST_CREDENTIAL, values: [FIRST_CREDENTIAL_LOCK] },
        { ...SQL.insertFirstCredential, values: credentialValues(credential) },
        'COMMIT',
      ]);
      return inserted?.rowCount === 1;
    });
  }

  async findCredentialBySecretHash(secretHash: string): Promise<Credential | undefined> {
    const { rows } = await this.query<Row>(SQL.credentialByHash, [secretHash]);
    return rows[0] && toCredential(rows[0]);
  }

  async listCredentials(): Promise<Credential[]> {
    return (await this.query<Row>(SQL.listCredentials)).rows.map(toCredential);
  }

  async revokeCredential(id: string, revokedAt: string): Promise<boolean> {
    return ((await this.query(SQL.revokeCredential, [revokedAt, id])).rowCount ?? 0) > 0;
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
    // Never retried: the first attempt consumed the records.
    return this.transaction((client) => importRecords(client, records, replace), 1);
  }

  /** One statement on any pooled connection (autocommit). */
  async listAuditEntries(query: AuditQuery): Promise<AuditEntry[]> {
    return listAuditEntries((config) => this.query(config), query);
  }

  async listAuditAddresses(scope: AuditQuery['scope']): Promise<string[]> {
    return listAuditAddresses((config) => this.query(config), scope);
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
