// Version targets (docs/contract.md §8.4): the resolution rule, the batch, the account's document with its
// ETag, the envelope, and freshness — this process's own writes at once, another connection's (another
// replica, another process) within 1 s. Over the real app on SQLite, and on PostgreSQL (two stores on one
// database, each with its own LISTEN connection, standing for two replicas) when
// RINGMASTER_TEST_POSTGRES_URL is set.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.ts';
import { COMMAND_LINE } from '../src/audit/context.ts';
import { now } from '../src/clock.ts';
import { loadMigrations } from '../src/store/migrations.ts';
import { openPostgresStore } from '../src/store/postgres/store.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import type { Store } from '../src/store/store.ts';
import { TokenService } from '../src/tokens/service.ts';
import { PolicyIndex } from '../src/version-targets/policy-index.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { CF_RAY } from './support/envelope.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  reportPostgresSkipped,
  type TestDatabase,
} from './support/postgres.ts';

reportPostgresSkipped('version targets on PostgreSQL');

const groupsUrl = (account = ACCOUNT) => `/client/v4/accounts/${account}/devices/deployment-groups`;
const targetsUrl = (account = ACCOUNT) => `/ringmaster/v1/accounts/${account}/version-targets`;
const lookupUrl = (policy: string, environment: string, account = ACCOUNT) =>
  `${targetsUrl(account)}?policy_id=${encodeURIComponent(policy)}&target_environment=${environment}`;
const V = { windows: '2026.6.822.0', macos: '2026.6.900.0', every: '2026.5.700.0' };

interface Installation {
  apps: FastifyInstance[];
  /** A store on the same database through its own connection(s): another process, as far as data goes. */
  other: Store;
  secrets: { admin: string; targets: string };
  close(): Promise<void>;
}

async function install(stores: Store[], other: Store, cleanup: () => Promise<void>): Promise<Installation> {
  const tokens = new TokenService(stores[0] as Store);
  const admin = await tokens.createToken({ accounts: null, permission: 'write' });
  const targets = await tokens.createToken({ accounts: [ACCOUNT], permission: 'targets' });
  const apps = stores.map((store) =>
    buildApp({
      config: {
        logLevel: 'silent',
        targetEnvironments: ['windows', 'macos'],
        authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
      },
      store,
    }),
  );
  for (const app of apps) await app.ready();
  return {
    apps,
    other,
    secrets: { admin: admin.secret, targets: targets.secret },
    async close() {
      for (const app of apps) await app.close();
      for (const store of [...stores, other]) await store.close();
      await cleanup();
    },
  };
}

const backends: { name: string; install(): Promise<Installation> }[] = [
  {
    name: 'sqlite',
    async install() {
      const dir = mkdtempSync(join(tmpdir(), 'ringmaster-targets-'));
      const path = join(dir, 'test.db');
      const store = openSqliteStore({ path });
      return install([store], openSqliteStore({ path }), async () =>
        rmSync(dir, { recursive: true, force: true }),
      );
    },
  },
];
let database: TestDatabase | undefined;
if (POSTGRES_URL) {
  backends.push({
    name: 'postgres',
    async install() {
      database = await createTestDatabase();
      const url = database.url;
      const stores = [await openPostgresStore({ url }), await openPostgresStore({ url })];
      return install(stores, await openPostgresStore({ url }), async () => database?.drop());
    },
  });
}

for (const backend of backends) {
  describe(`version targets: ${backend.name}`, () => {
    let t: Installation;
    before(async () => {
      t = await backend.install();
    });
    after(async () => {
      await t?.close();
    });

    type Response = LightMyRequestResponse & { json(): any };
    function call(
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      options: { body?: unknown; token?: string; headers?: Record<string, string>; replica?: number } = {},
    ): Promise<Response> {
      return (t.apps[options.replica ?? 0] as FastifyInstance).inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${options.token ?? t.secrets.admin}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
      }) as Promise<Response>;
    }

    async function createGroup(fields: Record<string, unknown>, account = ACCOUNT) {
      const name = `ring ${randomUUID()}`;
      const response = await call('POST', groupsUrl(account), {
        body: { name, version_config: [{ target_environment: 'windows', version: V.windows }], ...fields },
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json().result as { id: string; name: string };
    }

    /** A fresh policy ID, unique to the test. */
    const policy = () => randomUUID();

    it('resolves by the rule: exact environment, then the entry for every environment, else none', async () => {
      const [exact, fallback, noEntry, deleted, moved, foreign, none] = [
        policy(),
        policy(),
        policy(),
        policy(),
        policy(),
        policy(),
        policy(),
      ];
      const both = await createGroup({
        version_config: [
          { target_environment: 'windows', version: V.windows },
          { target_environment: null, version: V.every },
        ],
        policy_ids: [exact, fallback],
      });
      const windowsOnly = await createGroup({ policy_ids: [noEntry, moved] });
      const doomed = await createGroup({ policy_ids: [deleted] });
      assert.equal((await call('DELETE', `${groupsUrl()}/${doomed.id}`)).statusCode, 200);
      const patched = await call('PATCH', `${groupsUrl()}/${windowsOnly.id}`, {
        body: { policy_ids: [noEntry] },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      await createGroup({ policy_ids: [foreign] }, OTHER_ACCOUNT);

      const cases: [
        string,
        string,
        string,
        { version: string; group: { id: string; name: string } } | number,
      ][] = [
        ['the entry for its environment', exact, 'windows', { version: V.windows, group: both }],
        ['the entry for every environment', fallback, 'macos', { version: V.every, group: both }],
        ['no entry for the environment and none for every one', noEntry, 'macos', 2102],
        [
          'the same group, its own environment',
          noEntry,
          'windows',
          { version: V.windows, group: windowsOnly },
        ],
        ['a policy no group ever held', none, 'windows', 2101],
        ['a policy of a deleted group', deleted, 'windows', 2101],
        ['a policy removed from its group', moved, 'windows', 2101],
        ['another account’s policy', foreign, 'windows', 2101],
      ];
      for (const [name, policyId, environment, expected] of cases) {
        const response = await call('GET', lookupUrl(policyId, environment), { token: t.secrets.targets });
        assert.equal(response.statusCode, 200, `${name}: ${response.body}`);
        const body = response.json();
        if (typeof expected === 'number') {
          assert.equal(body.result, null, name);
          assert.equal(body.messages.length, 1, name);
          assert.equal(body.messages[0].code, expected, name);
          assert.match(body.messages[0].message, /\S/, name);
        } else {
          assert.deepEqual(body.messages, [], name);
          assert.deepEqual(
            body.result,
            {
              policy_id: policyId,
              target_environment: environment,
              version: expected.version,
              deployment_group: { id: expected.group.id, name: expected.group.name },
            },
            name,
          );
        }
      }
      // The other account's own credential does find it there.
      const there = await call('GET', lookupUrl(foreign, 'windows', OTHER_ACCOUNT));
      assert.equal(there.json().result.version, V.windows);
    });

    it('answers in the official envelope, with cf-ray and JSON, a result or a message', async () => {
      const held = policy();
      await createGroup({ policy_ids: [held] });
      for (const url of [lookupUrl(held, 'windows'), lookupUrl(policy(), 'windows'), targetsUrl()]) {
        const response = await call('GET', url, { token: t.secrets.targets });
        assert.equal(response.statusCode, 200);
        assert.match(String(response.headers['content-type']), /^application\/json; charset=utf-8$/);
        assert.match(String(response.headers['cf-ray']), CF_RAY);
        const body = response.json();
        assert.deepEqual(Object.keys(body).sort(), ['errors', 'messages', 'result', 'success']);
        assert.equal(body.success, true);
        assert.deepEqual(body.errors, []);
      }
    });

    it('validates the parameters: every violation, named by its parameter', async () => {
      const cases: [string, string[]][] = [
        ['?policy_id=p', ['target_environment']],
        ['?target_environment=windows', ['policy_id']],
        ['?policy_id=p&target_environment=linux', ['target_environment']],
        ['?policy_id=has%20space&target_environment=windows', ['policy_id']],
        [`?policy_id=${'x'.repeat(37)}&target_environment=solaris`, ['policy_id', 'target_environment']],
        ['?policy_id=a&policy_id=b&target_environment=windows', ['policy_id']],
        ['?policy_id=&target_environment=windows', ['policy_id']],
      ];
      for (const [query, parameters] of cases) {
        const response = await call('GET', `${targetsUrl()}${query}`, { token: t.secrets.targets });
        assert.equal(response.statusCode, 400, `${query}: ${response.body}`);
        const errors: { code: number; source: { parameter: string } }[] = response.json().errors;
        assert.ok(
          errors.every((error) => error.code === 2001),
          query,
        );
        assert.deepEqual(errors.map((error) => error.source.parameter).sort(), parameters, query);
      }
    });

    it('answers a batch in the order asked, null with a message for each query nothing answers', async () => {
      const [a, b] = [policy(), policy()];
      const group = await createGroup({
        version_config: [
          { target_environment: 'windows', version: V.windows },
          { target_environment: 'macos', version: V.macos },
        ],
        policy_ids: [a, b],
      });
      const queries = [
        { policy_id: b, target_environment: 'macos' },
        { policy_id: policy(), target_environment: 'windows' },
        { policy_id: a, target_environment: 'windows' },
        { policy_id: b, target_environment: 'windows' },
      ];
      const response = await call('POST', `${targetsUrl()}/resolve`, {
        body: { queries },
        token: t.secrets.targets,
      });
      assert.equal(response.statusCode, 200, response.body);
      const { result, messages } = response.json();
      assert.deepEqual(
        result.map((r: { version: string } | null) => r?.version ?? null),
        [V.macos, null, V.windows, V.windows],
      );
      assert.deepEqual(
        result.map((r: { policy_id: string } | null) => r?.policy_id ?? null),
        [b, null, a, b],
      );
      assert.equal(result[0].deployment_group.id, group.id);
      assert.deepEqual(
        messages.map((m: { code: number }) => m.code),
        [2101],
      );
      assert.match(messages[0].message, /^queries\[1\]: /);

      const many = Array.from({ length: 1000 }, (_, i) => ({
        policy_id: i % 2 ? a : `absent-${i}`,
        target_environment: 'windows',
      }));
      const full = await call('POST', `${targetsUrl()}/resolve`, { body: { queries: many } });
      assert.equal(full.statusCode, 200);
      assert.equal(full.json().result.length, 1000);
      assert.equal(full.json().messages.length, 500);
    });

    it('refuses a batch of 0 or 1001 queries, and points at each bad item', async () => {
      const resolve = (body: unknown) => call('POST', `${targetsUrl()}/resolve`, { body });
      const query = { policy_id: 'p', target_environment: 'windows' };
      const pointers = async (body: unknown) => {
        const response = await resolve(body);
        assert.equal(response.statusCode, 400, response.body);
        return response.json().errors.map((e: { code: number; source: { pointer: string } }) => {
          assert.equal(e.code, 2001);
          return e.source.pointer;
        });
      };
      assert.deepEqual(await pointers({ queries: [] }), ['/queries']);
      assert.deepEqual(await pointers({ queries: Array(1001).fill(query) }), ['/queries']);
      assert.deepEqual(await pointers({}), ['/queries']);
      assert.deepEqual(
        (
          await pointers({
            queries: [
              query,
              { policy_id: '', target_environment: 'windows' },
              { policy_id: 'p', target_environment: 'beos' },
              { policy_id: 'p' },
              { ...query, extra: 1 },
            ],
          })
        ).sort(),
        [
          '/queries/1/policy_id',
          '/queries/2/target_environment',
          '/queries/3/target_environment',
          '/queries/4/extra',
        ].sort(),
      );
    });

    it('serves the account’s document with a strong ETag: 304 while nothing changed, a new tag after', async () => {
      const account = randomHexAccount();
      const [a, b, c] = [policy(), policy(), policy()];
      const first = await createGroup({ policy_ids: [a, b] }, account);
      const empty = await createGroup({}, account);
      const read = (headers: Record<string, string> = {}) => call('GET', targetsUrl(account), { headers });
      const initial = await read();
      assert.equal(initial.statusCode, 200);
      const etag = String(initial.headers.etag);
      assert.match(etag, /^"[^"]+"$/);
      assert.deepEqual(initial.json().result, {
        targets: [a, b].map((policy_id) => ({
          policy_id,
          deployment_group_id: first.id,
          version_config: [{ target_environment: 'windows', version: V.windows }],
        })),
      });
      const unchanged = await read({ 'if-none-match': etag });
      assert.equal(unchanged.statusCode, 304);
      assert.equal(unchanged.body, '');
      assert.equal(unchanged.headers.etag, etag);
      assert.equal((await read({ 'if-none-match': `W/${etag}` })).statusCode, 304, 'weak comparison');
      assert.equal((await read({ 'if-none-match': '"other", *' })).statusCode, 400, 'a malformed list');
      assert.equal((await read({ 'if-none-match': '"other"' })).statusCode, 200);

      // A change elsewhere (another account) keeps the tag; a change of any group of the account moves it.
      await createGroup({ policy_ids: [policy()] });
      assert.equal((await read({ 'if-none-match': etag })).statusCode, 304);
      const renamed = await call('PATCH', `${groupsUrl(account)}/${empty.id}`, { body: { name: 'renamed' } });
      assert.equal(renamed.statusCode, 200);
      const afterRename = await read({ 'if-none-match': etag });
      assert.equal(afterRename.statusCode, 200);
      assert.notEqual(afterRename.headers.etag, etag);
      await call('PATCH', `${groupsUrl(account)}/${empty.id}`, { body: { policy_ids: [c] } });
      const afterClaim = await read();
      assert.deepEqual(
        afterClaim.json().result.targets.map((target: { policy_id: string }) => target.policy_id),
        [a, b, c],
      );
    });

    it('streams a large document whole, byte for byte valid JSON', async () => {
      const account = randomHexAccount();
      const ids = Array.from({ length: 5000 }, (_, i) => `large-${i}`);
      for (let i = 0; i < ids.length; i += 1000)
        await createGroup({ policy_ids: ids.slice(i, i + 1000) }, account);
      const response = await call('GET', targetsUrl(account));
      assert.equal(response.statusCode, 200);
      assert.ok(response.body.length > 64 * 1024, 'more than one chunk');
      const targets: { policy_id: string }[] = response.json().result.targets;
      assert.deepEqual(
        targets.map((target) => target.policy_id),
        ids,
      );
    });

    it('shows this process’s own writes to the very next request', async () => {
      const held = policy();
      const group = await createGroup({ policy_ids: [held] });
      const versions = ['2026.7.1.0', '2026.7.2.0', '2026.7.3.0', '2026.7.4.0', '2026.7.5.0'];
      assert.equal((await call('GET', lookupUrl(held, 'windows'))).json().result.version, V.windows);
      for (const version of versions) {
        const patched = await call('PATCH', `${groupsUrl()}/${group.id}`, {
          body: { version_config: [{ target_environment: 'windows', version }] },
        });
        assert.equal(patched.statusCode, 200);
        assert.equal((await call('GET', lookupUrl(held, 'windows'))).json().result.version, version);
      }
      assert.equal((await call('DELETE', `${groupsUrl()}/${group.id}`)).statusCode, 200);
      assert.equal((await call('GET', lookupUrl(held, 'windows'))).json().result, null);
    });

    it('shows another connection’s writes (another replica or process) within 1 s', async () => {
      const held = policy();
      const replica = t.apps.length - 1;
      const group = await createGroup({ policy_ids: [held] });
      const lookup = async () =>
        (await call('GET', lookupUrl(held, 'windows'), { replica })).json().result?.version ?? null;
      assert.equal(await lookup(), V.windows);
      for (const version of ['2026.8.1.0', '2026.8.2.0', null]) {
        const started = performance.now();
        if (version === null) {
          await t.other.deleteDeploymentGroup(ACCOUNT, group.id, { context: COMMAND_LINE });
        } else {
          const changed = await t.other.updateDeploymentGroup(
            ACCOUNT,
            group.id,
            ({ group: current }) => ({
              ...current,
              version_config: [{ target_environment: 'windows', version }],
              updated_at: now(),
            }),
            { context: COMMAND_LINE },
          );
          assert.ok(changed);
        }
        let seen = await lookup();
        while (seen !== version && performance.now() - started < 3000) {
          await sleep(20);
          seen = await lookup();
        }
        const elapsed = performance.now() - started;
        assert.equal(seen, version);
        assert.ok(elapsed < 1000, `seen after ${Math.round(elapsed)} ms`);
      }
    });

    it('lets a targets token read only the version targets of its accounts', async () => {
      const token = t.secrets.targets;
      assert.equal((await call('GET', lookupUrl('p', 'windows'), { token })).statusCode, 200);
      assert.equal((await call('GET', targetsUrl(), { token })).statusCode, 200);
      assert.equal((await call('GET', lookupUrl('p', 'windows', OTHER_ACCOUNT), { token })).statusCode, 403);
      assert.equal((await call('GET', groupsUrl(), { token })).statusCode, 403);
    });
  });
}

let accounts = 0;
/** A fresh account for a test that needs one of its own (32 lowercase hex digits). */
function randomHexAccount(): string {
  accounts += 1;
  return `${randomUUID().replaceAll('-', '').slice(0, 28)}${accounts.toString(16).padStart(4, '0')}`;
}

describe('migration 006: the targets permission', () => {
  it('rebuilds SQLite’s credentials table keeping every credential, and then accepts `targets`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringmaster-006-'));
    try {
      const path = join(dir, 'old.db');
      // A database as it was before 006: the earlier migrations only, one credential of each permission.
      const db = new BetterSqlite3(path);
      db.exec(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      for (const migration of loadMigrations('sqlite').filter((m) => m.version < 6)) {
        db.exec(migration.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          'x',
        );
      }
      assert.throws(() => insertCredential(db, 'targets'), /CHECK constraint failed/);
      const before = [insertCredential(db, 'read'), insertCredential(db, 'write')];
      db.close();

      const store = openSqliteStore({ path });
      try {
        const listed = await store.listCredentials();
        assert.deepEqual(listed.map((c) => c.id).sort(), before.sort());
        await new TokenService(store).createToken({ accounts: null, permission: 'targets' });
        assert.deepEqual((await store.listCredentials()).map((c) => c.permission).sort(), [
          'read',
          'targets',
          'write',
        ]);
      } finally {
        await store.close();
      }
      const reopened = new BetterSqlite3(path, { readonly: true });
      assert.throws(() => insertCredential(reopened, 'admin'), /readonly|CHECK/);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A credential row straight into the table; its id. */
function insertCredential(db: BetterSqlite3.Database, permission: string): string {
  const id = randomUUID().replaceAll('-', '');
  db.prepare(
    `INSERT INTO credentials (id, kind, name, email, secret_hash, permission, accounts, created_at, expires_at, revoked_at)
     VALUES (?, 'token', NULL, NULL, ?, ?, NULL, ?, NULL, NULL)`,
  ).run(id, id + id, permission, now());
  return id;
}

describe('the packed policy index', () => {
  it('finds every held policy’s group and nothing else, across groups, with colliding and similar IDs', () => {
    const lists = Array.from({ length: 20 }, (_, g) =>
      Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? `${g}-${i}` : randomUUID())),
    );
    lists.push(['a', '!', '~'.repeat(36)], []);
    const index = new PolicyIndex(lists);
    assert.equal(index.size, 20_003);
    let ordinal = 0;
    lists.forEach((list, group) => {
      for (const id of list) {
        assert.equal(index.groupOf(id), group, id);
        assert.equal(index.id(ordinal), id);
        ordinal += 1;
      }
    });
    for (const absent of ['', 'b', '0-1', '0-30x', 'x0-3', randomUUID(), '~'.repeat(35)]) {
      assert.equal(index.groupOf(absent), undefined, absent);
    }
  });
});
