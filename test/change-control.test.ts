// Change control (docs/contract.md §8.1–§8.3, the write side): ETags and conditional requests,
// Idempotency-Key, the audit entry of every change (in the change's own transaction), history, revert,
// preview and retention. Run over the real app on SQLite, and on PostgreSQL when
// RINGMASTER_TEST_POSTGRES_URL is set (there also across two replicas sharing one database).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { pruneOnce } from '../src/audit/retention.ts';
import { formatTimestamp, NANOS_PER_DAY, nowNanos, setClock } from '../src/clock.ts';
import { openPostgresStore } from '../src/store/postgres/store.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import type { Store } from '../src/store/store.ts';
import { TokenService } from '../src/tokens/service.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  reportPostgresSkipped,
  type TestDatabase,
} from './support/postgres.ts';

reportPostgresSkipped('change control on PostgreSQL');

const groupsUrl = (account = ACCOUNT) => `/client/v4/accounts/${account}/devices/deployment-groups`;
const groupUrl = (id: string) => `${groupsUrl()}/${id}`;
const extensions = (path: string, account = ACCOUNT) =>
  `/ringmaster/v1/accounts/${account}/deployment-groups/${path}`;
const body = (overrides: Record<string, unknown> = {}) => ({
  name: 'Ring 0',
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  ...overrides,
});

interface Replica {
  app: FastifyInstance;
  store: Store;
}

/** One installation: a database, the credentials, and one or two replicas serving it. */
interface Installation {
  replicas: Replica[];
  secrets: { admin: string; writer: string; reader: string };
  adminId: string;
  /** Runs SQL directly on the database (to sabotage it, or to look under the Store interface). */
  sql(text: string): Promise<unknown[]>;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  install(replicas: number): Promise<Installation>;
  /** A trigger that makes every insert into audit_log fail, and its removal. */
  refuseAudit: [string, string];
}

async function withCredentials(
  stores: Store[],
  sql: Installation['sql'],
  close: () => Promise<void>,
): Promise<Installation> {
  const tokens = new TokenService(stores[0] as Store);
  const admin = await tokens.createToken({ accounts: null, permission: 'write', name: 'admin token' });
  const writer = await tokens.createToken({ accounts: [ACCOUNT], permission: 'write', name: 'writer' });
  const reader = await tokens.createToken({ accounts: [ACCOUNT], permission: 'read' });
  const replicas = stores.map((store) => {
    const app = buildApp({
      config: {
        logLevel: 'silent',
        targetEnvironments: ['windows', 'macos'],
        authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
        trustProxy: true,
      },
      store,
    });
    return { app, store };
  });
  for (const replica of replicas) await replica.app.ready();
  return {
    replicas,
    secrets: { admin: admin.secret, writer: writer.secret, reader: reader.secret },
    adminId: admin.credential.id,
    sql,
    async close() {
      for (const replica of replicas) await replica.app.close();
      for (const store of stores) await store.close();
      await close();
    },
  };
}

const sqlite: Backend = {
  name: 'sqlite',
  async install() {
    const dir = mkdtempSync(join(tmpdir(), 'ringmaster-change-'));
    const path = join(dir, 'test.db');
    const store = openSqliteStore({ path });
    const sql = async (text: string) => {
      const db = new BetterSqlite3(path);
      try {
        const statement = db.prepare(text);
        if (statement.reader) return statement.all();
        statement.run();
        return [];
      } finally {
        db.close();
      }
    };
    return withCredentials([store], sql, async () => rmSync(dir, { recursive: true, force: true }));
  },
  refuseAudit: [
    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
    'DROP TRIGGER refuse_audit',
  ],
};

let database: TestDatabase | undefined;
const postgres: Backend = {
  name: 'postgres',
  async install(replicas) {
    const url = await (database as TestDatabase).createSchema();
    const stores: Store[] = [];
    for (let i = 0; i < replicas; i++) stores.push(await openPostgresStore({ url }));
    const sql = async (text: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const result = await client.query(text);
        return Array.isArray(result) ? [] : result.rows;
      } finally {
        await client.end();
      }
    };
    return withCredentials(stores, sql, async () => {});
  },
  refuseAudit: [
    `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$;
     CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
    'DROP TRIGGER refuse_audit ON audit_log; DROP FUNCTION refuse_audit()',
  ],
};

for (const backend of POSTGRES_URL ? [sqlite, postgres] : [sqlite]) {
  describe(`change control: ${backend.name}`, () => {
    let t: Installation;
    before(async () => {
      if (backend === postgres) database = await createTestDatabase();
      t = await backend.install(2);
    });
    after(async () => {
      await t?.close();
      if (backend === postgres) await database?.drop();
    });
    afterEach(() => setClock());

    /** A request to replica `replica` (0 by default) with the admin token unless told otherwise. */
    async function call(
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      options: { body?: unknown; headers?: Record<string, string>; token?: string; replica?: number } = {},
    ) {
      const app = (t.replicas[options.replica ?? 0] ?? t.replicas[0]) as Replica;
      return app.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${options.token ?? t.secrets.admin}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
      });
    }

    async function create(overrides: Record<string, unknown> = {}) {
      const response = await call('POST', groupsUrl(), { body: body(overrides) });
      assert.equal(response.statusCode, 200, response.body);
      return { group: response.json().result, etag: response.headers.etag as string };
    }

    async function entriesOf(groupId: string) {
      return (await t.sql(`SELECT * FROM audit_log WHERE resource_id = '${groupId}' ORDER BY seq`)) as Record<
        string,
        unknown
      >[];
    }

    describe('ETags and conditional requests (§8.1)', () => {
      it('tags every 200 carrying one group, answers If-None-Match with 304, and moves the tag only on a change', async () => {
        const { group, etag } = await create();
        assert.match(etag, /^"r1-\d{4}-\d\d-\d\dT[\d:.]+Z"$/);
        const got = await call('GET', groupUrl(group.id));
        assert.equal(got.headers.etag, etag);
        const unchanged = await call('GET', groupUrl(group.id), { headers: { 'if-none-match': etag } });
        assert.equal(unchanged.statusCode, 304);
        assert.equal(unchanged.body, '');
        assert.equal(unchanged.headers.etag, etag);
        const weak = await call('GET', groupUrl(group.id), {
          headers: { 'if-none-match': `"x", W/${etag}` },
        });
        assert.equal(weak.statusCode, 304, 'If-None-Match compares weakly');

        const same = await call('PATCH', groupUrl(group.id), { body: { name: 'Ring 0' } });
        assert.equal(same.headers.etag, etag, 'a PATCH that changes nothing keeps the tag');
        const renamed = await call('PATCH', groupUrl(group.id), { body: { name: 'Ring 1' } });
        assert.match(renamed.headers.etag as string, /^"r2-/);
        const stale = await call('GET', groupUrl(group.id), { headers: { 'if-none-match': etag } });
        assert.equal(stale.statusCode, 200);
      });

      it('refuses a PATCH or DELETE whose If-Match does not hold with 412 2007, writing nothing', async () => {
        const { group, etag } = await create();
        const renamed = await call('PATCH', groupUrl(group.id), {
          body: { name: 'B' },
          headers: { 'if-match': etag },
        });
        assert.equal(renamed.statusCode, 200);
        for (const [method, payload] of [
          ['PATCH', { name: 'C' }],
          ['DELETE', undefined],
        ] as const) {
          const refused = await call(method, groupUrl(group.id), {
            body: payload,
            headers: { 'if-match': etag },
          });
          assert.equal(refused.statusCode, 412, refused.body);
          assert.equal(refused.json().errors[0].code, 2007);
        }
        const weak = await call('PATCH', groupUrl(group.id), {
          body: { name: 'D' },
          headers: { 'if-match': `W/${renamed.headers.etag}` },
        });
        assert.equal(weak.statusCode, 412, 'If-Match compares strongly');
        assert.equal((await call('GET', groupUrl(group.id))).json().result.name, 'B');
        assert.equal((await entriesOf(group.id)).length, 2, 'no entry for a refused write');

        const listed = await call('PATCH', groupUrl(group.id), {
          body: { name: 'E' },
          headers: { 'if-match': `, "r0-0",, ${renamed.headers.etag} ,` },
        });
        assert.equal(listed.statusCode, 200, 'any tag of the list may match; empty elements are ignored');
        const any = await call('DELETE', groupUrl(group.id), { headers: { 'if-match': '*' } });
        assert.equal(any.statusCode, 200);
        const malformed = await call('PATCH', groupUrl(group.id), {
          body: {},
          headers: { 'if-match': 'r1' },
        });
        assert.equal(malformed.statusCode, 400);
        assert.deepEqual(malformed.json().errors[0].source, { header: 'If-Match' });
      });

      it('lets exactly one of 20 concurrent PATCHes with the same If-Match win, across replicas', async () => {
        const { group, etag } = await create();
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            call('PATCH', groupUrl(group.id), {
              body: { name: `writer ${i}` },
              headers: { 'if-match': etag },
              replica: i % 2,
            }),
          ),
        );
        const statuses = answers.map((answer) => answer.statusCode);
        assert.equal(statuses.filter((status) => status === 200).length, 1, String(statuses));
        assert.equal(statuses.filter((status) => status === 412).length, 19, String(statuses));
        const winner = answers.find((answer) => answer.statusCode === 200)?.json().result.name;
        assert.equal((await call('GET', groupUrl(group.id))).json().result.name, winner);
        assert.equal((await entriesOf(group.id)).length, 2);
      });
    });

    describe('Idempotency-Key (§8.1)', () => {
      it('replays the first answer for the same key and body, and refuses another body with 422 2014', async () => {
        const headers = { 'idempotency-key': 'create ring 7' };
        const first = await call('POST', groupsUrl(), { body: body({ name: 'Ring 7' }), headers });
        assert.equal(first.statusCode, 200);
        assert.equal(first.headers['idempotent-replayed'], undefined);
        const reordered = { version_config: body().version_config, name: 'Ring 7' };
        const again = await call('POST', groupsUrl(), { body: reordered, headers, replica: 1 });
        assert.equal(again.statusCode, 200);
        assert.equal(again.headers['idempotent-replayed'], 'true');
        assert.equal(again.body, first.body);
        assert.equal(again.headers.etag, first.headers.etag);
        const other = await call('POST', groupsUrl(), { body: body({ name: 'Ring 8' }), headers });
        assert.equal(other.statusCode, 422);
        assert.equal(other.json().errors[0].code, 2014);
        // Scoped to the credential: the same key from another one is another request.
        const writer = await call('POST', groupsUrl(), {
          body: body({ name: 'Ring 7' }),
          headers,
          token: t.secrets.writer,
        });
        assert.equal(writer.headers['idempotent-replayed'], undefined);
        assert.notEqual(writer.json().result.id, first.json().result.id);
      });

      it('refuses a key that is empty, too long or not printable ASCII with 400', async () => {
        for (const key of ['x'.repeat(256), 'ключ', 'tab\there']) {
          const refused = await call('POST', groupsUrl(), {
            body: body(),
            headers: { 'idempotency-key': key },
          });
          assert.equal(refused.statusCode, 400, key);
          assert.deepEqual(refused.json().errors[0].source, { header: 'Idempotency-Key' });
        }
      });

      it('creates at most one group for 20 concurrent creates with one key, across replicas', async () => {
        const name = `concurrent ${backend.name}`;
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            call('POST', groupsUrl(), {
              body: body({ name }),
              headers: { 'idempotency-key': name },
              replica: i % 2,
            }),
          ),
        );
        assert.deepEqual(new Set(answers.map((answer) => answer.statusCode)), new Set([200]));
        assert.equal(new Set(answers.map((answer) => answer.json().result.id)).size, 1);
        const rows = await t.sql(`SELECT id FROM deployment_groups WHERE name = '${name}'`);
        assert.equal(rows.length, 1);
      });

      it('forgets a key after 24 hours (an expired key starts afresh; pruning deletes it)', async () => {
        const headers = { 'idempotency-key': 'yesterday' };
        const first = await call('POST', groupsUrl(), { body: body(), headers });
        const later = nowNanos() + NANOS_PER_DAY + 1_000_000_000n;
        setClock(() => later);
        const fresh = await call('POST', groupsUrl(), { body: body({ name: 'another body' }), headers });
        assert.equal(fresh.statusCode, 200, 'an expired key is not a mismatch');
        assert.notEqual(fresh.json().result.id, first.json().result.id);
        setClock(() => later + NANOS_PER_DAY + 1_000_000_000n);
        const pruned = await pruneOnce(t.replicas[0]?.store as Store, 365);
        assert.ok(pruned.idempotencyKeys >= 1);
        assert.equal((await t.sql("SELECT * FROM idempotency_keys WHERE key = 'yesterday'")).length, 0);
      });
    });

    describe('the audit entry of every change (§8.2)', () => {
      it('records who, how, when and what, for create, update and delete', async () => {
        const headers = {
          'ringmaster-client': 'dashboard',
          'user-agent': 'audit-test/1.0',
          'x-forwarded-for': '203.0.113.9',
        };
        const created = await call('POST', groupsUrl(), { body: body({ policy_ids: ['p-audit'] }), headers });
        const id = created.json().result.id;
        await call('PATCH', groupUrl(id), {
          body: { name: 'Renamed' },
          headers: { 'ringmaster-client': 'cli' },
        });
        const deleted = await call('DELETE', groupUrl(id));
        const entries = await entriesOf(id);
        assert.deepEqual(
          entries.map((e) => [e.action, Number(e.revision), e.interface]),
          [
            ['create', 1, 'dashboard'],
            ['update', 2, 'CLI'],
            ['delete', 3, 'API'],
          ],
        );
        const [first, second, third] = entries as Record<string, unknown>[];
        assert.equal(first?.account_id, ACCOUNT);
        assert.equal(first?.actor_type, 'user');
        assert.equal(first?.actor_id, t.adminId);
        assert.equal(first?.actor_name, 'admin token');
        assert.equal(first?.actor_ip, '203.0.113.9');
        assert.equal(first?.user_agent, 'audit-test/1.0');
        assert.equal(first?.ray_id, created.headers['cf-ray']);
        assert.equal(first?.method, 'POST');
        assert.equal(first?.uri, groupsUrl());
        assert.equal(Number(first?.status), 200);
        assert.equal(first?.before, null);
        assert.deepEqual(JSON.parse(first?.after as string), created.json().result);
        assert.equal(JSON.parse(second?.before as string).name, 'Ring 0');
        assert.equal(JSON.parse(second?.after as string).name, 'Renamed');
        assert.equal(third?.after, null);
        assert.equal(third?.ray_id, deleted.headers['cf-ray']);
      });

      it('writes neither the change nor its entry when either fails', async () => {
        const { group: owner } = await create({ policy_ids: ['held'] });
        const { group } = await create();
        const conflict = await call('PATCH', groupUrl(group.id), { body: { policy_ids: ['held'] } });
        assert.equal(conflict.statusCode, 409);
        assert.equal((await entriesOf(group.id)).length, 1);

        const [refuse, allow] = backend.refuseAudit;
        await t.sql(refuse);
        try {
          const failed = await call('PATCH', groupUrl(group.id), { body: { name: 'never stored' } });
          assert.equal(failed.statusCode, 500);
          const deleted = await call('DELETE', groupUrl(owner.id));
          assert.equal(deleted.statusCode, 500);
          const created = await call('POST', groupsUrl(), { body: body({ name: 'never created' }) });
          assert.equal(created.statusCode, 500);
        } finally {
          await t.sql(allow);
        }
        assert.equal((await call('GET', groupUrl(group.id))).json().result.name, 'Ring 0');
        assert.equal((await call('GET', groupUrl(owner.id))).statusCode, 200);
        assert.equal(
          (await t.sql("SELECT id FROM deployment_groups WHERE name = 'never created'")).length,
          0,
        );
        assert.equal((await entriesOf(group.id)).length, 1);
      });

      it('records credential create and revoke, made at the command line, without secrets', async () => {
        const tokens = new TokenService(t.replicas[0]?.store as Store);
        const created = await tokens.createToken({
          accounts: [ACCOUNT, OTHER_ACCOUNT],
          permission: 'read',
          name: 'ci',
        });
        await tokens.revoke(created.credential.id);
        const entries = (await t.sql(
          `SELECT * FROM audit_log WHERE resource_id = '${created.credential.id}' ORDER BY seq`,
        )) as Record<string, unknown>[];
        assert.deepEqual(
          entries.map((e) => [e.action, e.account_id, e.resource_type, e.actor_type, e.interface]),
          [
            ['create', ACCOUNT, 'api_token', 'system', 'CLI'],
            ['create', OTHER_ACCOUNT, 'api_token', 'system', 'CLI'],
            ['revoke', ACCOUNT, 'api_token', 'system', 'CLI'],
            ['revoke', OTHER_ACCOUNT, 'api_token', 'system', 'CLI'],
          ],
        );
        const text = JSON.stringify(entries);
        assert.ok(!text.includes(created.secret) && !text.includes(created.credential.secret_hash));
        assert.equal(JSON.parse(entries[3]?.after as string).revoked_at !== null, true);
      });

      it('prunes entries past AUDIT_RETENTION_DAYS in batches, by the injectable clock', async () => {
        const { group } = await create({ name: 'old' });
        const store = t.replicas[0]?.store as Store;
        const total = Number(
          ((await t.sql('SELECT count(*) AS n FROM audit_log')) as { n: unknown }[])[0]?.n,
        );
        const later = nowNanos() + 40n * NANOS_PER_DAY;
        setClock(() => later);
        assert.equal((await pruneOnce(store, 365)).auditEntries, 0);
        // A batch deletes at most its limit, oldest first.
        assert.equal(await store.pruneAuditLog(formatTimestamp(later - 30n * NANOS_PER_DAY), 2), 2);
        const pruned = await pruneOnce(store, 30);
        assert.equal(pruned.auditEntries, total - 2);
        assert.equal((await entriesOf(group.id)).length, 0);
        assert.equal((await call('GET', groupUrl(group.id))).statusCode, 200, 'the groups stay');
      });
    });

    describe('history, revert, preview (§8.3)', () => {
      it('lists revisions newest first, paginated, also after the delete', async () => {
        const { group } = await create({ policy_ids: ['h1'] });
        await call('PATCH', groupUrl(group.id), { body: { name: 'Second', policy_ids: ['h2'] } });
        await call('DELETE', groupUrl(group.id));
        const page = await call('GET', `${extensions(`${group.id}/history`)}?per_page=2`, {
          token: t.secrets.reader,
        });
        assert.equal(page.statusCode, 200, page.body);
        const { result, result_info } = page.json();
        assert.deepEqual(result_info, { page: 1, per_page: 2, count: 2, total_count: 3, total_pages: 2 });
        assert.deepEqual(
          result.map((e: { revision: number; action: string }) => [e.revision, e.action]),
          [
            [3, 'delete'],
            [2, 'update'],
          ],
        );
        assert.equal(result[0].deployment_group, null);
        assert.deepEqual(result[1].changes, [
          { field: 'name', before: 'Ring 0', after: 'Second' },
          { field: 'policy_ids', before: ['h1'], after: ['h2'] },
        ]);
        assert.equal(result[1].actor.id, t.adminId);
        assert.equal(result[1].actor.interface, 'API');
        const rest = await call('GET', `${extensions(`${group.id}/history`)}?per_page=2&page=2`);
        assert.equal(rest.json().result[0].action, 'create');
        const elsewhere = await call('GET', extensions(`${group.id}/history`, OTHER_ACCOUNT));
        assert.equal(elsewhere.statusCode, 404);
        assert.equal(elsewhere.json().errors[0].code, 2002);
      });

      it('reverts to a revision as a new revision, honouring If-Match', async () => {
        const { group } = await create({ name: 'v1' });
        const second = await call('PATCH', groupUrl(group.id), { body: { name: 'v2' } });
        const stale = await call('POST', extensions(`${group.id}/revert`), {
          body: { revision: 1 },
          headers: { 'if-match': `"r1-0"` },
        });
        assert.equal(stale.statusCode, 412);
        const reverted = await call('POST', extensions(`${group.id}/revert`), {
          body: { revision: 1 },
          headers: { 'if-match': second.headers.etag as string },
        });
        assert.equal(reverted.statusCode, 200, reverted.body);
        assert.equal(reverted.json().result.name, 'v1');
        assert.match(reverted.headers.etag as string, /^"r3-/);
        const entries = await entriesOf(group.id);
        assert.deepEqual(entries.at(-1)?.action, 'revert');
        const missing = await call('POST', extensions(`${group.id}/revert`), { body: { revision: 9 } });
        assert.equal(missing.statusCode, 400);
        const reader = await call('POST', extensions(`${group.id}/revert`), {
          body: { revision: 1 },
          token: t.secrets.reader,
        });
        assert.equal(reader.statusCode, 403);
      });

      it('brings a deleted group back with its id and created_at, unless a policy is held elsewhere', async () => {
        const { group } = await create({ name: 'gone', policy_ids: ['r-held'] });
        await call('DELETE', groupUrl(group.id));
        const deletion = await call('POST', extensions(`${group.id}/revert`), { body: { revision: 2 } });
        assert.equal(deletion.statusCode, 400, 'a deletion is not a state to return to');
        // It existed, so a revision it never had is that revision's fault, not a missing group (the fuzzer).
        const never = await call('POST', extensions(`${group.id}/revert`), { body: { revision: 7 } });
        assert.equal(never.statusCode, 400, never.body);
        assert.deepEqual(never.json().errors[0].source, { pointer: '/revision' });
        const { group: thief } = await create({ policy_ids: ['r-held'] });
        const refused = await call('POST', extensions(`${group.id}/revert`), { body: { revision: 1 } });
        assert.equal(refused.statusCode, 409);
        await call('DELETE', groupUrl(thief.id));
        const restored = await call('POST', extensions(`${group.id}/revert`), { body: { revision: 1 } });
        assert.equal(restored.statusCode, 200, restored.body);
        const result = restored.json().result;
        assert.equal(result.id, group.id);
        assert.equal(result.created_at, group.created_at);
        assert.match(restored.headers.etag as string, /^"r3-/);
        assert.deepEqual((await call('GET', groupUrl(group.id))).json().result, result);
      });

      it('previews a create, an update and a delete, writing nothing', async () => {
        const { group, etag } = await create({ name: 'preview me' });
        const count = async () => ((await t.sql('SELECT id FROM audit_log')) as unknown[]).length;
        const entries = await count();
        const post = await call('POST', extensions('preview'), {
          body: { method: 'POST', body: body({ name: 'new' }) },
        });
        assert.equal(post.statusCode, 200, post.body);
        assert.equal(post.json().result.deployment_group.name, 'new');
        assert.equal((await t.sql("SELECT id FROM deployment_groups WHERE name = 'new'")).length, 0);
        const patch = await call('POST', extensions('preview'), {
          body: { method: 'PATCH', group_id: group.id, body: { name: 'renamed' } },
        });
        assert.deepEqual(patch.json().result.changes, [
          { field: 'name', before: 'preview me', after: 'renamed' },
        ]);
        const del = await call('POST', extensions('preview'), {
          body: { method: 'DELETE', group_id: group.id },
        });
        assert.equal(del.json().result.deployment_group, null);
        assert.equal((await call('GET', groupUrl(group.id))).json().result.name, 'preview me');
        assert.equal(await count(), entries);

        // The same refusals as the real request.
        const invalid = await call('POST', extensions('preview'), {
          body: { method: 'POST', body: { name: '' } },
        });
        assert.equal(invalid.statusCode, 400);
        assert.ok(
          invalid.json().errors.some((e: { source?: { pointer?: string } }) => e.source?.pointer === '/name'),
        );
        const moved = await call('PATCH', groupUrl(group.id), { body: { name: 'moved' } });
        assert.equal(moved.statusCode, 200);
        const stale = await call('POST', extensions('preview'), {
          body: { method: 'DELETE', group_id: group.id },
          headers: { 'if-match': etag },
        });
        assert.equal(stale.statusCode, 412);
        const unknown = await call('POST', extensions('preview'), {
          body: { method: 'PATCH', group_id: '00000000-0000-4000-8000-000000000000', body: {} },
        });
        assert.equal(unknown.statusCode, 404);
        const reader = await call('POST', extensions('preview'), {
          body: { method: 'DELETE', group_id: group.id },
          token: t.secrets.reader,
        });
        assert.equal(reader.statusCode, 403);
      });
    });
  });
}
