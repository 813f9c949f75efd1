// Model-based property test: fast-check generates random sequences of create /
// update / delete / get / list across two accounts and five credentials, runs them over real HTTP against
// the real app on a real SQLite file, and checks every answer — and then the whole stored state of both
// accounts — against a few lines of in-memory model after every step:
//   - ownership: a policy ID belongs to at most one group per account; 409 exactly when the model says a
//     newly added ID is owned by another group, listing every such ID and its owner; a 409 changes nothing;
//   - isolation: another account's groups are never visible (404 through this account's path, 403 for a
//     credential without that account), and policy IDs never conflict across accounts;
//   - pagination: result_info totals, page contents and order (created_at, then id = creation order);
//   - timestamps: created_at never changes; updated_at unchanged when nothing changed, strictly later otherwise;
//   - policy_ids: null when never set or cleared with null, [] only when [] was sent;
//   - change control (docs/contract.md §8.1–8.3): the ETag names the model's revision; a PATCH or DELETE
//     with a stale If-Match is 412 (2007) and writes nothing; revert to a random revision — of a live
//     group, of a deleted one (it comes back in its place in creation order), a revision it never had or
//     its deletion (400) — behaves as the model says;
//   - the audit trail, after every sequence: each group's history, and the account's audit log (v1), hold
//     exactly one entry per successful change with its action, revision, before and after.
// MODEL_RUNS and MODEL_SEED (environment) override the number of runs and the seed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { type ApiResponse, callApi } from './support/api.ts';
import { ACCOUNT, createTestApp, KEY_EMAIL, OTHER_ACCOUNT, type TestApp } from './support/app.ts';
import { assertErrorEnvelope, CF_RAY } from './support/envelope.ts';

const RUNS = Number(process.env.MODEL_RUNS ?? 60);
const SEED = process.env.MODEL_SEED === undefined ? undefined : Number(process.env.MODEL_SEED);

const ACCOUNTS = [ACCOUNT, OTHER_ACCOUNT] as const;
type Account = (typeof ACCOUNTS)[number];
const CREDENTIALS = ['admin', 'writer', 'otherWriter', 'reader', 'key'] as const;
type CredentialName = (typeof CREDENTIALS)[number];

// Small pools, so that conflicts, no-op updates and page boundaries happen often.
const POLICY_POOL = ['pol-a', 'pol-b', 'pol-c', 'pol-d', 'pol-e', 'pol-f'];
const NAMES = ['Ring 0', 'Ring 1', 'Canary 🐤'];
const VERSIONS = ['2026.6.822.0', '2026.6.822.1', '2026.5.17.0'];

/** What each credential may do (test/support/app.ts creates them so). */
function allows(credential: CredentialName, account: Account, permission: 'read' | 'write'): boolean {
  switch (credential) {
    case 'admin':
      return true;
    case 'writer':
    case 'key':
      return account === ACCOUNT;
    case 'otherWriter':
      return account === OTHER_ACCOUNT;
    case 'reader':
      return account === ACCOUNT && permission === 'read';
  }
}

interface VersionConfig {
  target_environment: string | null;
  version: string;
}

interface Group {
  id: string;
  name: string;
  version_config: VersionConfig[];
  policy_ids: string[] | null;
  created_at: string;
  updated_at: string;
}

type Action = 'create' | 'update' | 'delete' | 'revert';

/** One audit entry as the model expects it. */
interface Entry {
  revision: number;
  action: Action;
  before: Group | null;
  after: Group | null;
}

/** The model: each account's groups in creation order, and every group's trail (deleted ones too). */
interface Model {
  groups: Record<Account, Group[]>;
  trails: Map<string, { account: Account; entries: Entry[] }>;
}

function newModel(): Model {
  return { groups: { [ACCOUNT]: [], [OTHER_ACCOUNT]: [] }, trails: new Map() };
}

/** A successful change: its entry, at the revision after the group's last one. */
function record(model: Model, account: Account, action: Action, before: Group | null, after: Group | null) {
  const id = (after ?? before)?.id as string;
  const trail = model.trails.get(id) ?? { account, entries: [] };
  model.trails.set(id, trail);
  const revision = (trail.entries.at(-1)?.revision ?? 0) + 1;
  trail.entries.push({ revision, action, before, after });
}

const revisionOf = (model: Model, id: string) => model.trails.get(id)?.entries.at(-1)?.revision ?? 0;
const tagOf = (model: Model, group: Group) => `"r${revisionOf(model, group.id)}-${group.updated_at}"`;

/** If-Match as a command sends it: none, the current tag, `*`, or a tag that does not match. */
type Precondition = 'none' | 'right' | 'star' | 'stale' | 'weak';

function ifMatchHeader(
  model: Model,
  group: Group | undefined,
  precondition: Precondition,
): Record<string, string> {
  if (precondition === 'none') return {};
  if (precondition === 'star') return { 'if-match': '*' };
  const current = group ? tagOf(model, group) : '"r1-2026-01-01T00:00:00.000000000Z"';
  if (precondition === 'right') return { 'if-match': current };
  if (precondition === 'weak') return { 'if-match': `W/${current}` };
  // An earlier state of the group if it had one, else a tag it never had.
  const earlier = group
    ? [...(model.trails.get(group.id)?.entries ?? [])]
        .reverse()
        .find((e) => e.after && tagOfEntry(e) !== current)
    : undefined;
  return { 'if-match': earlier ? tagOfEntry(earlier) : '"r1-1999-01-01T00:00:00.000000000Z"' };
}

const tagOfEntry = (entry: Entry) => `"r${entry.revision}-${entry.after?.updated_at}"`;

/** Whether If-Match holds for a live group (it never holds for one that does not exist). */
const holds = (precondition: Precondition) =>
  precondition === 'none' || precondition === 'right' || precondition === 'star';

/** Puts a group back at its place in list order (created_at, then id). */
function insertInOrder(groups: Group[], group: Group): void {
  const at = groups.findIndex(
    (g) => g.created_at > group.created_at || (g.created_at === group.created_at && g.id > group.id),
  );
  groups.splice(at === -1 ? groups.length : at, 0, group);
}

interface Real {
  base: string;
  headers: Record<CredentialName, Record<string, string>>;
}

/** Which group a command is about; resolved against the model when the command runs. */
type Target =
  | { kind: 'existing'; index: number }
  | { kind: 'other-account'; index: number }
  | { kind: 'deleted'; index: number }
  | { kind: 'missing'; id: string };

/** Answers by method and status, for the summary (the state checks' own lists not counted). */
const tally = new Map<string, number>();
let tallying = true;

type Answer = ApiResponse;

async function send(
  real: Real,
  credential: CredentialName,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const answer = await callApi(real.base, { ...real.headers[credential], ...headers }, method, url, body);
  assert.match(answer.headers.get('cf-ray') ?? '', CF_RAY);
  if (tallying) {
    const label = url.endsWith('/revert') ? 'REVERT' : method;
    const key = `${label}${headers['if-match'] ? ' if-match' : ''} ${answer.status}${answer.status === 200 ? '' : ` ${answer.body.errors[0].code}`}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  if (answer.status !== 200) {
    assertErrorEnvelope(answer, answer.status, answer.body.errors[0].code);
  } else {
    assert.equal(answer.body.success, true);
    assert.deepEqual(answer.body.errors, []);
  }
  return answer;
}

const collection = (account: Account) => `/client/v4/accounts/${account}/devices/deployment-groups`;
const item = (account: Account, id: string) => `${collection(account)}/${id}`;
const extension = (account: Account, id: string) =>
  `/ringmaster/v1/accounts/${account}/deployment-groups/${id}`;
const otherOf = (account: Account): Account => (account === ACCOUNT ? OTHER_ACCOUNT : ACCOUNT);

function expectError(answer: Answer, status: number, code: number): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.errors[0].code, code, JSON.stringify(answer.body));
}

/** The group the target names, as seen from `account`; undefined if this account has no such group. */
function resolve(model: Model, account: Account, target: Target): { id: string; group?: Group } {
  if (target.kind === 'missing') return { id: target.id };
  if (target.kind === 'deleted') {
    const gone = deletedIds(model, account);
    return { id: gone[target.index % Math.max(gone.length, 1)] ?? '00000000-0000-4000-8000-000000000001' };
  }
  const pool = model.groups[target.kind === 'existing' ? account : otherOf(account)];
  const group = pool[target.index % Math.max(pool.length, 1)];
  if (!group)
    return { id: target.kind === 'existing' ? '00000000-0000-4000-8000-000000000000' : 'not-a-uuid' };
  return target.kind === 'existing' ? { id: group.id, group } : { id: group.id };
}

/** The account's deleted groups (their trail ends with a deletion). */
function deletedIds(model: Model, account: Account): string[] {
  return [...model.trails]
    .filter(([, trail]) => trail.account === account && trail.entries.at(-1)?.after === null)
    .map(([id]) => id);
}

/** Who owns each policy ID in an account, per the model. */
function owners(model: Model, account: Account): Map<string, string> {
  const owned = new Map<string, string>();
  for (const group of model.groups[account]) {
    for (const policyId of group.policy_ids ?? []) {
      assert.ok(!owned.has(policyId), `model invariant: ${policyId} owned twice`);
      owned.set(policyId, group.id);
    }
  }
  return owned;
}

/** The 409's error objects: one per conflicting ID, in request order, pointing into the request. */
function expectedConflicts(requested: string[], conflicting: [string, string][]) {
  return conflicting.map(([policyId, owner]) => ({
    code: 2004,
    message: `Policy ID ${policyId} already belongs to deployment group ${owner}`,
    source: { pointer: `/policy_ids/${requested.indexOf(policyId)}` },
    meta: { deployment_group_id: owner },
  }));
}

const normalize = (entries: VersionConfig[]) =>
  entries.map(({ target_environment, version }) => ({ target_environment, version }));

const sameContent = (a: Omit<Group, 'id' | 'created_at' | 'updated_at'>, b: typeof a) =>
  a.name === b.name &&
  JSON.stringify(a.version_config) === JSON.stringify(b.version_config) &&
  JSON.stringify(a.policy_ids) === JSON.stringify(b.policy_ids);

// ---------------------------------------------------------------------------------------------------
// Commands

interface CreateBody {
  name: string;
  version_config: VersionConfig[];
  policy_ids?: string[] | null;
}

class Create implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly account: Account,
    readonly credential: CredentialName,
    readonly body: CreateBody | Record<string, unknown>,
    readonly valid: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const answer = await send(real, this.credential, 'POST', collection(this.account), this.body);
    if (!allows(this.credential, this.account, 'write')) return expectError(answer, 403, 10000);
    if (!this.valid) return expectError(answer, 400, 2001);
    const body = this.body as CreateBody;
    const owned = owners(model, this.account);
    const requested = body.policy_ids ?? [];
    const conflicting = requested
      .filter((p) => owned.has(p))
      .map((p): [string, string] => [p, owned.get(p)!]);
    if (conflicting.length > 0) {
      expectError(answer, 409, 2004);
      assert.deepEqual(answer.body.errors, expectedConflicts(requested, conflicting));
      assert.equal(answer.headers.get('x-should-retry'), 'false');
      return;
    }
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const group: Group = answer.body.result;
    assert.deepEqual(
      { name: group.name, version_config: group.version_config, policy_ids: group.policy_ids },
      {
        name: body.name,
        version_config: normalize(body.version_config),
        // null when omitted or null; [] only when [] was sent.
        policy_ids: body.policy_ids === undefined ? null : body.policy_ids,
      },
    );
    assert.equal(group.updated_at, group.created_at);
    const previous = model.groups[this.account].at(-1);
    if (previous) assert.ok(group.created_at > previous.created_at, 'created_at increases with creation');
    model.groups[this.account].push(group);
    record(model, this.account, 'create', null, group);
    assert.equal(answer.headers.get('etag'), tagOf(model, group));
  }
  toString = () => `create(${this.account.slice(0, 4)}, ${this.credential}, ${JSON.stringify(this.body)})`;
}

class Update implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly account: Account,
    readonly credential: CredentialName,
    readonly target: Target,
    readonly body: Partial<CreateBody> & Record<string, unknown>,
    readonly valid: boolean,
    readonly precondition: Precondition = 'none',
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const { id, group } = resolve(model, this.account, this.target);
    const condition = ifMatchHeader(model, group, this.precondition);
    const answer = await send(real, this.credential, 'PATCH', item(this.account, id), this.body, condition);
    if (!allows(this.credential, this.account, 'write')) return expectError(answer, 403, 10000);
    if (!this.valid) return expectError(answer, 400, 2001);
    if (!group) return expectError(answer, 404, 2002);
    // Checked before anything else is (a no-op or a conflict too): nothing is written.
    if (!holds(this.precondition)) return expectError(answer, 412, 2007);
    const next = {
      name: this.body.name ?? group.name,
      version_config:
        this.body.version_config === undefined ? group.version_config : normalize(this.body.version_config),
      policy_ids: this.body.policy_ids === undefined ? group.policy_ids : this.body.policy_ids,
    };
    const owned = owners(model, this.account);
    const requested = this.body.policy_ids ?? [];
    const held = new Set(group.policy_ids ?? []);
    const conflicting = requested
      .filter((p) => !held.has(p) && owned.has(p) && owned.get(p) !== group.id)
      .map((p): [string, string] => [p, owned.get(p)!]);
    if (conflicting.length > 0) {
      expectError(answer, 409, 2004);
      assert.deepEqual(answer.body.errors, expectedConflicts(requested, conflicting));
      return;
    }
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const updated: Group = answer.body.result;
    assert.equal(updated.id, group.id);
    assert.equal(updated.created_at, group.created_at, 'created_at never changes');
    assert.deepEqual(
      { name: updated.name, version_config: updated.version_config, policy_ids: updated.policy_ids },
      next,
    );
    if (sameContent(group, next)) {
      assert.equal(updated.updated_at, group.updated_at, 'updated_at kept when nothing changed');
    } else {
      assert.ok(updated.updated_at > group.updated_at, 'updated_at strictly later after a change');
      record(model, this.account, 'update', group, updated);
    }
    const groups = model.groups[this.account];
    groups[groups.indexOf(group)] = updated;
    assert.equal(answer.headers.get('etag'), tagOf(model, updated));
  }
  toString = () =>
    `update(${this.account.slice(0, 4)}, ${this.credential}, ${JSON.stringify(this.target)}, ${JSON.stringify(this.body)}, if-match ${this.precondition})`;
}

/** A command on one group by its target: which account's path, which credential, which group. */
abstract class GroupCommand {
  abstract readonly verb: string;
  constructor(
    readonly account: Account,
    readonly credential: CredentialName,
    readonly target: Target,
    readonly precondition: Precondition = 'none',
  ) {}
  check = () => true;
  toString = () =>
    `${this.verb}(${this.account.slice(0, 4)}, ${this.credential}, ${JSON.stringify(this.target)}, if-match ${this.precondition})`;
}

class Delete extends GroupCommand implements fc.AsyncCommand<Model, Real> {
  readonly verb = 'delete';
  async run(model: Model, real: Real): Promise<void> {
    const { id, group } = resolve(model, this.account, this.target);
    const condition = ifMatchHeader(model, group, this.precondition);
    const answer = await send(real, this.credential, 'DELETE', item(this.account, id), undefined, condition);
    if (!allows(this.credential, this.account, 'write')) return expectError(answer, 403, 10000);
    if (!group) return expectError(answer, 404, 2002);
    if (!holds(this.precondition)) return expectError(answer, 412, 2007);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.result, { id: group.id });
    const groups = model.groups[this.account];
    groups.splice(groups.indexOf(group), 1);
    record(model, this.account, 'delete', group, null);
  }
}

class Get extends GroupCommand implements fc.AsyncCommand<Model, Real> {
  readonly verb = 'get';
  async run(model: Model, real: Real): Promise<void> {
    const { id, group } = resolve(model, this.account, this.target);
    const answer = await send(real, this.credential, 'GET', item(this.account, id));
    if (!allows(this.credential, this.account, 'read')) return expectError(answer, 403, 10000);
    if (!group) return expectError(answer, 404, 2002);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.result, group);
    assert.equal(answer.headers.get('etag'), tagOf(model, group));
  }
}

/** Which revision a revert asks for: one of the group's own, one past its last, or 0 (invalid). */
type RevisionChoice = { kind: 'own'; index: number } | { kind: 'beyond'; by: number } | { kind: 'zero' };

class Revert extends GroupCommand implements fc.AsyncCommand<Model, Real> {
  readonly verb = 'revert';
  constructor(
    account: Account,
    credential: CredentialName,
    target: Target,
    precondition: Precondition,
    readonly choice: RevisionChoice,
  ) {
    super(account, credential, target, precondition);
  }
  async run(model: Model, real: Real): Promise<void> {
    const { id, group } = resolve(model, this.account, this.target);
    const trail = model.trails.get(id);
    const entries = trail?.account === this.account ? trail.entries : [];
    const revision = this.revision(entries);
    const condition = ifMatchHeader(model, group, this.precondition);
    const url = `${extension(this.account, id)}/revert`;
    const answer = await send(real, this.credential, 'POST', url, { revision }, condition);
    if (!allows(this.credential, this.account, 'write')) return expectError(answer, 403, 10000);
    if (revision < 1) return expectError(answer, 400, 2001);
    // 404 only for a group that never existed in this account; a deleted one has its history.
    if (entries.length === 0) return expectError(answer, 404, 2002);
    const target = entries.find((e) => e.revision === revision)?.after;
    if (!target) {
      expectError(answer, 400, 2001);
      assert.equal(answer.body.errors[0].source?.pointer, '/revision');
      return;
    }
    // If-Match names the current state: it never holds for a deleted group.
    if (!(group ? holds(this.precondition) : this.precondition === 'none')) {
      return expectError(answer, 412, 2007);
    }
    const owned = owners(model, this.account);
    const requested = target.policy_ids ?? [];
    const conflicting = requested
      .filter((p) => owned.has(p) && owned.get(p) !== id)
      .map((p): [string, string] => [p, owned.get(p)!]);
    if (conflicting.length > 0) {
      expectError(answer, 409, 2004);
      assert.deepEqual(answer.body.errors, expectedConflicts(requested, conflicting));
      return;
    }
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const reverted: Group = answer.body.result;
    assert.deepEqual(
      { ...reverted, updated_at: undefined },
      { ...target, created_at: group?.created_at ?? target.created_at, updated_at: undefined },
    );
    const groups = model.groups[this.account];
    if (!group) {
      insertInOrder(groups, reverted);
      record(model, this.account, 'revert', null, reverted);
    } else if (sameContent(group, target)) {
      assert.deepEqual(reverted, group, 'a revert that changes nothing writes nothing');
    } else {
      assert.ok(reverted.updated_at > group.updated_at, 'updated_at strictly later after a revert');
      groups[groups.indexOf(group)] = reverted;
      record(model, this.account, 'revert', group, reverted);
    }
    assert.equal(answer.headers.get('etag'), tagOf(model, reverted));
  }
  private revision(entries: Entry[]): number {
    const last = entries.at(-1)?.revision ?? 0;
    if (this.choice.kind === 'zero') return 0;
    if (this.choice.kind === 'beyond') return last + this.choice.by;
    return entries[this.choice.index % Math.max(entries.length, 1)]?.revision ?? this.choice.index + 1;
  }
  override toString = () =>
    `revert(${this.account.slice(0, 4)}, ${this.credential}, ${JSON.stringify(this.target)}, if-match ${this.precondition}, ${JSON.stringify(this.choice)})`;
}

class List implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly account: Account,
    readonly credential: CredentialName,
    readonly page: number,
    readonly perPage: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const url = `${collection(this.account)}?page=${this.page}&per_page=${this.perPage}`;
    const answer = await send(real, this.credential, 'GET', url);
    if (!allows(this.credential, this.account, 'read')) return expectError(answer, 403, 10000);
    assert.equal(answer.status, 200);
    const all = model.groups[this.account];
    const expected = all.slice((this.page - 1) * this.perPage, this.page * this.perPage);
    assert.deepEqual(answer.body.result, expected);
    assert.deepEqual(answer.body.result_info, {
      page: this.page,
      per_page: this.perPage,
      count: expected.length,
      total_count: all.length,
      total_pages: Math.ceil(all.length / this.perPage),
    });
  }
  toString = () =>
    `list(${this.account.slice(0, 4)}, ${this.credential}, page ${this.page}, per ${this.perPage})`;
}

/** After every command: both accounts' whole stored state equals the model, in list order. */
async function assertStateMatches(model: Model, real: Real): Promise<void> {
  for (const account of ACCOUNTS) {
    const answer = await send(real, 'admin', 'GET', `${collection(account)}?per_page=100`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.result, model.groups[account], `stored state of ${account}`);
    const seen = new Set<string>();
    for (const group of answer.body.result as Group[]) {
      for (const policyId of group.policy_ids ?? []) {
        assert.ok(!seen.has(policyId), `${policyId} is in two groups of ${account}`);
        seen.add(policyId);
      }
    }
  }
}

/** What a history entry says changed: every field but updated_at that differs (null: did not exist). */
function changes(before: Group | null, after: Group | null) {
  const fields = ['id', 'name', 'version_config', 'policy_ids', 'created_at'] as const;
  return fields
    .filter((f) => !before || !after || JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .map((field) => ({ field, before: before?.[field] ?? null, after: after?.[field] ?? null }));
}

/**
 * After a sequence: every group's history (live and deleted) is its trail in the model, newest first, and
 * the account's audit log (v1) holds exactly those entries for the sequence's groups — one per successful
 * change, nothing for a refused one — with their before and after.
 */
async function assertTrailsMatch(model: Model, real: Real, since: string): Promise<void> {
  tallying = false;
  try {
    for (const [id, { account, entries }] of model.trails) {
      const answer = await send(real, 'admin', 'GET', `${extension(account, id)}/history?per_page=100`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const got = (answer.body.result as any[]).map((e) => ({
        revision: e.revision,
        action: e.action,
        deployment_group: e.deployment_group,
        changes: e.changes,
      }));
      const expected = entries.map((e) => ({
        revision: e.revision,
        action: e.action,
        deployment_group: e.after,
        changes: changes(e.before, e.after),
      }));
      assert.deepEqual(got, expected.reverse(), `history of ${id}`);
    }
    for (const account of ACCOUNTS) {
      const url = `/client/v4/accounts/${account}/audit_logs?since=${since}&direction=asc&per_page=1000`;
      const answer = await send(real, 'admin', 'GET', url);
      assert.equal(answer.status, 200);
      const logged = (answer.body.result as any[])
        .filter((e) => model.trails.get(e.resource.id)?.account === account)
        .map((e) => ({
          id: e.resource.id,
          action: e.action.type,
          revision: e.metadata.revision,
          before: e.oldValue === undefined ? null : JSON.parse(e.oldValue),
          after: e.newValue === undefined ? null : JSON.parse(e.newValue),
        }));
      const expected = [...model.trails]
        .filter(([, trail]) => trail.account === account)
        .flatMap(([id, trail]) => trail.entries.map((e) => ({ id, ...e })));
      const byGroup = (list: { id: string }[]) =>
        [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      // Per group in write order (a stable sort keeps the log's order within a group).
      assert.deepEqual(byGroup(logged), byGroup(expected), `audit log of ${account}`);
    }
  } finally {
    tallying = true;
  }
}

/** Wraps a command so that the whole state is compared with the model after it ran. */
class Checked implements fc.AsyncCommand<Model, Real> {
  constructor(readonly command: fc.AsyncCommand<Model, Real>) {}
  check = (model: Readonly<Model>) => this.command.check(model);
  async run(model: Model, real: Real): Promise<void> {
    await this.command.run(model, real);
    tallying = false;
    try {
      await assertStateMatches(model, real);
    } finally {
      tallying = true;
    }
  }
  toString = () => this.command.toString();
}

// ---------------------------------------------------------------------------------------------------
// Generators

const accountArb = fc.constantFrom(...ACCOUNTS);
// Mostly credentials that may act, so that most commands reach the storage.
const credentialArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<CredentialName>('admin') },
  { weight: 1, arbitrary: fc.constantFrom<CredentialName>('writer', 'otherWriter', 'reader', 'key') },
);
const versionConfigArb = fc.uniqueArray(
  fc.record({
    target_environment: fc.constantFrom('windows', 'macos', null),
    version: fc.constantFrom(...VERSIONS),
  }),
  { minLength: 1, maxLength: 3, selector: (entry) => entry.target_environment },
);
const policyIdsArb = fc.oneof(
  fc.constant(null),
  fc.uniqueArray(fc.constantFrom(...POLICY_POOL), { maxLength: 4 }),
);
const targetArb: fc.Arbitrary<Target> = fc.oneof(
  { weight: 8, arbitrary: fc.nat(20).map((index) => ({ kind: 'existing' as const, index })) },
  { weight: 1, arbitrary: fc.nat(20).map((index) => ({ kind: 'other-account' as const, index })) },
  { weight: 1, arbitrary: fc.nat(20).map((index) => ({ kind: 'deleted' as const, index })) },
  { weight: 1, arbitrary: fc.uuid({ version: 4 }).map((id) => ({ kind: 'missing' as const, id })) },
);
// Mostly unconditional; a conditional write is right or stale about as often.
const preconditionArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Precondition>('none') },
  { weight: 2, arbitrary: fc.constantFrom<Precondition>('right', 'stale') },
  { weight: 1, arbitrary: fc.constantFrom<Precondition>('star', 'weak') },
);
const revisionArb: fc.Arbitrary<RevisionChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.nat(20).map((index) => ({ kind: 'own' as const, index })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((by) => ({ kind: 'beyond' as const, by })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'zero' as const }) },
);
// Reverts mostly of this account's groups, live or deleted.
const revertTargetArb: fc.Arbitrary<Target> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(20).map((index) => ({ kind: 'existing' as const, index })) },
  { weight: 4, arbitrary: fc.nat(20).map((index) => ({ kind: 'deleted' as const, index })) },
  { weight: 1, arbitrary: targetArb },
);
// Read-only fields a client may echo back: accepted and ignored.
const echoedArb = fc.option(
  fc.record({ id: fc.constant('bogus'), created_at: fc.constant('1999-01-01T00:00:00Z') }),
  { nil: undefined, freq: 5 },
);
const invalidCreateArb = fc.constantFrom<Record<string, unknown>>(
  { name: '   ', version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }] },
  { name: 'x', version_config: [] },
  { version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }] },
  {
    name: 'x',
    version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    policy_id: ['pol-a'],
  },
  {
    name: 'x',
    version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    policy_ids: ['pol-a', 'pol-a'],
  },
);
const invalidUpdateArb = fc.constantFrom<Record<string, unknown>>(
  { name: null },
  { name: '' },
  { version_config: null },
  { version_config: [] },
  { policy_ids: ['pol-b', 'pol-b'] },
  { policy_ids: 'pol-a' },
  { name: 'x'.repeat(256) },
);

const createArb = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .tuple(
        accountArb,
        credentialArb,
        fc.constantFrom(...NAMES),
        versionConfigArb,
        fc.option(policyIdsArb, { nil: undefined }),
        echoedArb,
      )
      .map(([account, credential, name, version_config, policy_ids, echoed]) => {
        const body: Record<string, unknown> = { name, version_config, ...echoed };
        if (policy_ids !== undefined) body.policy_ids = policy_ids;
        return new Create(account, credential, body, true);
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(accountArb, credentialArb, invalidCreateArb)
      .map(([account, credential, body]) => new Create(account, credential, body, false)),
  },
);
const updateArb = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .tuple(
        accountArb,
        credentialArb,
        targetArb,
        fc.record(
          { name: fc.constantFrom(...NAMES), version_config: versionConfigArb, policy_ids: policyIdsArb },
          { requiredKeys: [] },
        ),
        echoedArb,
        preconditionArb,
      )
      .map(
        ([account, credential, target, body, echoed, precondition]) =>
          new Update(account, credential, target, { ...body, ...echoed }, true, precondition),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(accountArb, credentialArb, targetArb, invalidUpdateArb)
      .map(([account, credential, target, body]) => new Update(account, credential, target, body, false)),
  },
);
const commandArbs = [
  createArb,
  createArb,
  updateArb,
  updateArb,
  updateArb,
  fc
    .tuple(accountArb, credentialArb, targetArb, preconditionArb)
    .map(([a, c, target, precondition]) => new Delete(a, c, target, precondition)),
  fc
    .tuple(accountArb, credentialArb, revertTargetArb, preconditionArb, revisionArb)
    .map(([a, c, target, precondition, choice]) => new Revert(a, c, target, precondition, choice)),
  fc
    .tuple(accountArb, credentialArb, revertTargetArb, preconditionArb, revisionArb)
    .map(([a, c, target, precondition, choice]) => new Revert(a, c, target, precondition, choice)),
  fc.tuple(accountArb, credentialArb, targetArb).map(([a, c, target]) => new Get(a, c, target)),
  fc
    .tuple(accountArb, credentialArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }))
    .map(([a, c, page, perPage]) => new List(a, c, page, perPage)),
].map((arb) => arb.map((command): fc.AsyncCommand<Model, Real> => new Checked(command)));

// ---------------------------------------------------------------------------------------------------

let t: TestApp;
let real: Real;

before(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  assert.ok(address && typeof address === 'object');
  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
  real = {
    base: `http://127.0.0.1:${address.port}`,
    headers: {
      admin: bearer(t.secrets.admin),
      writer: bearer(t.secrets.writer),
      otherWriter: bearer(t.secrets.otherWriter),
      reader: bearer(t.secrets.reader),
      key: { 'x-auth-email': KEY_EMAIL, 'x-auth-key': t.secrets.key },
    },
  };
});
after(async () => {
  await t.close();
});

/** Deletes every group of both accounts, so that each run starts from an empty model. */
async function reset(): Promise<void> {
  tallying = false;
  for (const account of ACCOUNTS) {
    for (;;) {
      const { body } = await send(real, 'admin', 'GET', `${collection(account)}?per_page=100`);
      if (body.result.length === 0) break;
      for (const group of body.result as Group[]) {
        assert.equal((await send(real, 'admin', 'DELETE', item(account, group.id))).status, 200);
      }
    }
  }
  tallying = true;
}

test('behaves like the in-memory model under random command sequences across accounts and credentials', async (context) => {
  const counts = new Map<string, number>();
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.commands(commandArbs, { maxCommands: 50, size: 'max' }), async (commands) => {
      await reset();
      for (const command of commands) {
        const name = String(command).slice(0, String(command).indexOf('('));
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      // Entries of the reset are older than this, and none of them is about this sequence's groups.
      const since = new Date().toISOString();
      const model = newModel();
      await fc.asyncModelRun(() => ({ model, real }), commands);
      await assertTrailsMatch(model, real, since);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  context.diagnostic(
    `${RUNS} runs in ${Date.now() - started} ms; commands generated: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}`,
  );
  context.diagnostic(
    `answers: ${[...tally]
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}`,
  );
  // The pools are small on purpose: conflicts and no-op updates must actually have been exercised.
  assert.ok(
    (tally.get('POST 409 2004') ?? 0) + (tally.get('PATCH 409 2004') ?? 0) > 0,
    'no 409 was exercised',
  );
  for (const answer of [
    'PATCH if-match 412 2007',
    'DELETE if-match 412 2007',
    'REVERT 200',
    'REVERT 400 2001',
  ]) {
    assert.ok((tally.get(answer) ?? 0) > 0, `${answer} was never exercised`);
  }
  assert.ok(
    (tally.get('REVERT if-match 200') ?? 0) + (tally.get('PATCH if-match 200') ?? 0) > 0,
    'no conditional write ever succeeded',
  );
});
