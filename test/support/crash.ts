// The crash test, shared by test/crash.test.ts (a few rounds) and scripts/crash.ts
// (20 rounds). Each round starts the real server on the same database (a SQLite file, or a PostgreSQL
// database), lets concurrent writers create, PATCH, DELETE and revert groups, SIGKILLs the process at a
// random moment, checks the SQLite file with SQLite's integrity check, restarts, and checks that:
//   - every acknowledged write is there, with exactly the acknowledged content — or the content of the one
//     later request that was in flight on that group when the process died (each writer has at most one
//     request in flight, and only it touches its own groups); a deleted group stays deleted;
//   - a write in flight at the kill is all or nothing: a create is either absent with every policy ID free,
//     or present with exactly the body sent; a PATCH, DELETE or revert is either wholly applied or not at all;
//   - policy ownership is exactly what the visible groups say: each of their policy IDs is owned by them
//     (claiming it elsewhere answers 409 naming them) and every other ID ever used is free;
//   - the audit trail (docs/contract.md §8.2) is the changes, no more, no less: each group's entries have
//     revisions 1, 2, … n without a gap or a duplicate; every acknowledged change has its entry (revision,
//     action, after); each entry's `before` is the entry before's `after`; the last entry's `after` is the
//     stored group (null once deleted) and n its stored revision; no entry names a group never written.
import assert, { AssertionError } from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ACCOUNT } from './accounts.ts';
import { callApi } from './api.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { Random } from './random.ts';
import { startServer } from './server.ts';

const COLLECTION = `/accounts/${ACCOUNT}/devices/deployment-groups`;
/** Revert is Ringmaster's own route (docs/contract.md §8.3), beside /client/v4. */
const revertPath = (id: string) => `/ringmaster/v1/accounts/${ACCOUNT}/deployment-groups/${id}/revert`;

export interface CrashOptions {
  rounds: number;
  writers?: number;
  seed: number;
  /** Kill between these many milliseconds after the writers start. */
  killAfterMs?: [number, number];
  /** A PostgreSQL server URL: run on a fresh database there instead of a SQLite file. */
  postgresUrl?: string;
  log?: (line: string) => void;
}

export interface CrashFigures {
  seed: number;
  rounds: number;
  backend: 'sqlite' | 'postgres';
  /** Writes answered 200 (creates + PATCHes + DELETEs + reverts). */
  acknowledged: number;
  acknowledgedCreates: number;
  acknowledgedUpdates: number;
  acknowledgedDeletes: number;
  acknowledgedReverts: number;
  /** Audit entries checked against the changes after the last restart. */
  auditEntries: number;
  /** Acknowledged writes whose content was not found after a restart. Must be 0. */
  lost: number;
  /** Writes in flight at a kill, and how many of them turned out applied (wholly). */
  inFlight: number;
  inFlightApplied: number;
  groups: number;
  policyIdsChecked: number;
}

interface Content {
  name: string;
  version_config: { target_environment: string | null; version: string }[];
  policy_ids: string[] | null;
}

type Action = 'create' | 'update' | 'delete' | 'revert';

/** One change of a group: the revision it made, and the content after it (null: deleted). */
interface Change {
  revision: number;
  action: Action;
  content: Content | null;
}

interface KnownGroup {
  id: string;
  writer: number;
  /** The content of the last acknowledged write; null once deleted. */
  acknowledged: Content | null;
  /** Every change of the group, acknowledged (or found applied after a kill), by revision from 1. */
  changes: Change[];
  /** A change sent after them and not answered (in flight at the kill). */
  pending?: Change;
}

interface PendingCreate {
  writer: number;
  body: Content;
}

export async function runCrashRounds(options: CrashOptions): Promise<CrashFigures> {
  const database = await Database.open(options.postgresUrl);
  const run = new CrashRun(options, database);
  try {
    for (let round = 1; round <= options.rounds; round++) await run.round(round);
  } finally {
    await database.cleanUp();
  }
  return run.figures;
}

/** The state one crash run carries from round to round: every group it knows and every policy ID used. */
class CrashRun {
  readonly figures: CrashFigures;
  private readonly random: Random;
  // 'info': startServer waits for the "listening" line.
  private readonly env: Record<string, string>;
  private readonly known = new Map<string, KnownGroup>();
  /** Every policy ID any request ever sent: after each restart, each is owned as the groups say, or free. */
  private readonly everyPolicyId = new Set<string>();
  /** The groups the ownership probes created (and deleted): their audit entries are expected too. */
  private readonly probes = new Set<string>();
  private token: string | undefined;
  private sequence = 0;

  constructor(
    private readonly options: CrashOptions,
    private readonly database: Database,
  ) {
    this.random = new Random(options.seed);
    this.env = { DATABASE_URL: database.url, LOG_LEVEL: 'info' };
    this.figures = {
      seed: options.seed,
      backend: database.backend,
      rounds: 0,
      acknowledged: 0,
      acknowledgedCreates: 0,
      acknowledgedUpdates: 0,
      acknowledgedDeletes: 0,
      acknowledgedReverts: 0,
      auditEntries: 0,
      lost: 0,
      inFlight: 0,
      inFlightApplied: 0,
      groups: 0,
      policyIdsChecked: 0,
    };
  }

  /** Load, SIGKILL, check the file, restart and compare. */
  async round(round: number): Promise<void> {
    const server = await startServer(this.env);
    this.token ??= server.operatorToken;
    assert.ok(this.token, 'the first start prints the operator token');
    const client = new Client(server.baseUrl, this.token);
    const pendingCreates: PendingCreate[] = [];
    let killed = false;
    const writers = this.options.writers ?? 16;
    const load = Promise.all(
      Array.from({ length: writers }, (_, i) => this.write(client, round, i, pendingCreates, () => killed)),
    );
    const [from, to] = this.options.killAfterMs ?? [50, 1500];
    const killAt = this.random.int(from, to);
    await new Promise((resolve) => setTimeout(resolve, killAt));
    // Writers go on until their request fails, so every writer has one in flight at the kill.
    await server.kill();
    killed = true;
    await load;
    client.close();

    // The database, as the dead process left it.
    const inFlight = pendingCreates.length + [...this.known.values()].filter((g) => g.pending).length;
    await this.database.check();

    const restarted = await startServer(this.env);
    const checker = new Client(restarted.baseUrl, this.token);
    try {
      const visible = await listAll(checker);
      const applied = this.reconcile(new Map(visible), pendingCreates);
      this.figures.inFlight += inFlight;
      this.figures.inFlightApplied += applied;
      this.figures.policyIdsChecked = this.everyPolicyId.size;
      await checkOwnership(checker, this.known, this.everyPolicyId, this.probes);
      this.figures.auditEntries = await this.checkAudit(visible);
      this.figures.rounds = round;
      this.figures.groups = this.known.size;
      this.options.log?.(
        `round ${round}: killed after ${killAt} ms; ${this.figures.acknowledged} acknowledged so far; ` +
          `${inFlight} in flight (${applied} applied, ${inFlight - applied} not); ${this.known.size} groups, ` +
          `${this.everyPolicyId.size} policy IDs, ${this.figures.auditEntries} audit entries checked; ` +
          `${this.database.backend === 'sqlite' ? 'integrity ok' : 'PostgreSQL'}`,
      );
    } finally {
      checker.close();
      await restarted.stop();
    }
  }

  /** One writer: creates, PATCHes, DELETEs and reverts its own groups until a request fails (the server is gone). */
  private async write(
    client: Client,
    round: number,
    index: number,
    pendingCreates: PendingCreate[],
    killed: () => boolean,
  ): Promise<void> {
    while (!killed()) {
      const own = [...this.known.values()].filter((g) => g.writer === index);
      const live = own.filter((g) => g.acknowledged);
      const revertible = live.filter((g) => earlierStates(g).length > 0);
      const deleted = own.filter((g) => !g.acknowledged);
      const n = ++this.sequence;
      const roll = this.random.int(0, 99);
      const pick = this.random.pick.bind(this.random);
      let answered: boolean;
      if (live.length === 0 || roll < 25)
        answered = await this.create(client, round, index, n, pendingCreates);
      else if (roll >= 90) answered = await this.remove(client, pick(live));
      else if (roll >= 80 && deleted.length > 0) answered = await this.revert(client, pick(deleted));
      else if (roll >= 65 && revertible.length > 0) answered = await this.revert(client, pick(revertible));
      else answered = await this.update(client, round, index, n, pick(live));
      if (!answered) return;
    }
  }

  /** A create; false when it got no answer (it stays "in flight"). */
  private async create(
    client: Client,
    round: number,
    index: number,
    n: number,
    pendingCreates: PendingCreate[],
  ): Promise<boolean> {
    const body: Content = {
      name: `r${round} w${index} create ${n}`,
      version_config: [{ target_environment: 'windows', version: `2026.${(n % 12) + 1}.${n}.0` }],
      policy_ids: this.random.chance(0.2) ? null : freshIds(n, this.random.int(0, 3)),
    };
    for (const id of body.policy_ids ?? []) this.everyPolicyId.add(id);
    const pending = { writer: index, body };
    pendingCreates.push(pending);
    const answer = await client.send('POST', COLLECTION, body);
    if (answer === undefined) return false;
    assert.equal(answer.status, 200, `create answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    pendingCreates.splice(pendingCreates.indexOf(pending), 1);
    assertContent(answer.body.result, body, 'acknowledged create');
    assert.equal(revisionOf(answer), 1, 'a new group is at revision 1');
    const id = answer.body.result.id;
    this.known.set(id, {
      id,
      writer: index,
      acknowledged: body,
      changes: [{ revision: 1, action: 'create', content: body }],
    });
    this.count('create');
    return true;
  }

  /** A PATCH of one of the writer's groups; false when it got no answer. */
  private async update(client: Client, round: number, index: number, n: number, group: KnownGroup) {
    const current = group.acknowledged as Content;
    // Every field changes, so a write applied in part could not pass for either version.
    const kept = (current.policy_ids ?? []).filter(() => this.random.chance(0.5));
    const change: Content = {
      name: `r${round} w${index} update ${n}`,
      version_config: [
        { target_environment: 'windows', version: `2026.${(n % 12) + 1}.${n}.0` },
        ...(this.random.chance(0.5) ? [{ target_environment: 'macos', version: `2026.1.${n}.1` }] : []),
      ],
      policy_ids: this.random.chance(0.1) ? null : [...kept, ...freshIds(n, this.random.int(0, 3))],
    };
    for (const id of change.policy_ids ?? []) this.everyPolicyId.add(id);
    return this.change(client, group, 'PATCH', `${COLLECTION}/${group.id}`, change, 'update', change);
  }

  /** A DELETE of one of the writer's live groups. */
  private remove(client: Client, group: KnownGroup) {
    return this.change(client, group, 'DELETE', `${COLLECTION}/${group.id}`, undefined, 'delete', null);
  }

  /**
   * A revert to one of the group's earlier states (each differs from its current one, so the revert is a
   * change): of a live group, or of a deleted one, which comes back.
   */
  private revert(client: Client, group: KnownGroup) {
    const target = this.random.pick(earlierStates(group));
    const body = { revision: target.revision };
    return this.change(client, group, 'POST', revertPath(group.id), body, 'revert', target.content);
  }

  /** Sends one change of a known group; false when it got no answer (it stays pending). */
  private async change(
    client: Client,
    group: KnownGroup,
    method: string,
    path: string,
    body: unknown,
    action: Action,
    content: Content | null,
  ): Promise<boolean> {
    const revision = (group.changes.at(-1)?.revision ?? 0) + 1;
    group.pending = { revision, action, content };
    const answer = await client.send(method, path, body);
    if (answer === undefined) return false;
    const what = `acknowledged ${action} of ${group.id}`;
    assert.equal(answer.status, 200, `${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    if (content) {
      assertContent(answer.body.result, content, what);
      assert.equal(revisionOf(answer), revision, `${what}: the ETag's revision`);
    } else {
      assert.deepEqual(answer.body.result, { id: group.id }, what);
    }
    group.changes.push(group.pending);
    group.acknowledged = content;
    group.pending = undefined;
    this.count(action);
    return true;
  }

  private count(action: Action): void {
    this.figures.acknowledged++;
    if (action === 'create') this.figures.acknowledgedCreates++;
    else if (action === 'update') this.figures.acknowledgedUpdates++;
    else if (action === 'delete') this.figures.acknowledgedDeletes++;
    else this.figures.acknowledgedReverts++;
  }

  /**
   * Every acknowledged group is there with its acknowledged content (or absent, deleted), or in the state of
   * its one in-flight change; what else is visible is in-flight creates, each exactly as sent. Returns how
   * many in-flight writes applied.
   */
  private reconcile(visible: Map<string, Content & { id: string }>, pendingCreates: PendingCreate[]): number {
    let applied = 0;
    for (const group of this.known.values()) {
      const found = visible.get(group.id) ?? null;
      visible.delete(group.id);
      const { pending } = group;
      group.pending = undefined;
      if (pending && sameState(found, pending.content)) {
        group.changes.push(pending);
        group.acknowledged = pending.content;
        applied++;
      } else if (!sameState(found, group.acknowledged)) {
        this.figures.lost++;
        assert.fail(
          `group ${group.id}: found ${JSON.stringify(found && contentOf(found))}, acknowledged ` +
            `${JSON.stringify(group.acknowledged)}${pending ? `, in flight ${JSON.stringify(pending)}` : ''}`,
        );
      }
    }
    for (const [id, found] of visible) {
      const match = pendingCreates.find((p) => sameContent(found, p.body));
      assert.ok(
        match,
        `unexpected group ${id} ${JSON.stringify(contentOf(found))}: not acknowledged, not in flight`,
      );
      pendingCreates.splice(pendingCreates.indexOf(match), 1);
      const changes: Change[] = [{ revision: 1, action: 'create', content: match.body }];
      this.known.set(id, { id, writer: match.writer, acknowledged: match.body, changes });
      applied++;
    }
    return applied;
  }

  /**
   * The audit trail against the changes: per group, revisions 1…n, no gap, no duplicate; each change's entry
   * with its action and after; each entry's before the previous entry's after; the last after the stored
   * group, n its stored revision. Entries of other groups only for the ownership probes. Returns the count.
   */
  private async checkAudit(visible: Map<string, Content & { id: string }>): Promise<number> {
    const entries = await this.database.groupEntries();
    const stored = await this.database.storedRevisions();
    await this.database.checkAuditChain();
    const byGroup = new Map<string, AuditRow[]>();
    for (const entry of entries) {
      if (!this.known.has(entry.resource_id)) {
        assert.ok(
          this.probes.has(entry.resource_id),
          `audit entry of an unknown group ${JSON.stringify(entry)}`,
        );
        continue;
      }
      byGroup.set(entry.resource_id, [...(byGroup.get(entry.resource_id) ?? []), entry]);
    }
    for (const group of this.known.values()) {
      const trail = byGroup.get(group.id) ?? [];
      const what = `audit trail of ${group.id}`;
      assert.deepEqual(
        trail.map((e) => e.revision),
        group.changes.map((_, i) => i + 1),
        `${what}: revisions`,
      );
      group.changes.forEach((change, i) => {
        const entry = trail[i] as AuditRow;
        assert.equal(entry.revision, change.revision, what);
        assert.equal(entry.action, change.action, `${what}: revision ${change.revision}'s action`);
        assert.ok(
          sameState(parse(entry.after), change.content),
          `${what}: revision ${change.revision}'s after`,
        );
        assert.deepEqual(parse(entry.before), i === 0 ? null : parse(trail[i - 1]?.after ?? null), what);
      });
      assert.deepEqual(
        parse(trail.at(-1)?.after ?? null),
        visible.get(group.id) ?? null,
        `${what}: last after`,
      );
      assert.equal(
        stored.get(group.id),
        group.acknowledged ? trail.length : undefined,
        `${what}: stored revision`,
      );
    }
    return entries.length;
  }
}

interface AuditRow {
  resource_id: string;
  action: string;
  revision: number;
  before: string | null;
  after: string | null;
}

/**
 * The database a run uses, and the direct reads of it the checks need: a SQLite file in a temporary
 * directory, or a fresh database on a PostgreSQL server (dropped at the end).
 */
class Database {
  private constructor(
    readonly backend: 'sqlite' | 'postgres',
    readonly url: string,
    private readonly rows: <T>(sql: string) => Promise<T[]>,
    private readonly integrity: () => void,
    readonly cleanUp: () => Promise<void>,
  ) {}

  static async open(postgresUrl: string | undefined): Promise<Database> {
    if (postgresUrl) {
      const db: TestDatabase = await createTestDatabase(postgresUrl);
      const rows = async <T>(sql: string) => (await db.query(sql)) as T[];
      return new Database(
        'postgres',
        db.url,
        rows,
        () => {},
        () => db.drop(),
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'ringmaster-crash-'));
    const file = join(dir, 'crash.db');
    const withFile = <T>(work: (db: BetterSqlite3.Database) => T): T => {
      const db = new BetterSqlite3(file);
      try {
        return work(db);
      } finally {
        db.close();
      }
    };
    const rows = async <T>(sql: string) => withFile((db) => db.prepare(sql).all() as T[]);
    // SQLite's own checks on the file as the killed process left it.
    const integrity = () =>
      withFile((db) => {
        assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
        assert.deepEqual(db.pragma('foreign_key_check'), []);
      });
    const cleanUp = async () => rmSync(dir, { recursive: true, force: true });
    return new Database('sqlite', `sqlite:${file}`, rows, integrity, cleanUp);
  }

  /** The integrity of the file (SQLite), and the ownership table against the groups. */
  async check(): Promise<void> {
    this.integrity();
    const claimed = new Set<string>();
    const groups = await this.rows<{ id: string; account_id: string; policy_ids: string | null }>(
      'SELECT id, account_id, policy_ids FROM deployment_groups',
    );
    for (const row of groups) {
      for (const policyId of JSON.parse(row.policy_ids ?? '[]') as string[]) {
        claimed.add(`${row.account_id} ${policyId} ${row.id}`);
      }
    }
    const owners = await this.rows<{ account_id: string; policy_id: string; group_id: string }>(
      'SELECT account_id, policy_id, group_id FROM policy_owners',
    );
    const owned = new Set(owners.map((o) => `${o.account_id} ${o.policy_id} ${o.group_id}`));
    assert.deepEqual(
      [...owned].filter((o) => !claimed.has(o)),
      [],
      'policy_owners rows without a group listing them',
    );
    assert.deepEqual(
      [...claimed].filter((c) => !owned.has(c)),
      [],
      'policy IDs listed by a group but not owned by it',
    );
  }

  /**
   * Each resource's chain of entries and its head (migration 007) against the log itself, as an import would
   * rebuild them: written in the entry's transaction, they must be whole after any crash. Since migration
   * 008 audit_heads is a view of live groups' rows and audit_other_heads: a head in both, or in neither,
   * shows here as a row too many or too few.
   */
  async checkAuditChain(): Promise<void> {
    const broken = await this.rows<{ seq: unknown }>(
      `SELECT seq FROM (SELECT seq, previous_seq, lag(seq) OVER (
         PARTITION BY coalesce(account_id, ''), resource_type, resource_id ORDER BY seq) AS expected FROM audit_log) AS links
       WHERE previous_seq IS DISTINCT FROM expected`,
    );
    assert.deepEqual(broken, [], 'audit entries whose previous_seq is not their resource’s previous entry');
    const key = 'account_id, resource_type, resource_id';
    const heads = (sql: string) =>
      this.rows<Record<string, unknown>>(sql).then((rows) =>
        rows.map(
          (row) => `${row.account_id} ${row.resource_type} ${row.resource_id} ${row.seq} ${row.entries}`,
        ),
      );
    assert.deepEqual(
      await heads(`SELECT ${key}, seq, entries FROM audit_heads ORDER BY ${key}`),
      await heads(`SELECT coalesce(account_id, '') AS account_id, resource_type, resource_id, max(seq) AS seq,
         count(*) AS entries FROM audit_log GROUP BY coalesce(account_id, ''), resource_type, resource_id ORDER BY ${key}`),
      'audit_heads against the log',
    );
  }

  /** Every group's audit entries, in the order they were written. */
  groupEntries(): Promise<AuditRow[]> {
    return this.rows<AuditRow>(
      `SELECT resource_id, action, revision, before, after FROM audit_log
       WHERE resource_type = 'deployment_group' ORDER BY seq`,
    );
  }

  /** Each stored group's revision. */
  async storedRevisions(): Promise<Map<string, number>> {
    const rows = await this.rows<{ id: string; revision: number }>(
      'SELECT id, revision FROM deployment_groups',
    );
    return new Map(rows.map((row) => [row.id, row.revision]));
  }
}

/** The states a revert of the group can return to: every earlier one that differs from its current one. */
function earlierStates(group: KnownGroup): Change[] {
  return group.changes.filter((c) => c.content && !sameState(c.content, group.acknowledged));
}

function freshIds(n: number, count: number): string[] {
  return Array.from({ length: count }, (_, k) => `crash-${n}-${k}`);
}

function contentOf(group: Content): Content {
  return { name: group.name, version_config: group.version_config, policy_ids: group.policy_ids };
}

function sameContent(a: Content, b: Content): boolean {
  return JSON.stringify(contentOf(a)) === JSON.stringify(contentOf(b));
}

/** Both absent (deleted), or both present with the same content. */
function sameState(a: Content | null, b: Content | null): boolean {
  return a === null || b === null ? a === b : sameContent(a, b);
}

function parse(json: string | null): (Content & { id: string }) | null {
  return json === null ? null : JSON.parse(json);
}

function assertContent(actual: Content, expected: Content, what: string): void {
  assert.deepEqual(contentOf(actual), contentOf(expected), what);
}

/** The revision an answer's ETag names (docs/contract.md §8.1: `"r<revision>-<updated_at>"`). */
function revisionOf(answer: { headers: Headers }): number {
  const match = /^"r(\d+)-/.exec(answer.headers.get('etag') ?? '');
  assert.ok(match, `an ETag with a revision, got ${answer.headers.get('etag')}`);
  return Number(match[1]);
}

async function listAll(client: Client): Promise<Map<string, Content & { id: string }>> {
  const groups = new Map<string, Content & { id: string }>();
  for (let page = 1; ; page++) {
    const answer = await client.send('GET', `${COLLECTION}?per_page=100&page=${page}`);
    assert.ok(answer && answer.status === 200, 'list after restart');
    for (const group of answer.body.result) groups.set(group.id, group);
    if (answer.body.result.length === 0) return groups;
  }
}

/**
 * Claims every policy ID ever used, 1000 at a time, in a probe group: the 409 must list exactly the IDs the
 * visible groups hold, each with its group; any other ID must be free (the probe is created, then deleted).
 */
async function checkOwnership(
  client: Client,
  known: Map<string, KnownGroup>,
  everyPolicyId: Set<string>,
  probes: Set<string>,
): Promise<void> {
  const owner = new Map<string, string>();
  for (const group of known.values())
    for (const id of group.acknowledged?.policy_ids ?? []) owner.set(id, group.id);
  const ids = [...everyPolicyId];
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const answer = await client.send('POST', COLLECTION, {
      name: 'ownership probe',
      version_config: [{ target_environment: null, version: '2026.1.1.0' }],
      policy_ids: chunk,
    });
    assert.ok(answer);
    const expected = chunk.filter((id) => owner.has(id));
    if (expected.length === 0) {
      assert.equal(answer.status, 200, `probe: ${JSON.stringify(answer.body).slice(0, 500)}`);
      probes.add(answer.body.result.id);
      const deleted = await client.send('DELETE', `${COLLECTION}/${answer.body.result.id}`);
      assert.equal(deleted?.status, 200);
      continue;
    }
    assert.equal(answer.status, 409, `probe: ${JSON.stringify(answer.body).slice(0, 500)}`);
    const conflicts = (answer.body.errors as { message: string; source: { pointer: string } }[]).map(
      (e): [string, string | undefined] => [
        chunk[Number(e.source.pointer.split('/')[2])] as string,
        /deployment group (\S+)$/.exec(e.message)?.[1],
      ],
    );
    assert.deepEqual(
      new Map(conflicts),
      new Map(expected.map((id) => [id, owner.get(id)])),
      'policy ownership after the restart',
    );
  }
}

/** API calls with the operator token; `undefined` when the server is gone (killed mid-request). */
class Client {
  private readonly controller = new AbortController();
  private readonly origin: string;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {
    this.origin = new URL(baseUrl).origin;
    // Every request of a round listens on this one signal (undici keeps a listener per request it has
    // seen on a long-lived signal); it is not a leak past the round, so lift Node's warning threshold.
    setMaxListeners(0, this.controller.signal);
  }

  /** `path` under /client/v4, or a /ringmaster/v1 path. */
  async send(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; headers: Headers } | undefined> {
    const base = path.startsWith('/ringmaster/') ? this.origin : this.baseUrl;
    try {
      // Acknowledged only once the whole answer has arrived (callApi reads it whole).
      const {
        status,
        body: answer,
        headers,
      } = await callApi(base, this.token, method, path, body, {
        signal: this.controller.signal,
      });
      return { status, body: answer, headers };
    } catch (error) {
      // A whole answer that is not JSON, or a 200 that does not match Cloudflare's schema, is a failure,
      // not a request cut off by the kill.
      if (error instanceof AssertionError || error instanceof SyntaxError) throw error;
      return undefined;
    }
  }

  close(): void {
    this.controller.abort();
  }
}
