// Storage failures on the embedded backend: a full disk and a database locked by
// another process answer every write with the 503 envelope (code 2009, Retry-After), store nothing of
// the failed request, and the server recovers by itself once the storage does — no restart.
// "Disk full" is SQLite's own: PRAGMA max_page_count on the store's connection makes the next page
// allocation fail with SQLITE_FULL, exactly as a full file system would. The test opens that connection
// itself (openSqliteDatabase) and hands it to the store, so it can set the pragma on it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { openSqliteDatabase } from '../src/store/sqlite/open.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { TokenService } from '../src/tokens/service.ts';
import { ACCOUNT, groupsUrl, groupUrl, validGroup } from './support/app.ts';
import { assertErrorEnvelope, fromFetch } from './support/envelope.ts';

let dir: string;
let path: string;
let db: BetterSqlite3.Database;
let store: SqliteStore;
let app: FastifyInstance;
let admin: string;
let base: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringmaster-storage-'));
  path = join(dir, 'test.db');
  db = openSqliteDatabase(path);
  store = new SqliteStore(db);
  admin = (await new TokenService(store).createToken({ accounts: null, permission: 'write' })).secret;
  app = buildApp({
    config: {
      logLevel: 'silent',
      targetEnvironments: ['windows', 'macos'],
      authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
    },
    store,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  base = `http://127.0.0.1:${address.port}`;
});
after(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, url: string, body?: unknown) {
  const response = await fetch(base + url, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const raw = await fromFetch(response);
  return { ...raw, json: () => JSON.parse(raw.body) };
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Every group of ACCOUNT and every policy ownership row, straight from the file. */
function snapshot() {
  return {
    groups: db.prepare('SELECT * FROM deployment_groups ORDER BY id').all(),
    owners: db.prepare('SELECT * FROM policy_owners ORDER BY account_id, policy_id').all(),
  };
}

/** Asserts that the policy IDs are free, by claiming them in a new group (then deleting it). */
async function assertFree(policyIds: string[]) {
  const claim = await call('POST', groupsUrl(), validGroup({ name: 'claim probe', policy_ids: policyIds }));
  assert.equal(claim.status, 200, claim.body);
  assert.equal((await call('DELETE', groupUrl(claim.json().result.id))).status, 200);
}

function assertUnavailable(response: Awaited<ReturnType<typeof call>>) {
  assertErrorEnvelope(response, 503, 2009);
  assert.match(String(response.headers['retry-after']), /^\d+$/);
  // 503 is worth retrying: the SDKs must not be told otherwise.
  assert.equal(response.headers['x-should-retry'], undefined);
}

describe('disk full', () => {
  const UNLIMITED = 4294967294;
  let existing: { id: string; name: string; policy_ids: string[]; updated_at: string };
  let round = 0;

  beforeEach(async () => {
    db.pragma(`max_page_count = ${UNLIMITED}`);
    round++;
    const created = await call(
      'POST',
      groupsUrl(),
      validGroup({ name: 'before the disk filled', policy_ids: [`df-held-${round}`] }),
    );
    assert.equal(created.status, 200, created.body);
    existing = created.json().result;
  });

  /** Caps the file at its current size: the next write that needs a new page fails with SQLITE_FULL. */
  function fillDisk() {
    // VACUUM first: no free pages left for a write to reuse.
    db.exec('VACUUM');
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    assert.equal(db.pragma('max_page_count', { simple: true }), pages);
  }

  test('answers a create with 503 code 2009 and Retry-After, and stores nothing of it', async () => {
    fillDisk();
    const before = snapshot();
    const policyIds = ids('df-create', 1000);
    const response = await call(
      'POST',
      groupsUrl(),
      validGroup({ name: 'x'.repeat(255), policy_ids: policyIds }),
    );
    assertUnavailable(response);
    assert.deepEqual(snapshot(), before);
    db.pragma(`max_page_count = ${UNLIMITED}`);
    await assertFree(policyIds);
  });

  test('answers an update with 503 code 2009 and leaves the group exactly as it was', async () => {
    fillDisk();
    const before = snapshot();
    const added = ids('df-update', 1000);
    const response = await call('PATCH', groupUrl(existing.id), {
      name: 'renamed while the disk was full',
      policy_ids: [...existing.policy_ids, ...added.slice(0, 999)],
    });
    assertUnavailable(response);
    assert.deepEqual(snapshot(), before);
    const after = await call('GET', groupUrl(existing.id));
    assert.deepEqual(after.json().result, existing);
    db.pragma(`max_page_count = ${UNLIMITED}`);
    await assertFree(added.slice(0, 999));
  });

  test('keeps concurrent writes all-or-nothing when only some fit (group commit)', async () => {
    fillDisk();
    // Small renames may fit in the pages the file has; 1000-policy creates cannot.
    const writes = await Promise.all([
      call('POST', groupsUrl(), validGroup({ name: 'big 1', policy_ids: ids('df-batch-1', 1000) })),
      call('PATCH', groupUrl(existing.id), { name: 'small rename' }),
      call('POST', groupsUrl(), validGroup({ name: 'big 2', policy_ids: ids('df-batch-2', 1000) })),
      call('POST', groupsUrl(), validGroup({ name: 'small create' })),
    ]);
    for (const response of writes) {
      if (response.status !== 200) assertUnavailable(response);
    }
    assert.ok(
      writes.some((response) => response.status === 503),
      'at least one write must have hit the full disk',
    );
    db.pragma(`max_page_count = ${UNLIMITED}`);
    const [big1, rename, big2, small] = writes as [
      (typeof writes)[0],
      (typeof writes)[0],
      (typeof writes)[0],
      (typeof writes)[0],
    ];
    const names = (await call('GET', `${groupsUrl()}?per_page=100`))
      .json()
      .result.map((g: { name: string }) => g.name);
    for (const [response, name, policyIds] of [
      [big1, 'big 1', ids('df-batch-1', 1000)],
      [big2, 'big 2', ids('df-batch-2', 1000)],
      [small, 'small create', []],
    ] as const) {
      assert.equal(names.includes(name), response.status === 200, `${name}: ${response.status}`);
      if (response.status !== 200 && policyIds.length > 0) await assertFree([...policyIds]);
    }
    const current = (await call('GET', groupUrl(existing.id))).json().result;
    assert.equal(current.name, rename.status === 200 ? 'small rename' : existing.name);
  });

  test('accepts writes again as soon as space is available, without a restart', async () => {
    fillDisk();
    const body = validGroup({ name: 'after the disk was freed', policy_ids: ids('df-recover', 500) });
    assertUnavailable(await call('POST', groupsUrl(), body));
    db.pragma(`max_page_count = ${UNLIMITED}`);
    const retried = await call('POST', groupsUrl(), body);
    assert.equal(retried.status, 200, retried.body);
    const fetched = await call('GET', groupUrl(retried.json().result.id));
    assert.deepEqual(fetched.json().result, retried.json().result);
    const ready = await call('GET', '/readyz');
    assert.equal(ready.status, 200);
  });
});

describe('database locked by another process', () => {
  let other: BetterSqlite3.Database;

  before(() => {
    other = new BetterSqlite3(path);
  });
  after(() => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
  });

  test('answers writes with 503 code 2009 while another connection holds the write lock, and recovers', async (context) => {
    const group = (await call('POST', groupsUrl(), validGroup({ name: 'before the lock' }))).json().result;
    const before = snapshot();
    const policyIds = ids('locked', 3);
    other.exec('BEGIN IMMEDIATE');
    let released = false;
    try {
      const started = Date.now();
      const writes = Promise.all([
        call('POST', groupsUrl(), validGroup({ name: 'while locked', policy_ids: policyIds })),
        call('PATCH', groupUrl(group.id), { name: 'renamed while locked' }),
      ]);
      const [create, update] = await writes;
      context.diagnostic(`locked writes answered after ${Date.now() - started} ms (busy_timeout)`);
      assertUnavailable(create);
      assertUnavailable(update);
      // Reads go on: WAL readers do not wait for the writer.
      const list = await call('GET', `${groupsUrl()}?per_page=100`);
      assert.equal(list.status, 200);
      assert.equal(
        list.json().result_info.total_count,
        before.groups.filter((g: any) => g.account_id === ACCOUNT).length,
      );
      other.exec('ROLLBACK');
      released = true;
      assert.deepEqual(snapshot(), before);
      const retried = await call(
        'POST',
        groupsUrl(),
        validGroup({ name: 'after the lock', policy_ids: policyIds }),
      );
      assert.equal(retried.status, 200, retried.body);
    } finally {
      if (!released) other.exec('ROLLBACK');
    }
  });
});
