// The embedded backend: one better-sqlite3 connection (opened by open.ts) in WAL mode with
// synchronous=FULL. Writes go through group commit (group-commit.ts), so every acknowledged write is
// durable and one fsync covers all the writes that arrive together (docs/decisions/0003-sqlite-durability.md).
import type { Database } from 'better-sqlite3';
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
import { translate } from './errors.ts';
import { GroupCommit } from './group-commit.ts';
import { openSqliteDatabase } from './open.ts';
import { claimPolicies, releasePolicies } from './policies.ts';
import { prepareStatements, type Statements } from './statements.ts';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. Parent directories are created. */
  path: string;
}

export function openSqliteStore({ path }: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(openSqliteDatabase(path));
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  private readonly s: Statements;
  private readonly commits: GroupCommit;
  /** Credentials found by secret hash, valid while `data_version` stays `credentialsSeenAt`. */
  private readonly credentials = new Map<string, Credential>();
  private credentialsSeenAt = -1;

  /** `db` comes from openSqliteDatabase(): configured and migrated. */
  constructor(private readonly db: Database) {
    this.s = prepareStatements(db);
    this.commits = new GroupCommit(db);
  }

  async ping(): Promise<void> {
    this.read(() => this.s.ping.get());
  }

  async close(): Promise<void> {
    this.commits.flush();
    this.db.close();
  }

  async listDeploymentGroups(accountId: string, { limit, offset }: PageRequest): Promise<GroupPage> {
    return this.read(() => {
      const total = (this.s.count.get(accountId) as number | undefined) ?? 0;
      if (offset >= total) return { groups: [], total };
      const rows = this.s.list.all(accountId, limit, offset) as Row[];
      return { groups: rows.map(toGroup), total };
    });
  }

  async getDeploymentGroup(accountId: string, groupId: string): Promise<DeploymentGroup | undefined> {
    return this.read(() => {
      const row = this.s.get.get(groupId, accountId) as Row | undefined;
      return row && toGroup(row);
    });
  }

  createDeploymentGroup(accountId: string, group: DeploymentGroup): Promise<void> {
    return this.commits.write(() => {
      this.s.insertGroup.run(...groupValues(accountId, group));
      claimPolicies(this.s, accountId, group.id, group.policy_ids ?? []);
    });
  }

  updateDeploymentGroup(
    accountId: string,
    groupId: string,
    change: GroupChange,
  ): Promise<DeploymentGroup | undefined> {
    return this.commits.write(() => {
      const row = this.s.get.get(groupId, accountId) as Row | undefined;
      if (!row) return undefined;
      const current = toGroup(row);
      const next = change(current);
      if (next === current) return current;
      const { released, added } = policyChanges(current, next);
      releasePolicies(this.s, accountId, released);
      claimPolicies(this.s, accountId, groupId, added);
      this.s.updateGroup.run(...updateValues(next), groupId, accountId);
      return next;
    });
  }

  deleteDeploymentGroup(accountId: string, groupId: string): Promise<boolean> {
    // policy_owners rows go with it (ON DELETE CASCADE).
    return this.commits.write(() => this.s.deleteGroup.run(groupId, accountId).changes > 0);
  }

  insertCredential(credential: Credential): Promise<void> {
    return this.commits.write(() => {
      this.s.insertCredential.run(...credentialValues(credential));
    });
  }

  insertFirstCredential(credential: Credential): Promise<boolean> {
    return this.commits.write(() => {
      if (this.s.anyCredential.get()) return false;
      this.s.insertCredential.run(...credentialValues(credential));
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
      const version = this.s.dataVersion.get() as number;
      if (version !== this.credentialsSeenAt) {
        this.credentials.clear();
        this.credentialsSeenAt = version;
      }
      const cached = this.credentials.get(secretHash);
      if (cached) return cached;
      const row = this.s.credentialByHash.get(secretHash) as Row | undefined;
      if (!row) return undefined;
      const credential = toCredential(row);
      this.credentials.set(secretHash, credential);
      return credential;
    });
  }

  async listCredentials(): Promise<Credential[]> {
    return this.read(() => (this.s.listCredentials.all() as Row[]).map(toCredential));
  }

  revokeCredential(id: string, revokedAt: string): Promise<boolean> {
    return this.commits.write(() => {
      this.credentials.clear();
      return this.s.revokeCredential.run(revokedAt, id).changes > 0;
    });
  }

  exportRecords(): AsyncGenerator<BackupRecord> {
    return exportRecords(this.db);
  }

  importRecords(
    records: AsyncIterable<BackupRecord>,
    { replace = false }: ImportOptions = {},
  ): Promise<ImportCounts> {
    return this.commits.exclusively(async () => {
      this.credentials.clear();
      try {
        return await importRecords(this.db, this.s, records, replace);
      } finally {
        // Lookups made while the import ran may have cached what it replaced; own commits do not move
        // data_version, so drop them here.
        this.credentials.clear();
      }
    });
  }

  async listAuditEntries(query: AuditQuery): Promise<AuditEntry[]> {
    return this.read(() => listAuditEntries(this.db, query));
  }

  async listAuditAddresses(scope: AuditQuery['scope']): Promise<string[]> {
    return this.read(() => listAuditAddresses(this.db, scope));
  }

  private read<T>(query: () => T): T {
    try {
      return query();
    } catch (error) {
      throw translate(error);
    }
  }
}
