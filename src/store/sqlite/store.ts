// The embedded backend: one better-sqlite3 connection in WAL mode with synchronous=FULL, so every
// acknowledged write survives power loss. Writes go through `write()`, which commits all writes that
// arrive together in one transaction (one fsync), each inside its own savepoint so that one request's
// failure (a 409, say) rolls back only that request (docs/decisions/0003-sqlite-durability.md).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
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
import { migrate } from './migrate.ts';

interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** SQLite result codes that mean "the storage cannot serve now", not "this request is wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|PROTOCOL|NOMEM)/;

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. Parent directories are created. */
  path: string;
}

export function openSqliteStore({ path }: SqliteStoreOptions): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Waiting for another process's write lock blocks the event loop, so wait briefly and answer 503 after.
  db.pragma('busy_timeout = 250');
  migrate(db);
  return new SqliteStore(db);
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  private readonly statements;
  private pending: PendingWrite[] = [];
  /** Credentials found by secret hash, valid while `data_version` stays `credentialsSeenAt`. */
  private readonly credentials = new Map<string, Credential>();
  private credentialsSeenAt = -1;
  /** While an import holds the connection's transaction, queued writes wait for it to finish. */
  private importing = false;

  constructor(private readonly db: Database) {
    const prepare = (sql: string): Statement => db.prepare(sql);
    this.statements = {
      count: prepare('SELECT group_count FROM account_group_counts WHERE account_id = ?').pluck(),
      dataVersion: prepare('PRAGMA data_version').pluck(),
      list: prepare(
        `SELECT ${GROUP_COLUMNS} FROM deployment_groups WHERE account_id = ?
         ORDER BY created_at, id LIMIT ? OFFSET ?`,
      ),
      get: prepare(`SELECT ${GROUP_COLUMNS} FROM deployment_groups WHERE id = ? AND account_id = ?`),
      insertGroup: prepare(
        `INSERT INTO deployment_groups (id, account_id, name, version_config, policy_ids, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateGroup: prepare(
        `UPDATE deployment_groups SET name = ?, version_config = ?, policy_ids = ?, updated_at = ?
         WHERE id = ? AND account_id = ?`,
      ),
      deleteGroup: prepare('DELETE FROM deployment_groups WHERE id = ? AND account_id = ?'),
      claimPolicy: prepare(
        `INSERT INTO policy_owners (account_id, policy_id, group_id) VALUES (?, ?, ?)
         ON CONFLICT (account_id, policy_id) DO NOTHING`,
      ),
      releasePolicy: prepare('DELETE FROM policy_owners WHERE account_id = ? AND policy_id = ?'),
      policyOwner: prepare(
        'SELECT group_id FROM policy_owners WHERE account_id = ? AND policy_id = ?',
      ).pluck(),
      insertCredential: prepare(
        `INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      anyCredential: prepare('SELECT 1 FROM credentials LIMIT 1').pluck(),
      credentialByHash: prepare('SELECT * FROM credentials WHERE secret_hash = ?'),
      listCredentials: prepare('SELECT * FROM credentials ORDER BY created_at, id'),
      revokeCredential: prepare('UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    };
  }

  /**
   * Test hook: the store's own connection, for tests that simulate storage faults on it (e.g. "disk full"
   * through PRAGMA max_page_count, which is per connection). Application code never uses it.
   */
  get connectionForFaultTests(): Database {
    return this.db;
  }

  async ping(): Promise<void> {
    this.read(() => this.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    this.flush();
    this.db.close();
  }

  async listDeploymentGroups(accountId: string, { limit, offset }: PageRequest): Promise<GroupPage> {
    return this.read(() => {
      const total = (this.statements.count.get(accountId) as number | undefined) ?? 0;
      if (offset >= total) return { groups: [], total };
      const rows = this.statements.list.all(accountId, limit, offset) as GroupRow[];
      return { groups: rows.map(toGroup), total };
    });
  }

  async getDeploymentGroup(accountId: string, groupId: string): Promise<DeploymentGroup | undefined> {
    return this.read(() => {
      const row = this.statements.get.get(groupId, accountId) as GroupRow | undefined;
      return row && toGroup(row);
    });
  }

  createDeploymentGroup(accountId: string, group: DeploymentGroup): Promise<void> {
    return this.write(() => {
      const s = this.statements;
      s.insertGroup.run(...groupValues(accountId, group));
      this.claimPolicies(accountId, group.id, group.policy_ids ?? []);
    });
  }

  updateDeploymentGroup(
    accountId: string,
    groupId: string,
    change: GroupChange,
  ): Promise<DeploymentGroup | undefined> {
    return this.write(() => {
      const s = this.statements;
      const row = s.get.get(groupId, accountId) as GroupRow | undefined;
      if (!row) return undefined;
      const current = toGroup(row);
      const next = change(current);
      if (next === current) return current;
      const held = new Set(current.policy_ids);
      const kept = new Set(next.policy_ids);
      for (const policyId of held) if (!kept.has(policyId)) s.releasePolicy.run(accountId, policyId);
      this.claimPolicies(
        accountId,
        groupId,
        (next.policy_ids ?? []).filter((policyId) => !held.has(policyId)),
      );
      s.updateGroup.run(
        next.name,
        JSON.stringify(next.version_config),
        serializePolicyIds(next.policy_ids),
        next.updated_at,
        groupId,
        accountId,
      );
      return next;
    });
  }

  deleteDeploymentGroup(accountId: string, groupId: string): Promise<boolean> {
    return this.write(() => this.statements.deleteGroup.run(groupId, accountId).changes > 0);
  }

  insertCredential(credential: Credential): Promise<void> {
    return this.write(() => {
      this.statements.insertCredential.run(...credentialValues(credential));
    });
  }

  insertFirstCredential(credential: Credential): Promise<boolean> {
    return this.write(() => {
      if (this.statements.anyCredential.get()) return false;
      this.statements.insertCredential.run(...credentialValues(credential));
      return true;
    });
  }

  /**
   * Every authenticated request looks its credential up, so found credentials are cached. The cache is
   * dropped whenever another connection has committed anything (`PRAGMA data_version`, ~1 µs: e.g.
   * `ringmaster tokens revoke` in another process) and by this store's own revocations and imports, so a
   * revocation is refused from the next request on. (Only found credentials are cached; a new one is
   * looked up on its first use.)
   */
  async findCredentialBySecretHash(secretHash: string): Promise<Credential | undefined> {
    return this.read(() => {
      const version = this.statements.dataVersion.get() as number;
      if (version !== this.credentialsSeenAt) {
        this.credentials.clear();
        this.credentialsSeenAt = version;
      }
      const cached = this.credentials.get(secretHash);
      if (cached) return cached;
      const row = this.statements.credentialByHash.get(secretHash) as CredentialRow | undefined;
      if (!row) return undefined;
      const credential = toCredential(row);
      this.credentials.set(secretHash, credential);
      return credential;
    });
  }

  async listCredentials(): Promise<Credential[]> {
    return this.read(() => (this.statements.listCredentials.all() as CredentialRow[]).map(toCredential));
  }

  revokeCredential(id: string, revokedAt: string): Promise<boolean> {
    return this.write(() => {
      this.credentials.clear();
      return this.statements.revokeCredential.run(revokedAt, id).changes > 0;
    });
  }

  async *exportRecords(): AsyncGenerator<BackupRecord> {
    // A file is read through a second, read-only connection inside one transaction: one consistent
    // snapshot (WAL) for the whole export, while this connection goes on writing. An in-memory database
    // has no second connection; it is small by nature and read at once.
    const reader = this.db.memory
      ? this.db
      : new BetterSqlite3(this.db.name, { readonly: true, fileMustExist: true });
    try {
      if (reader !== this.db) reader.exec('BEGIN');
      const groups = reader.prepare(
        `SELECT account_id, ${GROUP_COLUMNS} FROM deployment_groups ORDER BY account_id, created_at, id`,
      );
      const credentials = reader.prepare('SELECT * FROM credentials ORDER BY created_at, id');
      const rows = (statement: Statement) => (reader === this.db ? statement.all() : statement.iterate());
      for (const row of rows(groups) as Iterable<GroupRow & { account_id: string }>) {
        yield { type: 'deployment_group', accountId: row.account_id, group: toGroup(row) };
      }
      for (const row of rows(credentials) as Iterable<CredentialRow>) {
        yield { type: 'credential', credential: toCredential(row) };
      }
    } catch (error) {
      throw translate(error);
    } finally {
      if (reader !== this.db) reader.close();
    }
  }

  async importRecords(
    records: AsyncIterable<BackupRecord>,
    { replace = false }: ImportOptions = {},
  ): Promise<ImportCounts> {
    this.flush();
    this.importing = true;
    this.credentials.clear();
    const s = this.statements;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const used = this.db.prepare(
        'SELECT EXISTS (SELECT 1 FROM deployment_groups) OR EXISTS (SELECT 1 FROM credentials)',
      );
      if (used.pluck().get() && !replace) throw new StoreNotEmptyError();
      this.db.exec('DELETE FROM policy_owners; DELETE FROM deployment_groups; DELETE FROM credentials');
      const counts: ImportCounts = { deploymentGroups: 0, credentials: 0 };
      for await (const record of records) {
        if (record.type === 'deployment_group') {
          const { accountId, group } = record;
          s.insertGroup.run(...groupValues(accountId, group));
          this.claimPolicies(accountId, group.id, group.policy_ids ?? []);
          counts.deploymentGroups++;
        } else {
          s.insertCredential.run(...credentialValues(record.credential));
          counts.credentials++;
        }
      }
      this.db.exec('COMMIT');
      return counts;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw translate(error);
    } finally {
      // Lookups made while the import ran may have cached what it replaced; own commits do not move
      // data_version, so drop them here.
      this.credentials.clear();
      this.importing = false;
      if (this.pending.length > 0) setImmediate(() => this.flush());
    }
  }

  /** Claims each policy ID for the group; throws PolicyConflictError listing every one already owned. */
  private claimPolicies(accountId: string, groupId: string, policyIds: string[]): void {
    const s = this.statements;
    const conflicts: PolicyConflict[] = [];
    for (const policyId of policyIds) {
      if (s.claimPolicy.run(accountId, policyId, groupId).changes === 0) {
        conflicts.push({ policyId, groupId: s.policyOwner.get(accountId, policyId) as string });
      }
    }
    if (conflicts.length > 0) throw new PolicyConflictError(conflicts);
  }

  private read<T>(query: () => T): T {
    try {
      return query();
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * Group commit: queues `run` and, once the current burst of requests has been read, runs every queued
   * write in one IMMEDIATE transaction, each in its own savepoint. The promise settles after COMMIT.
   */
  private write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0 || this.importing) return;
    this.pending = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const write of batch) {
        this.db.exec('SAVEPOINT request');
        try {
          outcomes.push({ ok: true, value: write.run() });
          this.db.exec('RELEASE request');
        } catch (error) {
          // On some errors (SQLITE_FULL, SQLITE_IOERR…) SQLite rolls the whole transaction back by itself:
          // every write of the batch is gone, so the batch fails as one, with that error.
          if (!this.db.inTransaction) throw error;
          this.db.exec('ROLLBACK TO request; RELEASE request');
          outcomes.push({ ok: false, value: error });
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      const failure = translate(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as { ok: boolean; value: unknown };
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(translate(outcome.value));
    });
  }
}

function translate(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) return new StoreUnavailableError(error);
  return error;
}
