// The read path serves stored wire JSON in a template envelope (deployment-groups/wire.ts, store/wire-cache.ts,
// docs/performance.md "Read path") instead of the response schemas' serializer. These tests hold the bytes sent
// to the schemas: every GET and list body validates against its response schema and is exactly what that
// schema's serializer (fast-json-stringify, as Fastify compiles it) writes for the same data — after create,
// patch, delete, revert and a rollout stage, on an empty page and pages past the end, on both backends. On
// both, another process's (or replica's) update and delete are seen by the first read after the bound on
// other processes' commits (OTHERS_SEEN_WITHIN_MS; PostgreSQL at once); on SQLite, where the wire JSON is
// held in memory, so are a write by another connection at the same revision (data_version) and, at once, an
// import of this process that restores the same revisions with other contents.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import BetterSqlite3 from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { COMMAND_LINE } from '../src/audit/context.ts';
import { formatTimestamp, nowNanos, setClock } from '../src/clock.ts';
import { DeploymentGroup } from '../src/deployment-groups/model.ts';
import { Envelope, JSON_CONTENT_TYPE, PageEnvelope } from '../src/http/envelope.ts';
import { OTHERS_SEEN_WITHIN_MS } from '../src/store/other-commits.ts';
import type { SqliteStore } from '../src/store/sqlite/store.ts';
import { WireCache } from '../src/store/wire-cache.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { type AdminApp, createAdminApp } from './support/app.ts';
import { reportPostgresSkipped } from './support/postgres.ts';
import { type OpenedStore, storeBackends } from './support/stores.ts';

reportPostgresSkipped('read-wire on PostgreSQL');

type Json = any;

/** Waits out the bound within which another process's commit is seen (SQLite checks data_version so). */
const pastTheBound = () => new Promise((resolve) => setTimeout(resolve, OTHERS_SEEN_WITHIN_MS + 20));

const groupsUrl = (account = ACCOUNT) => `/client/v4/accounts/${account}/devices/deployment-groups`;
const extensions = (path: string) => `/ringmaster/v1/accounts/${ACCOUNT}/deployment-groups/${path}`;
const rolloutsUrl = (path = '') => `/ringmaster/v1/accounts/${ACCOUNT}/rollouts${path}`;
const MINUTE = 60_000_000_000n;

// The schemas the routes declare, on a bare Fastify that serializes whatever it is given with them: the bytes
// the routes sent before they sent stored JSON.
const itemSchema = Envelope(DeploymentGroup);
const pageSchema = PageEnvelope(DeploymentGroup);
const reference = Fastify();
for (const [url, schema] of [
  ['/item', itemSchema],
  ['/page', pageSchema],
] as const) {
  reference.post(url, { schema: { response: { 200: schema } } }, async (request) => request.body);
}
after(() => reference.close());

/** What the route's response schema makes of `body` (its JSON text): the serializer decides the bytes. */
async function serialized(url: '/item' | '/page', body: string): Promise<string> {
  const response = await reference.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: body,
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.body;
}
const ajv = new Ajv({ strict: false, allErrors: true });
const validateItem = ajv.compile(itemSchema);
const validatePage = ajv.compile(pageSchema);

/** Names that exercise JSON escaping: quotes, backslashes, non-ASCII, an emoji joined by U+200D. */
const NAMES = ['plain', 'with "quotes" and \\ backslash', 'Ünïcödé 環境 ring', '👩‍💻 team', 'tab\u00a0nbsp'];

const backends = storeBackends('read-wire');

for (const backend of backends) {
  describe(`read path bytes: ${backend.name}`, () => {
    let app: FastifyInstance;
    let opened: OpenedStore;
    let admin: string;
    let clock: bigint;
    let inject: AdminApp['call'];

    before(async () => {
      opened = await backend.open();
      const built = await createAdminApp(opened.store, ['windows', 'macos']);
      app = built.app;
      inject = built.call;
      admin = built.admin.secret;
    });
    after(async () => {
      await app?.close();
      await opened?.close();
    });
    beforeEach(() => {
      clock = nowNanos() + 24n * 60n * MINUTE;
      setClock(() => clock);
    });
    afterEach(() => setClock());

    async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
      const response = await inject(method, url, payload);
      return { status: response.statusCode, text: response.body, headers: response.headers };
    }

    async function write(method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<Json> {
      const response = await call(method, url, payload);
      assert.equal(response.status, 200, response.text);
      return JSON.parse(response.text).result;
    }

    /** GET one group: checks its bytes against the schema and returns the group. */
    async function read(id: string): Promise<Json> {
      const response = await call('GET', `${groupsUrl()}/${id}`);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['content-type'], JSON_CONTENT_TYPE);
      const body = JSON.parse(response.text);
      assert.ok(validateItem(body), JSON.stringify(validateItem.errors));
      assert.equal(response.text, await serialized('/item', response.text), 'the bytes are the serializer’s');
      return body.result;
    }

    /** GET a list page: checks its bytes against the schema and returns the body. */
    async function list(query: string, account = ACCOUNT): Promise<Json> {
      const response = await call('GET', `${groupsUrl(account)}?${query}`);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['content-type'], JSON_CONTENT_TYPE);
      const body = JSON.parse(response.text);
      assert.ok(validatePage(body), JSON.stringify(validatePage.errors));
      assert.equal(response.text, await serialized('/page', response.text), 'the bytes are the serializer’s');
      return body;
    }

    /** Every group of the account through the list, one page of `perPage` at a time. */
    async function listAll(perPage: number): Promise<Json[]> {
      const groups: Json[] = [];
      for (let page = 1; ; page += 1) {
        const body = await list(`page=${page}&per_page=${perPage}`);
        groups.push(...body.result);
        if (page >= body.result_info.total_pages) return groups;
      }
    }

    it('serves the schema’s bytes for GET and every page, through create, patch, delete, revert and a rollout stage', async () => {
      const empty = await list('per_page=50', OTHER_ACCOUNT);
      assert.deepEqual(empty.result, []);
      assert.deepEqual(empty.result_info, {
        page: 1,
        per_page: 50,
        count: 0,
        total_count: 0,
        total_pages: 0,
      });

      const created: Json[] = [];
      for (const [i, name] of NAMES.entries()) {
        clock += MINUTE;
        created.push(
          await write('POST', groupsUrl(), {
            name,
            version_config: [
              { version: '2026.6.822.0', target_environment: i % 2 === 0 ? 'windows' : null },
              ...(i % 2 === 0 ? [{ target_environment: 'macos', version: '2026.5.790.1' }] : []),
            ],
            ...(i === 0 ? {} : { policy_ids: i === 1 ? [] : [`p-${i}-a`, `p-${i}-"b"`] }),
          }),
        );
      }
      for (const group of created) assert.deepEqual(await read(group.id), group);
      // Held for ACCOUNT, and never another account's: a 404 there, and an empty list.
      assert.equal((await call('GET', `${groupsUrl(OTHER_ACCOUNT)}/${created[0].id}`)).status, 404);
      assert.deepEqual((await list('per_page=50', OTHER_ACCOUNT)).result, []);
      assert.deepEqual(await listAll(2), created);
      assert.deepEqual(await listAll(50), created);

      // Past the end, and a last page that is short.
      const past = await list('page=9&per_page=2');
      assert.deepEqual(past.result, []);
      assert.deepEqual(past.result_info, { page: 9, per_page: 2, count: 0, total_count: 5, total_pages: 3 });
      assert.equal((await list('page=3&per_page=2')).result_info.count, 1);

      // Patch: a read after the answer sees the new revision, the same bytes as the PATCH's result.
      clock += MINUTE;
      const patched = await write('PATCH', `${groupsUrl()}/${created[1].id}`, {
        name: 'renamed "again" ✓',
        policy_ids: null,
      });
      assert.deepEqual(await read(created[1].id), patched);
      assert.deepEqual((await listAll(50))[1], patched);

      // Delete: gone from GET (404) and from every page.
      await write('DELETE', `${groupsUrl()}/${created[2].id}`);
      assert.equal((await call('GET', `${groupsUrl()}/${created[2].id}`)).status, 404);
      assert.deepEqual(
        (await listAll(2)).map((group: Json) => group.id),
        [created[0].id, created[1].id, created[3].id, created[4].id],
      );

      // Revert the deleted group to its first revision: back in its place in the list.
      clock += MINUTE;
      const reverted = await write('POST', extensions(`${created[2].id}/revert`), { revision: 1 });
      assert.deepEqual(await read(created[2].id), reverted);
      assert.deepEqual(
        (await listAll(50)).map((group: Json) => group.id),
        created.map((group) => group.id),
      );

      // A rollout stage changes a group through the scheduler, not a request.
      const before = await read(created[0].id);
      const rollout = await write('POST', rolloutsUrl(), {
        name: 'stage',
        version_config: [{ target_environment: 'windows', version: '2026.7.900.0' }],
        stages: [{ deployment_group_id: created[0].id }],
        start_at: new Date(Number((clock + MINUTE) / 1_000_000n)).toISOString(),
      });
      clock += 2n * MINUTE;
      await app.rolloutScheduler.tick();
      const staged = await read(created[0].id);
      assert.notDeepEqual(staged.version_config, before.version_config, `rollout ${rollout.id} applied`);
      assert.equal(staged.version_config[0].version, '2026.7.900.0');
      assert.deepEqual((await listAll(50))[0], staged);

      // If-None-Match with the current tag: 304 with the tag, no body.
      const tag = (await call('GET', `${groupsUrl()}/${created[0].id}`)).headers.etag as string;
      const notModified = await app.inject({
        method: 'GET',
        url: `${groupsUrl()}/${created[0].id}`,
        headers: { authorization: `Bearer ${admin}`, 'if-none-match': tag },
      });
      assert.equal(notModified.statusCode, 304);
      assert.equal(notModified.headers.etag, tag);
      assert.equal(notModified.body, '');
    });

    it('serves another process’s or replica’s change from the next read, GET and list', async () => {
      const group = await write('POST', groupsUrl(), {
        name: 'before',
        version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
      });
      assert.equal((await read(group.id)).name, 'before');
      assert.equal((await listAll(50)).find((g: Json) => g.id === group.id).name, 'before');
      const other = await opened.another();
      try {
        const audit = { context: COMMAND_LINE };
        const changed = await other.updateDeploymentGroup(
          ACCOUNT,
          group.id,
          (current) => ({ ...current.group, name: 'after', updated_at: formatTimestamp(clock + MINUTE) }),
          audit,
        );
        assert.equal(changed?.revision, 2);
        await pastTheBound();
        assert.equal((await read(group.id)).name, 'after');
        assert.equal((await listAll(50)).find((g: Json) => g.id === group.id).name, 'after');
        assert.equal(await other.deleteDeploymentGroup(ACCOUNT, group.id, audit), true);
        await pastTheBound();
        assert.equal((await call('GET', `${groupsUrl()}/${group.id}`)).status, 404);
        assert.equal(
          (await listAll(50)).find((g: Json) => g.id === group.id),
          undefined,
        );
      } finally {
        await other.close();
      }
    });

    if (backend.name === 'sqlite') {
      it('sees another connection’s write at the same revision, and an import restoring held revisions', async () => {
        const group = await write('POST', groupsUrl(), {
          name: 'held',
          version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
        });
        assert.equal((await read(group.id)).name, 'held');
        assert.equal((await listAll(50)).find((g: Json) => g.id === group.id).name, 'held');

        // Another connection changes the row without moving its revision (what only an import does).
        const other = new BetterSqlite3(opened.path as string);
        try {
          other
            .prepare('UPDATE deployment_groups SET name = ? WHERE id = ?')
            .run('changed elsewhere', group.id);
        } finally {
          other.close();
        }
        await pastTheBound();
        assert.equal((await read(group.id)).name, 'changed elsewhere');
        assert.equal((await listAll(50)).find((g: Json) => g.id === group.id).name, 'changed elsewhere');

        // This process's import of the same revision with other contents.
        const records = [];
        for await (const record of opened.store.exportRecords()) {
          records.push(
            record.type === 'deployment_group' && record.id === group.id
              ? { ...record, name: 'imported' }
              : record,
          );
        }
        assert.equal((await read(group.id)).name, 'changed elsewhere');
        await opened.store.importRecords(
          (async function* () {
            yield* records;
          })(),
          { replace: true },
        );
        assert.equal((await read(group.id)).name, 'imported');
        assert.equal((await listAll(50)).find((g: Json) => g.id === group.id).name, 'imported');
        assert.ok((opened.store as SqliteStore).wires.size.groups > 0, 'reads fill the cache again');
      });
    }
  });
}

describe('WireCache', () => {
  const stored = (id: string, revision: number, name = 'x') => ({
    revision,
    group: {
      id,
      name,
      version_config: [{ target_environment: null, version: '2026.6.822.0' }],
      policy_ids: null,
      created_at: '2026-01-01T00:00:00.000000000Z',
      updated_at: '2026-01-01T00:00:00.000000000Z',
    },
  });

  it('answers for the revision it holds, in its account; without a revision only at the stamp it was read', () => {
    const cache = new WireCache();
    cache.put(ACCOUNT, stored('a', 1), 7);
    assert.match(cache.current(ACCOUNT, 'a', 7)?.json ?? '', /"name":"x"/);
    assert.equal(cache.current(ACCOUNT, 'a', 8), undefined, 'something was committed since');
    assert.equal(cache.current(OTHER_ACCOUNT, 'a', 7), undefined, 'never another account’s group');
    assert.equal(cache.get(OTHER_ACCOUNT, 'a', 1, 8), undefined);
    assert.equal(cache.get(ACCOUNT, 'a', 2, 8), undefined);
    assert.ok(cache.get(ACCOUNT, 'a', 1, 8), 'the revision read again at stamp 8');
    assert.ok(cache.current(ACCOUNT, 'a', 8), '…so it is current at 8');
    cache.put(ACCOUNT, stored('a', 2, 'y'), 9);
    assert.equal(cache.get(ACCOUNT, 'a', 1, 9), undefined);
    assert.match(cache.get(ACCOUNT, 'a', 2, 9)?.json ?? '', /"name":"y"/);
    assert.equal(cache.size.groups, 1);

    cache.putPage('k', { groups: ['{}'], total: 1 }, 9);
    assert.deepEqual(cache.page('k', 9), { groups: ['{}'], total: 1 });
    assert.equal(cache.page('k', 10), undefined);
    cache.clear();
    assert.equal(cache.current(ACCOUNT, 'a', 9), undefined);
    assert.equal(cache.page('k', 9), undefined);
  });

  it('lets the oldest entries go past its limit, never the one just made', () => {
    const one = new WireCache().put(ACCOUNT, stored('a', 1), 0).json.length;
    const cache = new WireCache(one * 2);
    for (const id of ['a', 'b', 'c']) cache.put(ACCOUNT, stored(id, 1), 0);
    assert.equal(cache.get(ACCOUNT, 'a', 1, 0), undefined);
    assert.ok(cache.get(ACCOUNT, 'b', 1, 0) && cache.get(ACCOUNT, 'c', 1, 0));
    assert.equal(cache.size.chars, one * 2);
    const tiny = new WireCache(1, 1);
    tiny.put(ACCOUNT, stored('a', 1), 0);
    tiny.putPage('p', { groups: ['[1]', '[2]'], total: 2 }, 0);
    tiny.putPage('q', { groups: ['[3]'], total: 3 }, 0);
    assert.ok(tiny.get(ACCOUNT, 'a', 1, 0), 'a group larger than the limit is still held until the next');
    assert.equal(tiny.page('p', 0), undefined);
    assert.ok(tiny.page('q', 0));
  });
});
