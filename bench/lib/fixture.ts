// The data the bench loads: a small seed through the public API (and the response bodies the baseline
// replays), and the --scale seed written straight into the SQLite file in big transactions.
import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { fail } from './processes.ts';

export const ACCOUNT = '0123456789abcdef0123456789abcdef';
export const COLLECTION = `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups`;

/** The body every bench POST sends (policy_ids omitted, so creates never conflict). */
export const POST_BODY = JSON.stringify({
  name: 'bench post',
  version_config: [
    { target_environment: 'windows', version: '2026.6.822.0' },
    { target_environment: 'macos', version: '2026.6.822.0' },
  ],
});

/** The shape of a bench PATCH body, for capturing a same-size response (see wrk.ts). */
const PATCH_SAMPLE_BODY = JSON.stringify({ name: 'bench999-99-999999999' });

export interface Fixture {
  token: string;
  /** Group paths for GET and PATCH. */
  getPath: string;
  listPath: string;
  /** The last full page, which costs the biggest OFFSET. */
  listLastPath: string;
  patchPaths: string[];
  groupCount: number;
}

export interface CapturedBodies {
  get: string;
  list: string;
  patch: string;
  post: string;
}

function seedGroup(i: number, policyIds: string[]) {
  return {
    name: `seed-group-${String(i).padStart(6, '0')}`,
    version_config: [
      { target_environment: 'windows', version: '2026.6.822.0' },
      { target_environment: 'macos', version: '2026.5.790.1' },
    ],
    policy_ids: policyIds,
  };
}

async function call(origin: string, token: string, method: string, path: string, body?: string) {
  const response = await fetch(origin + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) fail(`${method} ${path} answered ${response.status}: ${text}`);
  return text;
}

/** Creates `count` groups through the API (each with two policy IDs), a few at a time. */
export async function seedViaApi(origin: string, token: string, count: number): Promise<Fixture> {
  const ids: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const body = JSON.stringify(seedGroup(i, [randomUUID(), randomUUID()]));
      ids[i] = JSON.parse(await call(origin, token, 'POST', COLLECTION, body)).result.id;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return fixtureFor(token, ids, count);
}

export function fixtureFor(token: string, ids: string[], groupCount: number): Fixture {
  const lastPage = Math.max(1, Math.floor(groupCount / 50));
  return {
    token,
    getPath: `${COLLECTION}/${ids[Math.floor(ids.length / 2)]}`,
    listPath: `${COLLECTION}?per_page=50`,
    listLastPath: `${COLLECTION}?per_page=50&page=${lastPage}`,
    patchPaths: ids.map((id) => `${COLLECTION}/${id}`),
    groupCount,
  };
}

/**
 * Real response bodies for the baseline, and a check that every bench request answers 200.
 * Writes one PATCH (to a group the PATCH case also renames) and one POST.
 */
export async function captureBodies(origin: string, fixture: Fixture): Promise<CapturedBodies> {
  const t = fixture.token;
  return {
    get: await call(origin, t, 'GET', fixture.getPath),
    list: await call(origin, t, 'GET', fixture.listPath),
    patch: await call(origin, t, 'PATCH', fixture.patchPaths[0] as string, PATCH_SAMPLE_BODY),
    post: await call(origin, t, 'POST', COLLECTION, POST_BODY),
  };
}

export interface ScaleSeed {
  groups: number;
  policyIds: number;
  /** Audit entries (group changes), spread evenly over the groups and over the last AUDIT_SPAN_DAYS days. */
  auditEntries: number;
  seconds: number;
  /** A spread of group IDs to GET and PATCH. */
  sampleIds: string[];
}

/** The seeded audit history covers this many days up to the seed (inside the default 365-day retention). */
export const AUDIT_SPAN_DAYS = 300;

/**
 * Writes `groups` groups with `perGroup` policy IDs each straight into a migrated SQLite database (the
 * server must not be running), in one transaction per 10,000 groups, with a progress line on stderr;
 * then `auditEntries` audit entries (seedSqliteAudit).
 * Rows have exactly the shape the server writes (same columns, JSON arrays, RFC 3339 nano timestamps).
 */
export function seedSqliteScale(path: string, groups: number, perGroup: number, auditEntries = 0): ScaleSeed {
  const started = performance.now();
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144'); // 256 MiB while seeding; the server uses its own connection
  const insertGroup = db.prepare(
    `INSERT INTO deployment_groups (id, account_id, name, version_config, policy_ids, created_at, updated_at, revision)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertOwner = db.prepare(
    'INSERT INTO policy_owners (account_id, policy_id, group_id) VALUES (?, ?, ?)',
  );
  const versionConfig = JSON.stringify(seedGroup(0, []).version_config);
  const base = BigInt(Date.now() - (AUDIT_SPAN_DAYS + 1) * 86_400_000) * 1_000_000n;
  // Each group's revision is the number of audit entries seedSqliteAudit gives it.
  const revisionOf = (i: number) => Math.floor(auditEntries / groups) + (i < auditEntries % groups ? 1 : 0);
  const allIds: string[] = [];
  const sampleEvery = Math.max(1, Math.floor(groups / 100));
  const sampleIds: string[] = [];
  const batch = 10_000;
  let lastDraw = 0;
  const progress = (done: number, final = false) => {
    const now = performance.now();
    if (!final && now - lastDraw < 200) return;
    lastDraw = now;
    const seconds = ((now - started) / 1000).toFixed(1);
    process.stderr.write(
      `\r  seeding: ${done.toLocaleString('en')}/${groups.toLocaleString('en')} groups, ` +
        `${(done * perGroup).toLocaleString('en')}/${(groups * perGroup).toLocaleString('en')} policy IDs  ${seconds} s${final ? '\n' : ''}`,
    );
  };
  const writeBatch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const id = randomUUID();
      allIds.push(id);
      if (i % sampleEvery === 0) sampleIds.push(id);
      const policyIds = Array.from({ length: perGroup }, () => randomUUID());
      const at = timestamp(base + BigInt(i) * 1000n);
      const group = seedGroup(i, policyIds);
      insertGroup.run(
        id,
        ACCOUNT,
        group.name,
        versionConfig,
        JSON.stringify(policyIds),
        at,
        at,
        revisionOf(i) || 1,
      );
      for (const policyId of policyIds) insertOwner.run(ACCOUNT, policyId, id);
    }
  });
  for (let from = 0; from < groups; from += batch) {
    writeBatch(from, Math.min(groups, from + batch));
    progress(Math.min(groups, from + batch));
  }
  progress(groups, true);
  if (auditEntries > 0) seedSqliteAudit(db, allIds, auditEntries, base);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const seconds = (performance.now() - started) / 1000;
  return { groups, policyIds: groups * perGroup, auditEntries, seconds, sampleIds };
}

/**
 * `count` audit entries of group changes, as the server writes them (a create, then updates: entry k is
 * group k % n's revision k / n + 1), `at` rising evenly from `base` to now, 50,000 per transaction, with
 * time-ordered ids as the server's (timeOrderedId). Each entry carries a before and an after of a group's
 * size, and the API's context (a token, an address, a ray).
 */
function seedSqliteAudit(db: BetterSqlite3.Database, groupIds: string[], count: number, base: bigint): void {
  const started = performance.now();
  const insert = db.prepare(
    `INSERT INTO audit_log (id, account_id, at, action, resource_type, resource_id, revision, actor_type,
       actor_id, actor_name, actor_ip, interface, ray_id, method, uri, status, user_agent, before, after)
     VALUES (?, ?, ?, ?, 'deployment_group', ?, ?, 'user', ?, 'bench token', '10.0.0.7', 'API', ?, ?, ?, 200,
       'bench', ?, ?)`,
  );
  const step = (BigInt(Date.now()) * 1_000_000n - base) / BigInt(count);
  const versionConfig = seedGroup(0, []).version_config;
  const state = (id: string, revision: number, at: string) =>
    JSON.stringify({
      id,
      name: `seed-group rev ${revision}`,
      version_config: versionConfig,
      policy_ids: [`${id.slice(0, 8)}-a`, `${id.slice(0, 8)}-b`],
      created_at: at,
      updated_at: at,
    });
  const credential = randomUUID().replaceAll('-', '');
  const writeBatch = db.transaction((from: number, to: number) => {
    for (let k = from; k < to; k++) {
      const id = groupIds[k % groupIds.length] as string;
      const revision = Math.floor(k / groupIds.length) + 1;
      const nanos = base + BigInt(k) * step;
      const at = timestamp(nanos);
      const create = revision === 1;
      const uri = create ? COLLECTION : `${COLLECTION}/${id}`;
      const ray = k.toString(16).padStart(16, '0');
      const before = create ? null : state(id, revision - 1, at);
      insert.run(
        timeOrderedId(nanos),
        ACCOUNT,
        at,
        create ? 'create' : 'update',
        id,
        revision,
        credential,
        ray,
        create ? 'POST' : 'PATCH',
        uri,
        before,
        state(id, revision, at),
      );
    }
  });
  const batch = 50_000;
  for (let from = 0; from < count; from += batch) {
    writeBatch(from, Math.min(count, from + batch));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `\r  seeding: ${Math.min(count, from + batch).toLocaleString('en')}/${count.toLocaleString('en')} audit entries  ${seconds} s`,
    );
  }
  process.stderr.write('\n');
}

/**
 * An entry id as the server makes it (src/audit/entries.ts): a UUID version 7 of the entry's millisecond.
 * Version 4 ids here put the server's new ids in the middle of the unique index's range, where every
 * split rebalances its neighbours: a cost no history the server wrote has.
 */
function timeOrderedId(nanos: bigint): string {
  const time = (nanos / 1_000_000n).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

function timestamp(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}
