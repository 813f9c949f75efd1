// The crash test, shared by test/crash.test.ts (a few rounds) and scripts/crash.ts
// (20 rounds). Each round starts the real server on the same SQLite file, lets concurrent writers create
// and PATCH groups, SIGKILLs the process at a random moment, checks the file with SQLite's integrity check,
// restarts, and checks that:
//   - every acknowledged write is there, with exactly the acknowledged content — or the content of the one
//     later request that was in flight on that group when the process died (each writer has at most one
//     request in flight, and only it touches its own groups);
//   - a write in flight at the kill is all or nothing: a create is either absent with every policy ID free,
//     or present with exactly the body sent; a PATCH is either wholly applied or not at all;
//   - policy ownership is exactly what the visible groups say: each of their policy IDs is owned by them
//     (claiming it elsewhere answers 409 naming them) and every other ID ever used is free.
import assert, { AssertionError } from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ACCOUNT } from './accounts.ts';
import { callApi } from './api.ts';
import { Random } from './random.ts';
import { startServer } from './server.ts';

const COLLECTION = `/accounts/${ACCOUNT}/devices/deployment-groups`;

export interface CrashOptions {
  rounds: number;
  writers?: number;
  seed: number;
  /** Kill between these many milliseconds after the writers start. */
  killAfterMs?: [number, number];
  log?: (line: string) => void;
}

export interface CrashFigures {
  seed: number;
  rounds: number;
  /** Writes answered 200 (creates + PATCHes). */
  acknowledged: number;
  acknowledgedCreates: number;
  acknowledgedUpdates: number;
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

interface KnownGroup {
  id: string;
  writer: number;
  /** The content of the last acknowledged write. */
  acknowledged: Content;
  /** A PATCH sent after it and not answered (in flight at the kill). */
  pending?: Content;
}

interface PendingCreate {
  writer: number;
  body: Content;
}

export async function runCrashRounds(options: CrashOptions): Promise<CrashFigures> {
  const run = new CrashRun(options);
  try {
    for (let round = 1; round <= options.rounds; round++) await run.round(round);
  } finally {
    run.cleanUp();
  }
  return run.figures;
}

/** The state one crash run carries from round to round: every group it knows and every policy ID used. */
class CrashRun {
  readonly figures: CrashFigures;
  private readonly random: Random;
  private readonly dir = mkdtempSync(join(tmpdir(), 'ringmaster-crash-'));
  private readonly file = join(this.dir, 'crash.db');
  // 'info': startServer waits for the "listening" line.
  private readonly env = { DATABASE_URL: `sqlite:${this.file}`, LOG_LEVEL: 'info' };
  private readonly known = new Map<string, KnownGroup>();
  /** Every policy ID any request ever sent: after each restart, each is owned as the groups say, or free. */
  private readonly everyPolicyId = new Set<string>();
  private token: string | undefined;
  private sequence = 0;

  constructor(private readonly options: CrashOptions) {
    this.random = new Random(options.seed);
    this.figures = {
      seed: options.seed,
      rounds: 0,
      acknowledged: 0,
      acknowledgedCreates: 0,
      acknowledgedUpdates: 0,
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

    // The file, as the dead process left it.
    const inFlight = pendingCreates.length + [...this.known.values()].filter((g) => g.pending).length;
    checkFile(this.file);

    const restarted = await startServer(this.env);
    const checker = new Client(restarted.baseUrl, this.token);
    try {
      const applied = this.reconcile(await listAll(checker), pendingCreates);
      this.figures.inFlight += inFlight;
      this.figures.inFlightApplied += applied;
      this.figures.policyIdsChecked = this.everyPolicyId.size;
      await checkOwnership(checker, this.known, this.everyPolicyId);
      this.figures.rounds = round;
      this.figures.groups = this.known.size;
      this.options.log?.(
        `round ${round}: killed after ${killAt} ms; ${this.figures.acknowledged} acknowledged so far; ` +
          `${inFlight} in flight (${applied} applied, ${inFlight - applied} not); ${this.known.size} groups, ` +
          `${this.everyPolicyId.size} policy IDs checked; integrity ok`,
      );
    } finally {
      checker.close();
      await restarted.stop();
    }
  }

  cleanUp(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One writer: creates and PATCHes its own groups until a request fails (the server is gone). */
  private async write(
    client: Client,
    round: number,
    index: number,
    pendingCreates: PendingCreate[],
    killed: () => boolean,
  ): Promise<void> {
    while (!killed()) {
      const own = [...this.known.values()].filter((g) => g.writer === index);
      const n = ++this.sequence;
      const answered =
        own.length === 0 || this.random.chance(0.3)
          ? await this.create(client, round, index, n, pendingCreates)
          : await this.update(client, round, index, n, this.random.pick(own));
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
    this.known.set(answer.body.result.id, { id: answer.body.result.id, writer: index, acknowledged: body });
    this.figures.acknowledged++;
    this.figures.acknowledgedCreates++;
    return true;
  }

  /** A PATCH of one of the writer's groups; false when it got no answer. */
  private async update(client: Client, round: number, index: number, n: number, group: KnownGroup) {
    const current = group.acknowledged;
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
    group.pending = change;
    const answer = await client.send('PATCH', `${COLLECTION}/${group.id}`, change);
    if (answer === undefined) return false;
    assert.equal(answer.status, 200, `PATCH answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    assertContent(answer.body.result, change, 'acknowledged PATCH');
    group.acknowledged = change;
    group.pending = undefined;
    this.figures.acknowledged++;
    this.figures.acknowledgedUpdates++;
    return true;
  }

  /**
   * Every acknowledged group is there with its acknowledged content, or that of its one in-flight PATCH; what
   * else is visible is in-flight creates, each exactly as sent. Returns how many in-flight writes applied.
   */
  private reconcile(visible: Map<string, Content>, pendingCreates: PendingCreate[]): number {
    let applied = 0;
    for (const group of this.known.values()) {
      const found = visible.get(group.id);
      if (!found) {
        this.figures.lost++;
        assert.fail(
          `acknowledged group ${group.id} (${group.acknowledged.name}) is missing after the restart`,
        );
      }
      visible.delete(group.id);
      if (group.pending && sameContent(found, group.pending)) {
        group.acknowledged = group.pending;
        applied++;
      } else if (!sameContent(found, group.acknowledged)) {
        this.figures.lost++;
        assert.fail(
          `group ${group.id}: found ${JSON.stringify(contentOf(found))}, acknowledged ${JSON.stringify(group.acknowledged)}` +
            (group.pending ? `, in flight ${JSON.stringify(group.pending)}` : ''),
        );
      }
      group.pending = undefined;
    }
    for (const [id, found] of visible) {
      const match = pendingCreates.find((p) => sameContent(found, p.body));
      assert.ok(
        match,
        `unexpected group ${id} ${JSON.stringify(contentOf(found))}: not acknowledged, not in flight`,
      );
      pendingCreates.splice(pendingCreates.indexOf(match), 1);
      this.known.set(id, { id, writer: match.writer, acknowledged: match.body });
      applied++;
    }
    return applied;
  }
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

function assertContent(actual: Content, expected: Content, what: string): void {
  assert.deepEqual(contentOf(actual), contentOf(expected), what);
}

/** SQLite's own checks on the file the killed process left, plus the ownership table against the groups. */
function checkFile(file: string): void {
  const db = new BetterSqlite3(file);
  try {
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    const claimed = new Set<string>();
    for (const row of db.prepare('SELECT id, account_id, policy_ids FROM deployment_groups').all() as {
      id: string;
      account_id: string;
      policy_ids: string | null;
    }[]) {
      for (const policyId of JSON.parse(row.policy_ids ?? '[]') as string[]) {
        claimed.add(`${row.account_id} ${policyId} ${row.id}`);
      }
    }
    const owners = db.prepare('SELECT account_id, policy_id, group_id FROM policy_owners').all() as {
      account_id: string;
      policy_id: string;
      group_id: string;
    }[];
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
  } finally {
    db.close();
  }
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
 * visible groups hold, each with its group; any other ID must be free.
 */
async function checkOwnership(
  client: Client,
  known: Map<string, KnownGroup>,
  everyPolicyId: Set<string>,
): Promise<void> {
  const owner = new Map<string, string>();
  for (const group of known.values())
    for (const id of group.acknowledged.policy_ids ?? []) owner.set(id, group.id);
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

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {
    // Every request of a round listens on this one signal (undici keeps a listener per request it has
    // seen on a long-lived signal); it is not a leak past the round, so lift Node's warning threshold.
    setMaxListeners(0, this.controller.signal);
  }

  async send(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any } | undefined> {
    try {
      // Acknowledged only once the whole answer has arrived (callApi reads it whole).
      const { status, body: answer } = await callApi(this.baseUrl, this.token, method, path, body, {
        signal: this.controller.signal,
      });
      return { status, body: answer };
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
