// The scale-out backend: any number of stateless replicas share one PostgreSQL database through a `pg`
// pool. Policy ownership is the (account_id, policy_id) primary key of policy_owners, claimed with
// INSERT … ON CONFLICT DO NOTHING RETURNING; an update locks its group row (SELECT … FOR UPDATE) for the
// length of one transaction. The pool runs in pipeline mode, so statements that do not depend on each
// other's results travel together: an update is two round trips (BEGIN + SELECT … FOR UPDATE, then
// UPDATE + COMMIT), three when it claims policy IDs. docs/deployment.md describes operating it.
import pg, { type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { redactUrl } from '../../config.ts';
import {
  CREDENTIAL_COLUMNS,
  type CredentialRow,
  credentialValues,
  GROUP_COLUMNS,
  type GroupRow,
  groupValues,
  serializePolicyIds,
  toCredential,
  toGroup,
} from '../rows.ts';
import {
  type BackupRecord,
  type Credential,
  type DeploymentGroup,
  type GroupChange,
  type GroupPage,
  type ImportCounts,
  type ImportOptions,
  type PageRequest,
  type PolicyConflict,
  PolicyConflictError,
  type Store,
  StoreNotEmptyError,
  StoreUnavailableError,
} from '../store.ts';
import { maintenance, migrate } from './migrate.ts';

export const DEFAULT_POOL_SIZE = 10;
/** How long a request waits for a connection (new or from the busy pool) before it is answered 503. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/**
 * How long a request's statement may wait for its answer. A database that stops answering without
 * closing the connection (a network partition) would otherwise hold the request until TCP gives up.
 */
export const QUERY_TIMEOUT_MS = 10_000;
/** The longest a connection may sit inside a transaction without sending anything. */
const IDLE_IN_TRANSACTION_MS = 60_000;
/** Rows per round trip when exporting and importing. */
const BATCH = 1_000;
/** Deadlocks between two updates claiming each other's IDs are resolved by retrying the loser. */
const ATTEMPTS = 3;
/** Serializes insertFirstCredential across replicas ("RMFIRSTC" in ASCII). */
const FIRST_CREDENTIAL_LOCK = '5930469127658066755';

/** Named (prepared once per connection) statements of the request path. */
const SQL = {
  list: {
    name: 'rm_list',
    text: `SELECT t.total, g.* FROM (SELECT count(*)::int AS total FROM deployment_groups WHERE account_id = $1) t
      LEFT JOIN LATERAL (SELECT ${GROUP_COLUMNS} FROM deployment_groups WHERE account_id = $1
        ORDER BY created_at, id LIMIT $2 OFFSET $3) g ON true
      ORDER BY g.created_at, g.id`,
  },
  get: {
    name: 'rm_get',
    text: `SELECT ${GROUP_COLUMNS} FROM deployment_groups WHERE id = $1 AND account_id = $2`,
  },
  lock: {
    name: 'rm_lock',
    text: `SELECT ${GROUP_COLUMNS} FROM deployment_groups WHERE id = $1 AND account_id = $2 FOR UPDATE`,
  },
  insertGroup: {
    name: 'rm_insert_group',
    text: `INSERT INTO deployment_groups (id, account_id, name, version_config, policy_ids, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  },
  updateGroup: {
    name: 'rm_update_group',
    text: `UPDATE deployment_groups SET name = $1, version_config = $2, policy_ids = $3, updated_at = $4
      WHERE id = $5 AND account_id = $6`,
  },
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
  insertCredential: {
    name: 'rm_insert_credential',
    text: `INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  },
  insertFirstCredential: {
    name: 'rm_insert_first_credential',
    text: `INSERT INTO credentials (${CREDENTIAL_COLUMNS})
      SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE NOT EXISTS (SELECT 1 FROM credentials)`,
  },
  credentialByHash: {
    name: 'rm_credential_by_hash',
    text: `SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE secret_hash = $1`,
  },
  listCredentials: {
    name: 'rm_list_credentials',
    text: `SELECT ${CREDENTIAL_COLUMNS} FROM credentials ORDER BY created_at, id`,
  },
  revokeCredential: {
    name: 'rm_revoke_credential',
    text: 'UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
  },
} as const;

/** Node socket errors that mean the server cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** pg's own errors for a connection that failed, timed out, was closed, or a pool that was ended. */
const DRIVER_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|timeout expired|not queryable|Query read timeout|Cannot use a pool after calling end/i;

export interface PostgresStoreOptions {
  /** postgres:// or postgresql:// connection string. */
  url: string;
  /** Connections this process may hold at most (DATABASE_POOL_SIZE). */
  poolSize?: number;
  connectionTimeoutMillis?: number;
  queryTimeoutMillis?: number;
}

/** Opens the pool, applies pending migrations (under the advisory lock) and returns the store. */
export async function openPostgresStore({
  url,
  poolSize = DEFAULT_POOL_SIZE,
  connectionTimeoutMillis = CONNECTION_TIMEOUT_MS,
  queryTimeoutMillis = QUERY_TIMEOUT_MS,
}: PostgresStoreOptions): Promise<PostgresStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis,
    // Client-side: on expiry pg closes the connection (the pool drops it) and the request gets a 503.
    query_timeout: queryTimeoutMillis,
    // Server-side: a replica that stalls inside a transaction (frozen, not dead) cannot hold a group's
    // row lock for more than this; PostgreSQL ends its session. Export and import lift it for themselves.
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    pipeline: true,
    application_name: 'ringmaster',
  });
  // An idle connection that dies (server restart, network) is dropped by the pool and reported here;
  // without a listener the process would crash. The next request simply opens a new connection.
  pool.on('error', () => {});
  // The same for a connection that dies while checked out: the error also reaches its pending queries.
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    // A host with several addresses fails with an AggregateError, whose message is empty.
    const reason =
      (error instanceof Error && (error.message || (error as { code?: string }).code)) || String(error);
    throw new Error(`cannot open the PostgreSQL database ${redactUrl(url)}: ${reason}`, { cause: error });
  }
  return new PostgresStore(pool);
}

export class PostgresStore implements Store {
  readonly backend = 'postgres';

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
    const { rows } = await this.query<GroupRow & { total: number }>(SQL.list, [accountId, limit, offset]);
    const total = rows[0]?.total ?? 0;
    return { groups: rows.filter((row) => row.id !== null).map(toGroup), total };
  }

  async getDeploymentGroup(accountId: string, groupId: string): Promise<DeploymentGroup | undefined> {
    const { rows } = await this.query<GroupRow>(SQL.get, [groupId, accountId]);
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
      await this.claimPolicies(client, accountId, group.id, policyIds, ['BEGIN', insert]);
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
      const row = locked?.rows[0] as GroupRow | undefined;
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
      const held = new Set(current.policy_ids);
      const kept = new Set(next.policy_ids);
      const released = [...held].filter((policyId) => !kept.has(policyId));
      const added = (next.policy_ids ?? []).filter((policyId) => !held.has(policyId));
      const release = released.length > 0 ? [{ ...SQL.release, values: [accountId, groupId, released] }] : [];
      if (added.length > 0) await this.claimPolicies(client, accountId, groupId, added, release);
      await pipeline(client, [
        ...(added.length === 0 ? release : []),
        {
          ...SQL.updateGroup,
          values: [
            next.name,
            JSON.stringify(next.version_config),
            serializePolicyIds(next.policy_ids),
            next.updated_at,
            groupId,
            accountId,
          ],
        },
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
        { text: 'SELECT pg_advisory_xact_lock($1)', values: [FIRST_CREDENTIAL_LOCK] },
        { ...SQL.insertFirstCredential, values: credentialValues(credential) },
        'COMMIT',
      ]);
      return inserted?.rowCount === 1;
    });
  }

  async findCredentialBySecretHash(secretHash: string): Promise<Credential | undefined> {
    const { rows } = await this.query<CredentialRow>(SQL.credentialByHash, [secretHash]);
    return rows[0] && toCredential(rows[0]);
  }

  async listCredentials(): Promise<Credential[]> {
    return (await this.query<CredentialRow>(SQL.listCredentials)).rows.map(toCredential);
  }

  async revokeCredential(id: string, revokedAt: string): Promise<boolean> {
    return ((await this.query(SQL.revokeCredential, [revokedAt, id])).rowCount ?? 0) > 0;
  }

  async *exportRecords(): AsyncGenerator<BackupRecord> {
    const client = await this.connect();
    let failure: unknown;
    try {
      // One snapshot for the whole export, however long the consumer takes, without blocking writers.
      await client.query(maintenance('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'));
      // The consumer may be slow (a pipe, a network copy): waiting on it is not being stuck.
      await client.query('SET LOCAL idle_in_transaction_session_timeout = 0');
      let last: (GroupRow & { account_id: string }) | undefined;
      for (;;) {
        const { rows } = await client.query<GroupRow & { account_id: string }>(
          maintenance(
            `SELECT account_id, ${GROUP_COLUMNS} FROM deployment_groups
             ${last ? 'WHERE (account_id, created_at, id) > ($2, $3, $4)' : ''}
             ORDER BY account_id, created_at, id LIMIT $1`,
            last ? [BATCH, last.account_id, last.created_at, last.id] : [BATCH],
          ),
        );
        for (const row of rows)
          yield { type: 'deployment_group', accountId: row.account_id, group: toGroup(row) };
        last = rows.at(-1);
        if (rows.length < BATCH) break;
      }
      let lastCredential: CredentialRow | undefined;
      for (;;) {
        const { rows } = await client.query<CredentialRow>(
          maintenance(
            `SELECT ${CREDENTIAL_COLUMNS} FROM credentials
             ${lastCredential ? 'WHERE (created_at, id) > ($2, $3)' : ''} ORDER BY created_at, id LIMIT $1`,
            lastCredential ? [BATCH, lastCredential.created_at, lastCredential.id] : [BATCH],
          ),
        );
        for (const row of rows) yield { type: 'credential', credential: toCredential(row) };
        lastCredential = rows.at(-1);
        if (rows.length < BATCH) break;
      }
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
    return this.transaction(async (client) => {
      // The records may arrive slowly (read from a pipe); waiting for them is not being stuck.
      await pipeline(client, ['BEGIN', 'SET LOCAL idle_in_transaction_session_timeout = 0']);
      // Writers on other replicas wait until the import commits (readers do not), so nothing slips in
      // between the emptiness check and the import.
      await client.query(
        maintenance('LOCK TABLE deployment_groups, policy_owners, credentials IN EXCLUSIVE MODE'),
      );
      const { rows } = await client.query<{ used: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM deployment_groups) OR EXISTS (SELECT 1 FROM credentials) AS used',
      );
      if (rows[0]?.used && !replace) throw new StoreNotEmptyError();
      if (rows[0]?.used) {
        await client.query(
          maintenance('DELETE FROM policy_owners; DELETE FROM deployment_groups; DELETE FROM credentials'),
        );
      }

      const counts: ImportCounts = { deploymentGroups: 0, credentials: 0 };
      let groups: { accountId: string; group: DeploymentGroup }[] = [];
      let credentials: Credential[] = [];
      const flushGroups = async () => {
        if (groups.length > 0) await importGroups(client, groups);
        counts.deploymentGroups += groups.length;
        groups = [];
      };
      const flushCredentials = async () => {
        if (credentials.length > 0) await importCredentials(client, credentials);
        counts.credentials += credentials.length;
        credentials = [];
      };
      for await (const record of records) {
        if (record.type === 'deployment_group') {
          groups.push({ accountId: record.accountId, group: record.group });
          if (groups.length === BATCH) await flushGroups();
        } else {
          credentials.push(record.credential);
          if (credentials.length === BATCH) await flushCredentials();
        }
      }
      await flushGroups();
      await flushCredentials();
      await client.query(maintenance('COMMIT'));
      return counts;
    }, 1); // never retried: the first attempt consumed the records
  }

  /**
   * Claims `policyIds` for the group inside the caller's transaction, sending `before` (statements the
   * claim depends on, such as BEGIN) in the same round trip. Throws PolicyConflictError listing every
   * ID another group owns; the caller's transaction is then rolled back.
   */
  private async claimPolicies(
    client: PoolClient,
    accountId: string,
    groupId: string,
    policyIds: string[],
    before: (string | QueryConfig)[] = [],
  ): Promise<void> {
    let pending = policyIds;
    const conflicts: PolicyConflict[] = [];
    for (let round = 0; pending.length > 0; round++) {
      // Sorted, so two transactions claiming overlapping IDs take their locks in the same order.
      const claim = { ...SQL.claim, values: [accountId, groupId, [...pending].sort()] };
      const results = await pipeline(client, round === 0 ? [...before, claim] : [claim]);
      const rows = (results.at(-1) as QueryResult<{ policy_id: string }>).rows;
      if (rows.length === pending.length) break;
      const claimed = new Set(rows.map((row) => row.policy_id));
      const refused = pending.filter((policyId) => !claimed.has(policyId));
      const owners = await client.query<{ policy_id: string; group_id: string }>({
        ...SQL.owners,
        values: [accountId, refused],
      });
      const ownerOf = new Map(owners.rows.map((row) => [row.policy_id, row.group_id]));
      for (const policyId of refused) {
        const owner = ownerOf.get(policyId);
        if (owner !== undefined && owner !== groupId) conflicts.push({ policyId, groupId: owner });
      }
      // An owner that let go between our insert and our read: claim those again.
      pending = refused.filter((policyId) => !ownerOf.has(policyId));
      if (round === ATTEMPTS && pending.length > 0)
        throw new Error('policy ownership kept changing; try again');
    }
    if (conflicts.length > 0) {
      const order = new Map(policyIds.map((policyId, i) => [policyId, i]));
      conflicts.sort((a, b) => (order.get(a.policyId) ?? 0) - (order.get(b.policyId) ?? 0));
      throw new PolicyConflictError(conflicts);
    }
  }

  /** One statement on any pooled connection (autocommit). */
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

/**
 * Sends `steps` together and waits for all; throws the first statement's error (the statements after a
 * failed one fail too, and a COMMIT after it rolls back). Pipeline mode sends each query without
 * waiting for the one before; corking the socket makes them one write instead of one each.
 */
async function pipeline(
  client: PoolClient,
  steps: (string | QueryConfig)[],
): Promise<(QueryResult | undefined)[]> {
  const socket = client.connection.stream;
  socket.cork();
  let sent: Promise<QueryResult>[];
  try {
    sent = steps.map((step) => client.query(step as QueryConfig));
  } finally {
    socket.uncork();
  }
  const settled = await Promise.allSettled(sent);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
}

async function importGroups(client: PoolClient, batch: { accountId: string; group: DeploymentGroup }[]) {
  const column = <T>(pick: (entry: { accountId: string; group: DeploymentGroup }) => T) => batch.map(pick);
  await client.query(
    maintenance(
      `INSERT INTO deployment_groups (id, account_id, name, version_config, policy_ids, created_at, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
      [
        column((e) => e.group.id),
        column((e) => e.accountId),
        column((e) => e.group.name),
        column((e) => JSON.stringify(e.group.version_config)),
        column((e) => serializePolicyIds(e.group.policy_ids)),
        column((e) => e.group.created_at),
        column((e) => e.group.updated_at),
      ],
    ),
  );
  const claims = batch.flatMap(({ accountId, group }) =>
    (group.policy_ids ?? []).map((policyId) => ({ accountId, policyId, groupId: group.id })),
  );
  if (claims.length === 0) return;
  const { rows } = await client.query<{ account_id: string; policy_id: string; group_id: string }>(
    maintenance(
      `INSERT INTO policy_owners (account_id, policy_id, group_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (account_id, policy_id) DO NOTHING RETURNING account_id, policy_id, group_id`,
      [claims.map((c) => c.accountId), claims.map((c) => c.policyId), claims.map((c) => c.groupId)],
    ),
  );
  if (rows.length === claims.length) return;
  const claimed = new Set(rows.map((row) => `${row.account_id}\n${row.policy_id}\n${row.group_id}`));
  const refused = claims.filter((c) => !claimed.has(`${c.accountId}\n${c.policyId}\n${c.groupId}`));
  const owners = await client.query<{ account_id: string; policy_id: string; group_id: string }>(
    `SELECT o.account_id, o.policy_id, o.group_id FROM policy_owners o
     JOIN unnest($1::text[], $2::text[]) AS r (account_id, policy_id) USING (account_id, policy_id)`,
    [refused.map((c) => c.accountId), refused.map((c) => c.policyId)],
  );
  const ownerOf = new Map(owners.rows.map((row) => [`${row.account_id}\n${row.policy_id}`, row.group_id]));
  throw new PolicyConflictError(
    refused.map((c) => ({
      policyId: c.policyId,
      groupId: ownerOf.get(`${c.accountId}\n${c.policyId}`) ?? c.groupId,
    })),
  );
}

async function importCredentials(client: PoolClient, batch: Credential[]) {
  const rows = batch.map(credentialValues);
  await client.query(
    maintenance(
      `INSERT INTO credentials (${CREDENTIAL_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::text[])`,
      Array.from({ length: 10 }, (_, i) => rows.map((row) => row[i])),
    ),
  );
}

/** Connection-class failures: the database is down, restarting, unreachable, full or out of slots. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // 08: connection exception; 53: insufficient resources (53300 too many connections, disk full);
    // 57P01-03: admin shutdown, crash shutdown, cannot connect now (starting up, recovery).
    if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
  }
  if (DRIVER_MESSAGES.test(error.message)) return true;
  return error.cause !== undefined && isConnectionError(error.cause);
}

/** Deadlock or serialization failure: the transaction can run again from the start. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

function translate(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  return isConnectionError(error) ? new StoreUnavailableError(error) : error;
}
