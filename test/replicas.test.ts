// Several real `ringmaster serve` processes on one PostgreSQL database: ownership holds across
// replicas, If-Match and Idempotency-Key hold across replicas (one winner, one audit entry, one group),
// what one writes the other serves at once, a replica killed mid-load loses no acknowledged
// write, replicas starting together on an empty database apply the schema once, and a database outage
// is answered with 503 and recovered from without a restart. Runs only with RINGMASTER_TEST_POSTGRES_URL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadMigrations } from '../src/store/migrations.ts';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres/store.ts';
import { StoreUnavailableError } from '../src/store/store.ts';
import { ACCOUNT } from './support/accounts.ts';
import { callApi } from './support/api.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  reportPostgresSkipped,
  type TestDatabase,
} from './support/postgres.ts';
import { ROOT, type RunningServer, startServer } from './support/server.ts';

const GROUPS = `/accounts/${ACCOUNT}/devices/deployment-groups`;

reportPostgresSkipped('PostgreSQL multi-replica suite');

function call(server: RunningServer, token: string, method: string, path: string, body?: unknown) {
  return callApi(server.baseUrl, token, method, path, body);
}

/** A call with the operator token and extra headers (If-Match, Idempotency-Key). */
async function send(
  server: RunningServer,
  method: string,
  path: string,
  { body, headers = {} }: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${operatorToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}
let operatorToken: string;

const newGroup = (name: string, policy_ids?: string[]) => ({
  name,
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  ...(policy_ids ? { policy_ids } : {}),
});

describe('replicas on one PostgreSQL database', { skip: !POSTGRES_URL }, () => {
  let database: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  let token: string;

  before(async () => {
    database = await createTestDatabase();
    a = await startServer({ DATABASE_URL: database.url });
    b = await startServer({ DATABASE_URL: database.url });
    assert.ok(a.operatorToken, 'the first replica creates the operator token');
    assert.equal(b.operatorToken, undefined, 'the second finds it and creates none');
    token = a.operatorToken;
    operatorToken = token;
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('lets exactly one of 40 concurrent PATCHes across both replicas claim a policy', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const created = await call(i % 2 ? b : a, token, 'POST', GROUPS, newGroup(`contender ${i}`));
      assert.equal(created.status, 200);
      ids.push(created.body.result.id);
    }
    const replies = await Promise.all(
      ids.map((id, i) =>
        call(i % 2 ? b : a, token, 'PATCH', `${GROUPS}/${id}`, { policy_ids: ['contested'] }),
      ),
    );
    const winners = replies.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, JSON.stringify(replies.map((r) => r.status)));
    const winner = winners[0]?.body.result.id;
    for (const reply of replies.filter((r) => r.status !== 200)) {
      assert.equal(reply.status, 409);
      assert.equal(reply.body.errors.length, 1);
      assert.equal(reply.body.errors[0].code, 2004);
      assert.match(reply.body.errors[0].message, new RegExp(winner));
    }
    // Both replicas agree on the owner.
    for (const server of [a, b]) {
      const owner = await call(server, token, 'GET', `${GROUPS}/${winner}`);
      assert.deepEqual(owner.body.result.policy_ids, ['contested']);
    }
  });

  it('serves a group created on one replica from the other at once, paginated identically', async () => {
    for (let i = 0; i < 7; i++) {
      const writer = i % 2 ? b : a;
      const reader = i % 2 ? a : b;
      const created = await call(writer, token, 'POST', GROUPS, newGroup(`visible ${i}`, [`v-${i}`]));
      assert.equal(created.status, 200);
      const read = await call(reader, token, 'GET', `${GROUPS}/${created.body.result.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.result, created.body.result);
    }
    const pages = async (server: RunningServer) => {
      const all = [];
      for (let page = 1; ; page++) {
        const reply = await call(server, token, 'GET', `${GROUPS}?per_page=7&page=${page}`);
        assert.equal(reply.status, 200);
        all.push({ result: reply.body.result, result_info: reply.body.result_info });
        if (reply.body.result.length === 0) return all;
      }
    };
    const fromA = await pages(a);
    assert.ok(fromA.length > 2);
    assert.deepEqual(await pages(b), fromA);
  });

  // change-control.test.ts races two in-process apps; here the replicas are two real processes over sockets.
  it('lets exactly one of 20 concurrent PATCHes with one If-Match win across both replicas, audited once', async () => {
    const created = await send(a, 'POST', GROUPS, { body: newGroup('if-match race') });
    const id = created.body.result.id as string;
    const etag = created.headers.get('etag') as string;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(i % 2 ? b : a, 'PATCH', `${GROUPS}/${id}`, {
          body: { name: `writer ${i}` },
          headers: { 'if-match': etag },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 200).length, 1, String(statuses));
    for (const refused of answers.filter((answer) => answer.status !== 200)) {
      assert.equal(refused.status, 412);
      assert.equal(refused.body.errors[0].code, 2007);
    }
    const winner = answers.find((answer) => answer.status === 200)?.body.result;
    for (const server of [a, b]) {
      assert.deepEqual((await send(server, 'GET', `${GROUPS}/${id}`)).body.result, winner);
    }
    const trail = await send(b, 'GET', `/accounts/${ACCOUNT}/audit_logs?per_page=1000`);
    const entries = trail.body.result.filter((e: { resource: { id: string } }) => e.resource.id === id);
    assert.deepEqual(
      entries.map((e: { action: { type: string } }) => e.action.type),
      ['update', 'create'],
      'exactly one update entry',
    );
    assert.equal(JSON.parse(entries[0].newValue).name, winner.name);
  });

  it('creates exactly one group for 20 concurrent creates with one Idempotency-Key across both replicas', async () => {
    const name = `idempotent ${randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(i % 2 ? b : a, 'POST', GROUPS, {
          body: newGroup(name),
          headers: { 'idempotency-key': name },
        }),
      ),
    );
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
    assert.equal(new Set(answers.map((answer) => answer.text)).size, 1, 'every answer is the same body');
    const replayed = answers.map((answer) => answer.headers.get('idempotent-replayed'));
    assert.equal(replayed.filter((value) => value === null).length, 1, 'one answer is the original');
    assert.equal(replayed.filter((value) => value === 'true').length, 19, 'the others are replays');
    const listed = await send(a, 'GET', `${GROUPS}?per_page=100`);
    const pages = Math.ceil(listed.body.result_info.total_count / 100);
    const named: string[] = [];
    for (let page = 1; page <= pages; page++) {
      const reply = await send(page % 2 ? a : b, 'GET', `${GROUPS}?per_page=100&page=${page}`);
      named.push(
        ...reply.body.result
          .filter((g: { name: string }) => g.name === name)
          .map((g: { id: string }) => g.id),
      );
    }
    assert.deepEqual(named, [answers[0]?.body.result.id]);
  });

  it('keeps serving and loses no acknowledged write when a replica is killed mid-load', async () => {
    /** Created groups whose creation was acknowledged, with the names they may hold now. */
    const acknowledged: { id: string; names: string[] }[] = [];
    let servedAfterKill = 0;
    let killed = false;
    const worker = async (server: RunningServer, n: number) => {
      for (let i = 0; i < n; i++) {
        const name = `load ${randomUUID()}`;
        try {
          const created = await call(server, token, 'POST', GROUPS, newGroup(name));
          if (created.status !== 200) continue;
          const entry = { id: created.body.result.id as string, names: [name] };
          acknowledged.push(entry);
          if (killed && server === b) servedAfterKill++;
          // Until the rename is acknowledged, either name is right: a request cut off by the kill may
          // or may not have committed. Once it is acknowledged, only the new name is.
          const renamed = `${name} renamed`;
          entry.names.push(renamed);
          const patched = await call(server, token, 'PATCH', `${GROUPS}/${entry.id}`, { name: renamed });
          if (patched.status === 200) entry.names = [renamed];
        } catch {
          // The killed replica's connections fail: those requests were never acknowledged.
        }
      }
    };
    const load = [
      ...Array.from({ length: 6 }, () => worker(a, 60)),
      ...Array.from({ length: 6 }, () => worker(b, 60)),
    ];
    await sleep(400);
    await a.kill();
    killed = true;
    await Promise.all(load);

    assert.ok(servedAfterKill > 0, 'the surviving replica went on serving');
    assert.ok(acknowledged.length > 0);
    for (const { id, names } of acknowledged) {
      const read = await call(b, token, 'GET', `${GROUPS}/${id}`);
      assert.equal(read.status, 200, `acknowledged group ${id} is missing`);
      assert.ok(
        names.includes(read.body.result.name),
        `${id}: ${read.body.result.name} is not one of ${names}`,
      );
    }
    assert.equal((await call(b, token, 'GET', '/user/tokens/verify')).status, 200);
  });
});

describe('replicas starting together on an empty database', { skip: !POSTGRES_URL }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => database?.drop());

  it('all succeed, and the schema is applied exactly once', async () => {
    const runs = await Promise.all(Array.from({ length: 10 }, () => migrateOnce(database.url)));
    for (const run of runs) assert.equal(run.status, 0, run.stderr);
    const recorded = await database.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      recorded.map((row) => row.version),
      loadMigrations('postgres').map((m) => m.version),
    );
    const tables = await database.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_tables WHERE schemaname = 'public'
       AND tablename IN ('deployment_groups', 'policy_owners', 'credentials', 'schema_migrations')`,
    );
    assert.equal(tables[0]?.count, 4);
  });
});

describe('a PostgreSQL outage', { skip: !POSTGRES_URL }, () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let server: RunningServer;
  let token: string;

  before(async () => {
    database = await createTestDatabase();
    proxy = await TcpProxy.start(database.url);
    server = await startServer({ DATABASE_URL: proxy.url });
    token = server.operatorToken as string;
  });
  after(async () => {
    await server?.stop();
    await proxy?.close();
    await database?.drop();
  });

  it('answers 503 with Retry-After quickly while the database is unreachable, then recovers by itself', async () => {
    const created = await call(server, token, 'POST', GROUPS, newGroup('before the outage'));
    assert.equal(created.status, 200);
    assert.equal((await fetch(new URL('/readyz', server.baseUrl))).status, 200);

    await proxy.close();
    const started = Date.now();
    const ready = await fetch(new URL('/readyz', server.baseUrl));
    assert.equal(ready.status, 503);
    for (const [method, path, body] of [
      ['GET', `${GROUPS}/${created.body.result.id}`],
      ['PATCH', `${GROUPS}/${created.body.result.id}`, { name: 'during the outage' }],
      ['POST', GROUPS, newGroup('during the outage')],
    ] as const) {
      const reply = await call(server, token, method, path, body);
      assert.equal(reply.status, 503, `${method} ${path}`);
      assert.equal(reply.body.success, false);
      assert.equal(reply.body.errors[0].code, 2009);
      assert.ok(reply.headers.get('retry-after'));
    }
    assert.ok(Date.now() - started < 10_000, 'outage answers come quickly, not after a hang');
    assert.equal(server.process.exitCode, null, 'the process is still running');

    await proxy.reopen();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await fetch(new URL('/readyz', server.baseUrl))).status;
      if (status !== 200) await sleep(200);
    }
    assert.equal(status, 200, '/readyz recovers without a restart');
    const read = await call(server, token, 'GET', `${GROUPS}/${created.body.result.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.result.name, 'before the outage');
  });
});

describe('a PostgreSQL server that stops answering', { skip: !POSTGRES_URL }, () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let store: PostgresStore;
  before(async () => {
    database = await createTestDatabase();
    proxy = await TcpProxy.start(database.url);
    store = await openPostgresStore({
      url: proxy.url,
      queryTimeoutMillis: 500,
      connectionTimeoutMillis: 500,
    });
  });
  after(async () => {
    await store?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('fails its statements as unavailable after the query timeout instead of hanging', async () => {
    await store.ping();
    proxy.setSilent(true);
    const started = Date.now();
    await assert.rejects(store.ping(), StoreUnavailableError);
    await assert.rejects(store.getDeploymentGroup(ACCOUNT, randomUUID()), StoreUnavailableError);
    assert.ok(Date.now() - started < 5_000);
    proxy.setSilent(false);
    await store.ping();
  });
});

/** Runs `ringmaster db migrate` as its own process. */
function migrateOnce(url: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'db', 'migrate'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('exit', (status) => resolve({ status, stderr }));
  });
}

/**
 * A TCP proxy in front of the test database: closing it cuts every connection and refuses new ones,
 * which is what a replica sees when PostgreSQL goes away, without stopping the shared server.
 */
class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** While set, nothing is forwarded either way: the database seems to stop answering. */
  private silent = false;

  private constructor(
    private readonly target: { host?: string; port?: number; path?: string },
    private port: number,
    readonly url: string,
  ) {}

  static async start(databaseUrl: string): Promise<TcpProxy> {
    const url = new URL(databaseUrl);
    const socketDir = url.searchParams.get('host');
    const port = Number(url.port || 5432);
    const target = socketDir?.startsWith('/')
      ? { path: `${socketDir}/.s.PGSQL.${port}` }
      : { host: url.hostname.replace(/^\[|\]$/g, ''), port };
    url.searchParams.delete('host');
    const proxy = new TcpProxy(target, 0, '');
    await proxy.reopen();
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    return Object.assign(proxy, { url: url.toString() });
  }

  /** Listens again on the same port. */
  async reopen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = this.target.path
        ? createConnection(this.target.path)
        : createConnection(this.target.port as number, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // Bytes sent while silent are lost, as in a partition: those connections never recover, and
      // the client must notice by itself.
      client.on('data', (chunk) => this.silent || upstream.write(chunk));
      upstream.on('data', (chunk) => this.silent || client.write(chunk));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** Keeps every connection open but stops forwarding to the database (a network partition). */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
