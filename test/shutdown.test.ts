// Graceful shutdown under load, against the real server process: SIGTERM while 32
// writes are in flight on keep-alive connections. The listening socket closes at once (new connections
// are refused), every in-flight request still completes with 200 and closes its connection, the process
// exits 0 well within its 10 s deadline, and every acknowledged write is in the file afterwards.
// A request that only arrives during the drain gets the 503 envelope. Under a keep-alive load (clients
// sending back to back), no connection is reset: each request is answered (200, or the 503 envelope with
// `Connection: close`) or, on a new connection, refused (src/http/draining.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { DRAIN_IDLE_MS } from '../src/http/draining.ts';
import { callApi } from './support/api.ts';
import { ACCOUNT, createTestApp } from './support/app.ts';
import { assertErrorEnvelope } from './support/envelope.ts';
import { openConnection, parseResponses, rawExchange, rawRequest } from './support/raw-http.ts';
import { type RunningServer, startServer } from './support/server.ts';

const COLLECTION = `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups`;
/** src/server.ts SHUTDOWN_DEADLINE_MS: past it the process exits 1. */
const DEADLINE_MS = 10_000;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ringmaster-shutdown-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Started {
  server: RunningServer;
  port: number;
  token: string;
  file: string;
}

async function start(name: string): Promise<Started> {
  const file = join(dir, `${name}.db`);
  const server = await startServer({ DATABASE_URL: `sqlite:${file}` });
  assert.ok(server.operatorToken);
  return { server, port: Number(new URL(server.baseUrl).port), token: server.operatorToken, file };
}

function exitOf(server: RunningServer): Promise<number | null> {
  const child = server.process;
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves to the connect error code once new connections are refused ("connected" while they are not). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function jsonRequest(method: string, path: string, token: string, body: string, contentLength = body.length) {
  return rawRequest({
    method,
    path,
    headers: [
      ['Authorization', `Bearer ${token}`],
      ['Content-Type', 'application/json'],
      ['Connection', 'keep-alive'],
    ],
    body,
    contentLength,
  });
}

test('drains 32 in-flight writes on keep-alive connections on SIGTERM, refuses new connections, exits 0 and keeps every write', async (context) => {
  const { server, port, token, file } = await start('drain');
  // Twelve groups to PATCH while the server shuts down.
  const targets: string[] = [];
  for (let i = 0; i < 12; i++) {
    const response = await callApi(server.baseUrl, token, 'POST', COLLECTION.slice('/client/v4'.length), {
      name: `to patch ${i}`,
      version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    });
    assert.equal(response.status, 200);
    targets.push(response.body.result.id);
  }

  // 32 keep-alive connections, each proven reusable by a first, complete request.
  const connections = await Promise.all(Array.from({ length: 32 }, () => openConnection(port)));
  for (const connection of connections) connection.socket.write(rawRequest({ path: '/healthz' }));
  await sleep(300);
  for (const connection of connections) {
    const [warmUp] = parseResponses(connection.received()).responses;
    assert.equal(warmUp?.status, 200);
    assert.equal(warmUp?.headers.connection, 'keep-alive');
  }

  // 20 creates and 12 PATCHes, each sent up to half of its body: in flight, and held there.
  const writes = connections.map((connection, i) => {
    const patch = i >= 20;
    const body = JSON.stringify(
      patch
        ? { name: `patched during shutdown ${i}`, policy_ids: [`drain-${i}`] }
        : {
            name: `created during shutdown ${i}`,
            version_config: [{ target_environment: 'macos', version: '2026.6.822.1' }],
            policy_ids: [`drain-${i}`],
          },
    );
    const request = patch
      ? jsonRequest('PATCH', `${COLLECTION}/${targets[i - 20]}`, token, body)
      : jsonRequest('POST', COLLECTION, token, body);
    const split = request.length - Math.ceil(body.length / 2);
    const before = connection.received().length;
    connection.socket.write(request.subarray(0, split));
    return { connection, rest: request.subarray(split), before, patch, name: JSON.parse(body).name, i };
  });
  await sleep(300);

  const signalled = Date.now();
  server.process.kill('SIGTERM');
  const exited = exitOf(server);

  // The listening socket closes at once, while the 32 requests are still open.
  let refused = 'connected';
  while (refused === 'connected' && Date.now() - signalled < 5000) {
    refused = await tryConnect(port);
    if (refused === 'connected') await sleep(20);
  }
  assert.equal(refused, 'ECONNREFUSED');
  assert.equal(server.process.exitCode, null, 'the process waits for the requests in flight');

  for (const write of writes) write.connection.socket.write(write.rest);
  await Promise.all(writes.map((write) => write.connection.closed));
  const code = await exited;
  const elapsed = Date.now() - signalled;

  for (const write of writes) {
    const { responses, rest } = parseResponses(write.connection.received().subarray(write.before));
    assert.equal(responses.length, 1, `write ${write.i}: ${rest}`);
    const response = responses[0]!;
    assert.equal(response.status, 200, `write ${write.i}: ${response.body}`);
    assert.equal(JSON.parse(response.body).result.name, write.name);
    // The connection is closed after the answer, so no idle keep-alive connection holds the process.
    assert.equal(response.headers.connection, 'close');
  }
  assert.equal(code, 0, server.stdout().split('\n').slice(-5).join('\n'));
  assert.ok(elapsed < DEADLINE_MS, `exited ${elapsed} ms after SIGTERM`);
  context.diagnostic(`exited 0, ${elapsed} ms after SIGTERM, with 32/32 in-flight writes answered 200`);

  // Every acknowledged write is in the file.
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const names = new Set(
      (db.prepare('SELECT name FROM deployment_groups').all() as { name: string }[]).map((row) => row.name),
    );
    for (const write of writes) assert.ok(names.has(write.name), `${write.name} is stored`);
    const owners = db
      .prepare("SELECT count(*) FROM policy_owners WHERE policy_id LIKE 'drain-%'")
      .pluck()
      .get();
    assert.equal(owners, 32);
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  } finally {
    db.close();
  }
  assert.match(server.stdout(), /"msg":"shutting down"/);
  assert.doesNotMatch(server.stdout(), /"level":50/, 'no error was logged');
});

test('answers a request that only arrives during the drain with the 503 envelope, and closes its connection', async () => {
  const { server, port, token } = await start('late');
  // Connection A: an in-flight create keeps the server draining.
  const holder = await openConnection(port);
  const body = JSON.stringify({
    name: 'holder',
    version_config: [{ target_environment: null, version: '2026.6.822.0' }],
  });
  const request = jsonRequest('POST', COLLECTION, token, body);
  holder.socket.write(request.subarray(0, request.length - 5));
  // Connection B: a first request answered, then the start of a second one, whose headers end after SIGTERM.
  const late = await openConnection(port);
  late.socket.write(rawRequest({ path: '/healthz' }));
  const second = rawRequest({ path: COLLECTION, headers: [['Authorization', `Bearer ${token}`]] });
  await new Promise((resolve) => setTimeout(resolve, 200));
  late.socket.write(second.subarray(0, second.length - 2));
  await new Promise((resolve) => setTimeout(resolve, 200));

  server.process.kill('SIGTERM');
  const exited = exitOf(server);
  await new Promise((resolve) => setTimeout(resolve, 300));
  late.socket.write(second.subarray(second.length - 2));
  await late.closed;
  const [first, drained] = parseResponses(late.received()).responses;
  assert.equal(first?.status, 200);
  assert.ok(drained, 'the late request is answered');
  assertErrorEnvelope(drained, 503, 2009);
  assert.match(drained.headers['retry-after'] ?? '', /^\d+$/);
  assert.equal(drained.headers.connection, 'close');

  holder.socket.write(request.subarray(request.length - 5));
  await holder.closed;
  assert.equal(parseResponses(holder.received()).responses[0]?.status, 200);
  assert.equal(await exited, 0);
});

/** Blocks this thread, as a descheduled process or a blocking write stalls it. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test('a process that stalls during the drain reads the requests that arrived meanwhile before closing an idle connection', async () => {
  const { app, close } = await createTestApp();
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const connections = await Promise.all(Array.from({ length: 4 }, () => openConnection(port)));
    for (const connection of connections) connection.socket.write(rawRequest({ path: '/healthz' }));
    while (!connections.every((c) => parseResponses(c.received()).responses.length === 1)) await sleep(5);

    const closed = app.close();
    while (app.server.listening) await sleep(1);
    // Each client sends its next request, and the process stalls past DRAIN_IDLE_MS before reading them:
    // after a stall in the check phase, the timers (the drain's) run before the sockets are read.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        for (const connection of connections) connection.socket.write(rawRequest({ path: '/healthz' }));
        stall(DRAIN_IDLE_MS + 200);
        resolve();
      }),
    );
    await Promise.all(connections.map((connection) => connection.closed));
    await closed;
    for (const connection of connections) {
      const [first, second] = parseResponses(connection.received()).responses;
      assert.equal(first?.status, 200);
      assert.ok(second, 'the request sent before the stall is answered, not cut off');
      assertErrorEnvelope(second, 503, 2009);
      assert.equal(second.headers.connection, 'close');
    }
  } finally {
    await close();
  }
});

test('a connection the kernel completed just before the drain began is answered, not reset by the close', async () => {
  const { app, close } = await createTestApp();
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    // Connect and start closing in one turn of the event loop: the connection waits in the listening
    // socket's queue, not yet accepted, when the close begins.
    const { connection, closed } = await new Promise<{
      connection: ReturnType<typeof rawExchange>;
      closed: Promise<undefined>;
    }>((resolve) =>
      setImmediate(() => {
        const connection = rawExchange(port, rawRequest({ path: '/healthz' }), { timeoutMs: 5000 });
        stall(50);
        resolve({ connection, closed: app.close() });
      }),
    );
    const exchange = await connection;
    await closed;
    assert.equal(exchange.error, undefined, 'no reset');
    const [answer] = exchange.responses;
    assert.ok(answer, 'the request is answered');
    assertErrorEnvelope(answer, 503, 2009);
    assert.equal(answer.headers.connection, 'close');
  } finally {
    await close();
  }
});

/** What each request of the keep-alive load got. */
interface Outcomes {
  ok: number;
  /** The documented 503 envelope with Retry-After and `Connection: close`. */
  unavailable: number;
  /** A new connection refused once the listening socket is closed: documented, the client retries elsewhere. */
  refused: number;
  /** Connection reset or closed without an answer: what must not happen. */
  resets: number;
  /**
   * A reset of a request sent after the client itself had left its connection idle for at least half of
   * DRAIN_IDLE_MS (a test process starved by a loaded machine): the documented race of a keep-alive close,
   * not the server's fault, so counted apart. Back-to-back clients on a normal machine never get here.
   */
  lateResets: number;
  other: string[];
}

function get(
  agent: http.Agent,
  port: number,
  token: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: COLLECTION, agent, headers: { authorization: `Bearer ${token}` } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
  });
}

/** `clients` loops of back-to-back GETs, each on its own keep-alive connection, until the server is gone. */
async function keepAliveLoad(
  port: number,
  token: string,
  clients: number,
  stopped: () => boolean,
): Promise<Outcomes> {
  const outcomes: Outcomes = { ok: 0, unavailable: 0, refused: 0, resets: 0, lateResets: 0, other: [] };
  const loop = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let lastAnswer = Date.now();
    try {
      while (true) {
        const idle = Date.now() - lastAnswer;
        try {
          const response = await get(agent, port, token);
          lastAnswer = Date.now();
          if (response.status === 200) outcomes.ok++;
          else if (
            response.status === 503 &&
            JSON.parse(response.body).errors?.[0]?.code === 2009 &&
            /^\d+$/.test(String(response.headers['retry-after'])) &&
            response.headers.connection === 'close'
          )
            outcomes.unavailable++;
          else outcomes.other.push(`${response.status} ${response.body.slice(0, 80)}`);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          if (code === 'ECONNREFUSED') {
            outcomes.refused++;
            return;
          }
          if ((code === 'ECONNRESET' || code === 'EPIPE') && idle >= DRAIN_IDLE_MS / 2) outcomes.lateResets++;
          else if (code === 'ECONNRESET' || code === 'EPIPE') outcomes.resets++;
          else outcomes.other.push(code);
          if (stopped()) return;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return outcomes;
}

test('under keep-alive load, SIGTERM answers every request or refuses new connections: no connection is reset', async (context) => {
  const totals: Outcomes = { ok: 0, unavailable: 0, refused: 0, resets: 0, lateResets: 0, other: [] };
  for (let round = 0; round < 3; round++) {
    const { server, port, token } = await start(`load-${round}`);
    let exited = false;
    const exit = exitOf(server).then((code) => {
      exited = true;
      return code;
    });
    const load = keepAliveLoad(port, token, 16, () => exited);
    await sleep(400);
    server.process.kill('SIGTERM');
    const [outcomes, code] = await Promise.all([load, exit]);
    assert.equal(code, 0);
    for (const key of ['ok', 'unavailable', 'refused', 'resets', 'lateResets'] as const)
      totals[key] += outcomes[key];
    totals.other.push(...outcomes.other);
  }
  context.diagnostic(
    `3 rounds × 16 keep-alive clients: ${totals.ok} answered 200, ${totals.unavailable} answered 503 (Retry-After, Connection: close), ${totals.refused} new connections refused, ${totals.resets} resets (${totals.lateResets} more after the client idled ≥ ${DRAIN_IDLE_MS / 2} ms), other: ${JSON.stringify(totals.other)}`,
  );
  assert.ok(totals.ok > 0);
  assert.deepEqual(totals.other, []);
  assert.equal(totals.resets, 0, 'no connection reset');
});
