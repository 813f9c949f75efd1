// The embedded backend: one better-sqlite3 connection (opened by open.ts) in WAL mode with
// synchronous=FULL. Writes go through group commit (group-commit.ts), so every acknowledged write is
// durable and one fsync covers all the writes that arrive together (docs/decisions/0003-sqlite-durability.md).
import type { Database } from 'better-sqlite3';
import { credentialEntries, groupEntry } from '../../audit/entries.ts';
import type { AuditEntry, NewAuditEntry } from '../../audit/model.ts';
import type { DeploymentGroup } from '../../deployment-groups/model.ts';
import type { Rollout, RolloutState } from '../../rollouts/model.ts';
import type { Credential } from '../../tokens/model.ts';
import type { AuditQuery } from '../audit-query.ts';
import type { BackupRecord } from '../backup.ts';
import { ChangeFeed, type GroupChangeListener, groupFingerprint } from '../changes.ts';
import { OTHERS_SEEN_WITHIN_MS, OtherCommits } from '../other-commits.ts';
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
} from '../store.ts';
import { WireCache } from '../wire-cache.ts';
import { insertAuditEntry, listAuditAddresses, listAuditEntries } from './audit.ts';
import { exportRecords, importRecords } from './backup.ts';
import { translate } from './errors.ts';
import { GroupCommit } from './group-commit.ts';
import { openSqliteDatabase } from './open.ts';
import { claimPolicies, releasePolicies } from './policies.ts';
import { SqliteRollouts } from './rollouts.ts';
import { prepareStatements, type Statements } from './statements.ts';

interface FingerprintRow {
  account_id: string;
  groups: number;
  revisions: number;
  latest: string | null;
}

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
  private readonly rollouts: SqliteRollouts;
  /** Credentials found by secret hash. */
  private readonly credentials = new Map<string, Credential>();
  /** Group changes, for the version targets (changes.ts): own writes, and others' via `others`. */
  private readonly changes = new ChangeFeed();
  /** While anyone follows the change feed: looks for others' commits every OTHERS_SEEN_WITHIN_MS. */
  private changePoll: NodeJS.Timeout | undefined;
  /** Groups' wire JSON by (id, revision) (wire-cache.ts), stamped by wireStamp(). */
  readonly wires = new WireCache();
  /**
   * Other processes' commits (`PRAGMA data_version`; other-commits.ts): each drops the credentials and wire
   * JSON held and is announced on the change feed (which groups, data_version does not say, and an import
   * may restore the same revisions with other contents: every held account is read again).
   */
  private readonly others: OtherCommits;
  /** readPage() in one read transaction. */
  private readonly pageTransaction: (
    accountId: string,
    limit: number,
    offset: number,
    key: string,
  ) => GroupWirePage;

  /** `db` comes from openSqliteDatabase(): configured and migrated. */
  constructor(private readonly db: Database) {
    this.s = prepareStatements(db);
    this.others = new OtherCommits(() => this.s.dataVersion.get());
    this.others.onCommit(() => {
      this.credentials.clear();
      this.wires.clear();
      // After the read or the tick that looked: listeners read the store again.
      queueMicrotask(() => this.changes.emit(null, true));
    });
    this.pageTransaction = db.transaction((accountId: string, limit: number, offset: number, key: string) =>
      this.readPage(accountId, limit, offset, key),
    );
    this.commits = new GroupCommit(db);
    this.rollouts = new SqliteRollouts(db, this.commits, this.s);
  }

  async ping(): Promise<void> {
    this.read(() => this.s.ping.get());
  }

  async close(): Promise<void> {
    clearInterval(this.changePoll);
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

  async getDeploymentGroup(accountId: string, groupId: string): Promise<StoredGroup | undefined> {
    return this.read(() => {
      const row = this.s.get.get(groupId, accountId) as Row | undefined;
      return row && toStoredGroup(row);
    });
  }

  async listGroupWires(accountId: string, { limit, offset }: PageRequest): Promise<GroupWirePage> {
    return this.read(() => {
      const key = `${accountId} ${limit} ${offset}`;
      return this.wires.page(key, this.wireStamp()) ?? this.pageTransaction(accountId, limit, offset, key);
    });
  }

  /**
   * A page not held since the last commit: its total and revisions in one read transaction (so that the
   * page held is one state of the database, and data_version, read inside it, is that state's), then the
   * held JSON of every revision it finds — or the full rows if any is missing.
   */
  private readPage(accountId: string, limit: number, offset: number, key: string): GroupWirePage {
    const total = (this.s.count.get(accountId) as number | undefined) ?? 0;
    const versions =
      offset >= total
        ? []
        : (this.s.listRevisions.all(accountId, limit, offset) as { id: string; revision: number }[]);
    const stamp = this.wireStamp();
    const groups: string[] = [];
    for (const { id, revision } of versions) {
      const wire = this.wires.get(accountId, id, revision, stamp);
      if (wire === undefined) break;
      groups.push(wire.json);
    }
    const page = {
      groups: groups.length < versions.length ? this.loadPage(accountId, limit, offset, stamp) : groups,
      total,
    };
    this.wires.putPage(key, page, stamp);
    return page;
  }

  async getGroupWire(accountId: string, groupId: string): Promise<GroupWire | undefined> {
    return this.read(() => {
      const held = this.wires.current(accountId, groupId, this.wireStamp());
      if (held) return held;
      const revision = this.s.revision.get(groupId, accountId) as number | undefined;
      const stamp = this.wireStamp();
      if (revision === undefined) return undefined;
      const wire = this.wires.get(accountId, groupId, revision, stamp);
      if (wire) return wire;
      const row = this.s.get.get(groupId, accountId) as Row | undefined;
      return row && this.wires.put(accountId, toStoredGroup(row), stamp);
    });
  }

  /** A page read in full (some of its groups were not held), its groups' wire JSON kept. */
  private loadPage(accountId: string, limit: number, offset: number, stamp: number): string[] {
    const rows = this.s.list.all(accountId, limit, offset) as Row[];
    return rows.map((row) => this.wires.put(accountId, toStoredGroup(row), stamp).json);
  }

  /**
   * The stamp of what is read now (wire-cache.ts): this connection's commit count, after dropping everything
   * held if another process has committed (looked at no more than every OTHERS_SEEN_WITHIN_MS, the bound
   * on every commit of another process: `db import`, `tokens revoke`; docs/decisions/0014). This process's
   * own commits move the stamp at once.
   */
  private wireStamp(): number {
    this.others.look();
    return this.commits.stamp;
  }

  createDeploymentGroup(
    accountId: string,
    group: DeploymentGroup,
    audit: Audit,
    idempotency?: IdempotencyRequest,
  ): Promise<CreateOutcome> {
    return this.changed(accountId, (): CreateOutcome => {
      if (idempotency) {
        const held = this.claimKey(accountId, idempotency);
        if (held) return held;
      }
      const stored = { group, revision: 1 };
      this.s.insertGroup.run(...groupValues(accountId, group));
      claimPolicies(this.s, accountId, group.id, group.policy_ids ?? []);
      this.audit(groupEntry(accountId, audit, 'create', undefined, stored));
      return committed(audit, { replayed: false, stored });
    });
  }

  restoreDeploymentGroup(accountId: string, group: DeploymentGroup, audit: Audit): Promise<StoredGroup> {
    return this.changed(accountId, () => {
      if (this.s.get.get(group.id, accountId)) throw new GroupExistsError();
      const last = (this.s.lastRevision.get(accountId, group.id) as number | null) ?? 0;
      const stored = { group, revision: last + 1 };
      this.s.insertGroup.run(...groupValues(accountId, group, stored.revision));
      claimPolicies(this.s, accountId, group.id, group.policy_ids ?? []);
      this.audit(groupEntry(accountId, audit, 'revert', undefined, stored));
      return committed(audit, stored);
    });
  }

  updateDeploymentGroup(
    accountId: string,
    groupId: string,
    change: GroupChange,
    audit: Audit,
  ): Promise<StoredGroup | undefined> {
    return this.changed(accountId, () => {
      const row = this.s.get.get(groupId, accountId) as Row | undefined;
      if (!row) return undefined;
      const current = toStoredGroup(row);
      const next = change(current);
      if (next === current.group) return current;
      const { released, added } = policyChanges(current.group, next);
      releasePolicies(this.s, accountId, released);
      claimPolicies(this.s, accountId, groupId, added);
      const stored = { group: next, revision: current.revision + 1 };
      this.s.updateGroup.run(...updateValues(next, stored.revision), groupId, accountId);
      this.audit(groupEntry(accountId, audit, 'update', current, stored));
      return committed(audit, stored);
    });
  }

  deleteDeploymentGroup(
    accountId: string,
    groupId: string,
    audit: Audit,
    check?: DeleteCheck,
  ): Promise<boolean> {
    return this.changed(accountId, () => {
      const row = this.s.get.get(groupId, accountId) as Row | undefined;
      if (!row) return false;
      const current = toStoredGroup(row);
      check?.(current);
      // policy_owners rows go with it (ON DELETE CASCADE).
      this.s.deleteGroup.run(groupId, accountId);
      this.audit(groupEntry(accountId, audit, 'delete', current, undefined));
      return committed(audit, true);
    });
  }

  async accountGroups(accountId: string): Promise<StoredGroup[]> {
    // Row by row: each row's JSON text is garbage once parsed (an account may hold a million policies).
    return this.read(() =>
      Array.from(this.s.accountGroups.iterate(accountId) as Iterable<Row>, toStoredGroup),
    );
  }

  async accountGroupVersions(accountId: string): Promise<GroupVersion[]> {
    return this.read(() => this.s.accountGroupVersions.all(accountId) as GroupVersion[]);
  }

  async accountGroupsById(accountId: string, groupIds: string[]): Promise<StoredGroup[]> {
    return this.read(() =>
      (this.s.accountGroupsById.all(accountId, JSON.stringify(groupIds)) as Row[]).map(toStoredGroup),
    );
  }

  async groupFingerprints(accountIds: string[]): Promise<Map<string, string>> {
    return this.read(() => {
      const rows = this.s.groupFingerprints.all(JSON.stringify(accountIds)) as FingerprintRow[];
      return new Map(rows.map((r) => [r.account_id, groupFingerprint(r.groups, r.revisions, r.latest)]));
    });
  }

  /**
   * Own writes are announced when they commit; another process's (the CLI's `db import`, another
   * connection) within OTHERS_SEEN_WITHIN_MS: `others` is looked at that often while anyone listens.
   */
  watchGroupChanges(listener: GroupChangeListener): () => void {
    const unsubscribe = this.changes.subscribe(listener);
    this.changePoll ??= setInterval(() => {
      try {
        this.others.look();
      } catch {
        // closed or unavailable: the next tick tries again
      }
    }, OTHERS_SEEN_WITHIN_MS).unref();
    return () => {
      unsubscribe();
      if (this.changes.watched) return;
      clearInterval(this.changePoll);
      this.changePoll = undefined;
    };
  }

  /** A group write through group commit, announced to the change feed once it has settled. */
  private changed<T>(accountId: string, run: () => T): Promise<T> {
    return this.changes.after(accountId, this.commits.write(run));
  }

  async groupHistory(
    accountId: string,
    groupId: string,
    { limit, offset }: PageRequest,
  ): Promise<HistoryPage> {
    return this.read(() => {
      const total = (this.s.historyCount.get(accountId, groupId) as number | undefined) ?? 0;
      if (offset >= total) return { entries: [], total };
      const rows = this.s.history.all(accountId, groupId, offset + limit, limit, offset) as Row[];
      return { entries: rows.map(toAuditEntry), total };
    });
  }

  async groupRevision(accountId: string, groupId: string, revision: number): Promise<AuditEntry | undefined> {
    return this.read(() => {
      const row = this.s.revisionEntry.get(accountId, groupId, revision) as Row | undefined;
      return row && toAuditEntry(row);
    });
  }

  insertCredential(credential: Credential, audit: Audit): Promise<void> {
    return this.commits.write(() => {
      this.s.insertCredential.run(...credentialValues(credential));
      for (const entry of credentialEntries(audit, 'create', undefined, credential)) this.audit(entry);
    });
  }

  insertFirstCredential(credential: Credential, audit: Audit): Promise<boolean> {
    return this.commits.write(() => {
      if (this.s.anyCredential.get()) return false;
      this.s.insertCredential.run(...credentialValues(credential));
      for (const entry of credentialEntries(audit, 'create', undefined, credential)) this.audit(entry);
      return true;
    });
  }

  /**
   * Every authenticated request looks its credential up, so found credentials are held: dropped within
   * OTHERS_SEEN_WITHIN_MS of another connection's commit (other-commits.ts: e.g.
   * `ringmaster tokens revoke` in another process), and at once by this store's own revocations and imports.
   */
  async findCredentialBySecretHash(secretHash: string): Promise<Credential | undefined> {
    return this.read(() => {
      this.others.look();
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

  revokeCredential(id: string, revokedAt: string, audit: Audit): Promise<boolean> {
    return this.commits.write(() => {
      this.credentials.clear();
      const row = this.s.credentialById.get(id) as Row | undefined;
      if (!row || this.s.revokeCredential.run(revokedAt, id).changes === 0) return false;
      const before = toCredential(row);
      const after = { ...before, revoked_at: revokedAt };
      for (const entry of credentialEntries(audit, 'revoke', before, after)) this.audit(entry);
      return true;
    });
  }

  pruneAuditLog(before: string, limit: number): Promise<number> {
    return this.commits.write(() => {
      this.s.uncountPrunedGroupAudit.run(before, limit);
      this.s.uncountPrunedOtherAudit.run(before, limit);
      return this.s.pruneAudit.run(before, limit).changes;
    });
  }

  pruneIdempotencyKeys(before: string, limit: number): Promise<number> {
    return this.commits.write(() => this.s.pruneIdempotencyKeys.run(before, limit).changes);
  }

  exportRecords(): AsyncGenerator<BackupRecord> {
    return exportRecords(this.db);
  }

  importRecords(
    records: AsyncIterable<BackupRecord>,
    { replace = false }: ImportOptions = {},
  ): Promise<ImportCounts> {
    const imported = this.commits.exclusively(async () => {
      this.credentials.clear();
      this.wires.clear();
      try {
        return await importRecords(this.db, this.s, records, replace);
      } finally {
        // Lookups made while the import ran may have cached what it replaced; own commits do not move
        // data_version, so drop them here. (An import may restore revisions held with other contents.)
        this.credentials.clear();
        this.wires.clear();
      }
    });
    return this.changes.after(null, imported, true);
  }

  /** Inside a write: the entry goes into the same transaction as the change it records. */
  private audit(entry: NewAuditEntry): void {
    insertAuditEntry(this.s, entry);
  }

  /**
   * Inside a write: stores the key (or replaces an expired one) and returns nothing, so that the create
   * goes on; or returns the first answer to replay; or throws if the key came with another request.
   */
  private claimKey(accountId: string, request: IdempotencyRequest): CreateOutcome | undefined {
    const { credentialId, key, requestHash, status, response, at, expiredBefore } = request;
    const values = idempotencyValues({
      account_id: accountId,
      credential_id: credentialId,
      key,
      request_hash: requestHash,
      status,
      response: JSON.stringify(response),
      created_at: at,
    });
    if (this.s.claimIdempotencyKey.get(...values, expiredBefore)) return undefined;
    const held = toIdempotencyKey(this.s.selectIdempotencyKey.get(accountId, credentialId, key) as Row);
    if (held.request_hash !== requestHash) throw new IdempotencyMismatchError();
    return { replayed: true, status: held.status, response: JSON.parse(held.response) };
  }

  async listAuditEntries(query: AuditQuery): Promise<AuditEntry[]> {
    return this.read(() => listAuditEntries(this.db, query));
  }

  async listAuditAddresses(scope: AuditQuery['scope']): Promise<string[]> {
    return this.read(() => listAuditAddresses(this.db, scope));
  }

  insertRollout(accountId: string, rollout: Rollout, check: (others: Rollout[]) => void): Promise<void> {
    return this.rollouts.insert(accountId, rollout, check);
  }

  async listRollouts(accountId: string, page: PageRequest, state?: RolloutState): Promise<RolloutPage> {
    return this.read(() => this.rollouts.list(accountId, page, state));
  }

  async getRollout(accountId: string, rolloutId: string): Promise<Rollout | undefined> {
    return this.read(() => this.rollouts.get(accountId, rolloutId));
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

  private read<T>(query: () => T): T {
    try {
      return query();
    } catch (error) {
      throw translate(error);
    }
  }
}
