// One test per client limit (src/http/limits.ts and the request schemas), over a real socket: each limit
// holds at its boundary and is answered with the Cloudflare envelope. The timeouts are shortened through
// buildApp's `limits` option; the production values are checked as configured.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { createBodySchema } from '../src/deployment-groups/model.ts';
import { LIMITS, type Limits } from '../src/http/limits.ts';
import { validatorCompiler } from '../src/http/validation.ts';
import { ACCOUNT, createTestApp, groupsUrl, groupUrl, type TestApp, validGroup } from './support/app.ts';
import { assertErrorEnvelope, CF_RAY, fromFetch } from './support/envelope.ts';
import { openConnection, parseResponses, rawExchange, rawRequest } from './support/raw-http.ts';

// 17 environments, so that 16 and 17 distinct version_config entries can be sent.
const ENVIRONMENTS = ['windows', 'macos', ...Array.from({ length: 15 }, (_, i) => `env${i + 2}`)];

let t: TestApp;
let base: string;
let port: number;

before(async () => {
  t = await createTestApp({ targetEnvironments: ENVIRONMENTS });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = portOf(t.app);
  base = `http://127.0.0.1:${port}`;
  auth[1] = `Bearer ${t.secrets.admin}`;
});
after(async () => {
  await t.close();
});

function portOf(app: FastifyInstance): number {
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return address.port;
}

/** A second app on the same store, with some limits shortened, listening on its own port. */
async function withLimits(limits: Partial<Limits>, work: (port: number) => Promise<void>): Promise<void> {
  const app = buildApp({
    config: {
      logLevel: 'silent',
      targetEnvironments: ENVIRONMENTS,
      authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
    },
    store: t.store,
    limits,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await work(portOf(app));
  } finally {
    await app.close();
  }
}

function post(url: string, body: string | object, token = t.secrets.admin) {
  return fetch(base + url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A valid create body padded (through the ignored read-only `id` field) to exactly `bytes` bytes. */
function paddedBody(bytes: number): string {
  const empty = JSON.stringify({ ...validGroup(), id: '' });
  return JSON.stringify({ ...validGroup(), id: 'x'.repeat(bytes - Buffer.byteLength(empty)) });
}

/** The admin's Authorization header, for raw requests (set once the app exists). */
const auth: [string, string] = ['Authorization', ''];

describe('request body', () => {
  test(`accepts a body of exactly ${LIMITS.bodyBytes} bytes (256 KiB)`, async () => {
    const body = paddedBody(LIMITS.bodyBytes);
    assert.equal(Buffer.byteLength(body), 256 * 1024);
    const response = await post(groupsUrl(), body);
    assert.equal(response.status, 200, await response.text());
  });

  test('answers 413 code 2005 to a body one byte over 256 KiB, naming the limit, without storing anything', async () => {
    const before = (await t.store.listDeploymentGroups(ACCOUNT, { limit: 100, offset: 0 })).total;
    const response = await fromFetch(await post(groupsUrl(), paddedBody(LIMITS.bodyBytes + 1)));
    const errors = assertErrorEnvelope(response, 413, 2005);
    assert.equal(errors[0]?.message, 'Request body is larger than 256 KiB');
    assert.equal(response.headers['x-should-retry'], 'false');
    assert.equal((await t.store.listDeploymentGroups(ACCOUNT, { limit: 100, offset: 0 })).total, before);
  });

  test('answers 413 as soon as a declared Content-Length is over the limit, before reading the body', async () => {
    // Only the headers are sent: the server must not wait for 2 MiB that never come.
    const exchange = await rawExchange(
      port,
      rawRequest({
        method: 'POST',
        path: groupsUrl(),
        headers: [auth, ['Content-Type', 'application/json']],
        contentLength: 2 * 1024 * 1024,
      }),
      { timeoutMs: 5000, endAfterMs: 3000 },
    );
    assert.equal(exchange.responses.length, 1, exchange.rest);
    assertErrorEnvelope(exchange.responses[0]!, 413, 2005);
    assert.ok(exchange.elapsedMs < 3000, `answered after ${exchange.elapsedMs} ms`);
  });

  test(`reads and drops a refused body of up to ${LIMITS.drainBodyBytes / 1024} KiB, so that a client still sending it reads its 413 and can go on`, async () => {
    // Closing at once would reset a client still writing, which can discard the 413 unread (write EPIPE).
    const refused = rawRequest({
      method: 'POST',
      path: groupsUrl(),
      headers: [auth, ['Content-Type', 'application/json']],
      body: paddedBody(LIMITS.drainBodyBytes),
    });
    const next = rawRequest({ path: groupsUrl(), headers: [auth], contentLength: null });
    const exchange = await rawExchange(port, [refused, next], { timeoutMs: 10_000, endAfterMs: 1000 });
    assert.equal(exchange.responses.length, 2, exchange.rest);
    assertErrorEnvelope(exchange.responses[0]!, 413, 2005);
    assert.notEqual(exchange.responses[0]!.headers.connection, 'close');
    assert.equal(exchange.responses[1]!.status, 200);
  });

  test('accepts the largest valid group in the most escaped form JSON allows', async () => {
    // Every character as a \u escape, as Go's encoding/json writes `&`, `<` and `>`: the body limit must
    // take the largest group any encoder can send.
    const escaped = (text: string) =>
      `"${Array.from({ length: text.length }, (_, i) => `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;
    const entries = ENVIRONMENTS.slice(0, 16).map(
      (environment) =>
        `{${escaped('target_environment')}:${escaped(environment)},${escaped('version')}:${escaped('2026.12.9999.1')}}`,
    );
    const ids = Array.from({ length: 1000 }, (_, i) =>
      escaped(`${'&'.repeat(32)}${String(i).padStart(4, '0')}`),
    );
    const body =
      `{${escaped('name')}:${escaped('🚀'.repeat(255))},${escaped('version_config')}:[${entries.join(',')}],` +
      `${escaped('policy_ids')}:[${ids.join(',')}]}`;
    assert.ok(Buffer.byteLength(body) > 200_000, `${Buffer.byteLength(body)} bytes`);
    const response = await post(groupsUrl(), body);
    const text = await response.text();
    assert.equal(response.status, 200, text.slice(0, 500));
    assert.equal(JSON.parse(text).result.policy_ids[999], `${'&'.repeat(32)}0999`);
  });
});

describe('request headers', () => {
  test('accepts headers just under 16 KiB in total', async () => {
    const response = await fetch(`${base}/healthz`, { headers: { 'x-padding': 'a'.repeat(15 * 1024) } });
    assert.equal(response.status, 200);
  });

  test('answers 431 code 2012 with the envelope to headers over 16 KiB, and closes the connection', async () => {
    const exchange = await rawExchange(
      port,
      rawRequest({ path: groupsUrl(), headers: [auth, ['X-Padding', 'a'.repeat(LIMITS.headerBytes)]] }),
    );
    assert.equal(exchange.responses.length, 1, exchange.rest);
    const response = exchange.responses[0]!;
    assertErrorEnvelope(response, 431, 2012);
    assert.equal(response.headers.connection, 'close');
    assert.equal(response.headers['x-should-retry'], 'false');
    assert.ok(exchange.closedByServer);
  });

  test('counts a long request line against the 16 KiB header limit (431 code 2012)', async () => {
    const exchange = await rawExchange(port, rawRequest({ path: `/healthz?q=${'a'.repeat(20 * 1024)}` }));
    assertErrorEnvelope(exchange.responses[0]!, 431, 2012);
  });
});

describe('slow clients', () => {
  test('answers 408 code 2011 to a client that never finishes its headers (slowloris)', async () => {
    await withLimits({ headersTimeoutMs: 500, timeoutCheckIntervalMs: 100 }, async (slowPort) => {
      // One header line every 100 ms, for ever: only the headers timeout can stop it.
      const lines = [
        `GET ${groupsUrl()} HTTP/1.1\r\nHost: 127.0.0.1\r\n`,
        ...Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: ${i}\r\n`),
      ];
      const connection = await openConnection(slowPort);
      const started = Date.now();
      const writer = setInterval(() => {
        const line = lines.shift();
        if (line && connection.socket.writable) connection.socket.write(line);
      }, 100);
      // The server keeps serving everyone else meanwhile.
      const other = await fetch(`http://127.0.0.1:${slowPort}/healthz`);
      assert.equal(other.status, 200);
      await connection.closed;
      clearInterval(writer);
      const elapsed = Date.now() - started;
      const { responses } = parseResponses(connection.received());
      assert.equal(responses.length, 1);
      const response = responses[0]!;
      assertErrorEnvelope(response, 408, 2011);
      assert.equal(response.headers.connection, 'close');
      // 408 is worth retrying: no x-should-retry: false.
      assert.equal(response.headers['x-should-retry'], undefined);
      assert.ok(elapsed >= 450 && elapsed < 5000, `cut off after ${elapsed} ms`);
    });
  });

  test('answers 408 code 2011 to a client that sends its body too slowly', async () => {
    // Node wants the headers timeout no longer than the request timeout, as in production (10 s < 30 s).
    await withLimits(
      { headersTimeoutMs: 300, requestTimeoutMs: 700, timeoutCheckIntervalMs: 100 },
      async (slowPort) => {
        const body = JSON.stringify(validGroup());
        const head = rawRequest({
          method: 'POST',
          path: groupsUrl(),
          headers: [auth, ['Content-Type', 'application/json']],
          contentLength: body.length,
        });
        const connection = await openConnection(slowPort);
        const started = Date.now();
        connection.socket.write(head);
        let sent = 0;
        const writer = setInterval(() => {
          // One byte every 100 ms; the whole body would take several seconds.
          if (sent < body.length - 1 && connection.socket.writable) connection.socket.write(body[sent++]!);
        }, 100);
        await connection.closed;
        clearInterval(writer);
        const elapsed = Date.now() - started;
        const { responses } = parseResponses(connection.received());
        assert.equal(responses.length, 1);
        assertErrorEnvelope(responses[0]!, 408, 2011);
        assert.ok(elapsed >= 600 && elapsed < 5000, `cut off after ${elapsed} ms`);
      },
    );
  });

  test('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    await withLimits({ keepAliveTimeoutMs: 300 }, async (slowPort) => {
      const connection = await openConnection(slowPort);
      const started = Date.now();
      connection.socket.write(rawRequest({ path: '/healthz' }));
      await connection.closed;
      const elapsed = Date.now() - started;
      const { responses } = parseResponses(connection.received());
      assert.equal(responses.length, 1);
      assert.equal(responses[0]!.status, 200);
      assert.equal(responses[0]!.headers.connection, 'keep-alive');
      // Node keeps a connection up to one second past the advertised timeout.
      assert.ok(elapsed >= 250 && elapsed < 5000, `closed after ${elapsed} ms`);
    });
  });
});

describe('clients that go away', () => {
  test('does not answer or log a client that disconnects mid-body as a server error (500)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const app = buildApp({
      config: {
        logLevel: 'info',
        targetEnvironments: ENVIRONMENTS,
        authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
      },
      store: t.store,
      logger,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const exchange = await rawExchange(
        portOf(app),
        rawRequest({
          method: 'POST',
          path: groupsUrl(),
          headers: [auth, ['Content-Type', 'application/json']],
          body: '{"name":',
          contentLength: 100,
        }),
        { endAfterMs: 50 },
      );
      assert.ok(exchange.responses.every((response) => response.status < 500));
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await app.close();
    }
    const entries = lines.map((line) => JSON.parse(line));
    assert.deepEqual(
      entries.filter((entry) => entry.level >= 50),
      [],
    );
    assert.ok(entries.filter((entry) => entry.msg === 'request').every((entry) => entry.status < 500));
  });
});

describe('connections', () => {
  test('closes connections beyond maxConnections at once, and accepts new ones when one ends', async () => {
    await withLimits({ maxConnections: 3 }, async (limitedPort) => {
      const open = await Promise.all([1, 2, 3].map(() => openConnection(limitedPort)));
      // Give the server time to count the three.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const fourth = await rawExchange(limitedPort, rawRequest({ path: '/healthz' }), { timeoutMs: 5000 });
      assert.equal(fourth.responses.length, 0, 'the fourth connection must not be served');
      assert.ok(fourth.closedByServer && fourth.elapsedMs < 2000);

      for (const connection of open) connection.socket.destroy();
      await Promise.all(open.map((connection) => connection.closed));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const again = await rawExchange(
        limitedPort,
        rawRequest({ path: '/healthz', headers: [['Connection', 'close']] }),
      );
      assert.equal(again.responses[0]?.status, 200);
    });
  });

  test('runs with the documented limits when none are overridden', () => {
    const server = t.app.server;
    assert.equal(server.headersTimeout, LIMITS.headersTimeoutMs);
    assert.equal(server.requestTimeout, LIMITS.requestTimeoutMs);
    assert.equal(server.keepAliveTimeout, LIMITS.keepAliveTimeoutMs);
    assert.equal(server.maxConnections, LIMITS.maxConnections);
    assert.equal((server as { maxHeaderSize?: number }).maxHeaderSize, LIMITS.headerBytes);
    assert.ok(LIMITS.timeoutCheckIntervalMs < LIMITS.headersTimeoutMs);
  });
});

describe('unparsable HTTP', () => {
  for (const [label, data] of [
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['an invalid method token', `G(T ${groupsUrl()} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a header line without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'],
    [
      'both Content-Length and Transfer-Encoding',
      `POST ${groupsUrl()} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`,
    ],
    [
      'a Content-Length that is not a number',
      `POST ${groupsUrl()} HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n`,
    ],
    [
      'a bad chunk size',
      `POST ${groupsUrl()} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
    ],
    ['random binary', Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])],
  ] as const) {
    test(`answers 400 code 2013 with the envelope to ${label}`, async () => {
      const exchange = await rawExchange(port, data, { timeoutMs: 5000 });
      assert.equal(exchange.responses.length, 1, `no response: ${exchange.rest} ${exchange.error ?? ''}`);
      const response = exchange.responses[0]!;
      assertErrorEnvelope(response, 400, 2013);
      assert.equal(response.headers.connection, 'close');
      assert.ok(exchange.closedByServer);
    });
  }

  test('answers an HTTP/1.1 request without a Host header with 400 and the envelope', async () => {
    const exchange = await rawExchange(port, 'GET /healthz HTTP/1.1\r\n\r\n');
    assertErrorEnvelope(exchange.responses[0]!, 400, 2013);
  });

  test('answers CONNECT with a 4xx envelope instead of dropping the connection', async () => {
    const exchange = await rawExchange(port, `CONNECT ${groupsUrl()} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(exchange.responses.length, 1, 'an answer');
    assert.ok(exchange.responses[0]!.status >= 400 && exchange.responses[0]!.status < 500);
    assertErrorEnvelope(
      exchange.responses[0]!,
      exchange.responses[0]!.status,
      exchange.responses[0]!.status === 405 ? 2010 : 2013,
    );
  });

  test('gives every envelope written outside Fastify its own cf-ray', async () => {
    const rays = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const exchange = await rawExchange(port, 'BROKEN\r\n\r\n');
      const ray = exchange.responses[0]?.headers['cf-ray'] ?? '';
      assert.match(ray, CF_RAY);
      rays.add(ray);
    }
    assert.equal(rays.size, 5);
  });
});

describe('Expect', () => {
  /** Waits until `received()` holds `count` complete responses, or the connection closes. */
  async function responsesOf(connection: Awaited<ReturnType<typeof openConnection>>, count: number) {
    for (let i = 0; i < 100; i++) {
      const { responses } = parseResponses(connection.received());
      if (responses.length >= count) return responses;
      await Promise.race([connection.closed, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    return parseResponses(connection.received()).responses;
  }

  test('answers an Expect other than 100-continue with 417 code 2015 and the envelope, on every path', async () => {
    for (const path of [groupsUrl(), '/healthz', '/no-such-path']) {
      const exchange = await rawExchange(
        port,
        rawRequest({ path, headers: [auth, ['Expect', 'foo'], ['Connection', 'close']] }),
      );
      assert.equal(exchange.responses.length, 1, path);
      assertErrorEnvelope(exchange.responses[0]!, 417, 2015);
    }
  });

  test('sends 100 Continue only once the client is authenticated and the route takes its body', async () => {
    const body = JSON.stringify(validGroup({ name: 'After 100 Continue' }));
    const connection = await openConnection(port);
    connection.socket.write(
      rawRequest({
        method: 'POST',
        path: groupsUrl(),
        headers: [auth, ['Content-Type', 'application/json'], ['Expect', '100-continue']],
        contentLength: Buffer.byteLength(body),
      }),
    );
    const [first] = await responsesOf(connection, 1);
    assert.equal(first?.status, 100);
    connection.socket.write(body);
    const [, created] = await responsesOf(connection, 2);
    assert.equal(created?.status, 200, created?.body);
    assert.equal(JSON.parse(created!.body).result.name, 'After 100 Continue');
    connection.socket.destroy();
  });

  for (const [label, headers, status, code] of [
    ['no credentials', [['Content-Type', 'application/json']], 400, 9106],
    [
      'an unknown token',
      [
        ['Authorization', 'Bearer rmt_unknown'],
        ['Content-Type', 'application/json'],
      ],
      403,
      9109,
    ],
    ['a text/plain body', [auth, ['Content-Type', 'text/plain']], 415, 2006],
  ] as [string, [string, string][], number, number][]) {
    test(`answers a POST with Expect: 100-continue and ${label} at once, without 100 Continue`, async () => {
      // Only the headers are sent: the client waits for 100 Continue, which must not come.
      const exchange = await rawExchange(
        port,
        rawRequest({
          method: 'POST',
          path: groupsUrl(),
          headers: [...headers, ['Expect', '100-continue']],
          contentLength: 1000,
        }),
        { timeoutMs: 5000 },
      );
      assert.deepEqual(
        exchange.responses.map((response) => response.status),
        [status],
      );
      assertErrorEnvelope(exchange.responses[0]!, status, code);
      assert.ok(exchange.closedByServer, 'the body never comes: the connection is closed after the answer');
    });
  }
});

describe('path parameters', () => {
  test(`treats a group_id of up to ${LIMITS.maxParamLength} characters as a group that is not found (404 2002)`, async () => {
    const response = await fetch(base + groupUrl('a'.repeat(LIMITS.maxParamLength)), {
      headers: { authorization: `Bearer ${t.secrets.admin}` },
    });
    assertErrorEnvelope(await fromFetch(response), 404, 2002);
  });

  test(`answers 404 code 7003 to a group_id longer than ${LIMITS.maxParamLength} characters`, async () => {
    const response = await fetch(base + groupUrl('a'.repeat(LIMITS.maxParamLength + 1)), {
      headers: { authorization: `Bearer ${t.secrets.admin}` },
    });
    const errors = assertErrorEnvelope(await fromFetch(response), 404, 7003);
    assert.equal(errors[1]?.code, 7000);
  });

  test(`answers 404 code 7003 to an account_id longer than ${LIMITS.maxParamLength} characters`, async () => {
    const response = await fetch(`${base}/client/v4/accounts/${'a'.repeat(101)}/devices/deployment-groups`, {
      headers: { authorization: `Bearer ${t.secrets.admin}` },
    });
    assertErrorEnvelope(await fromFetch(response), 404, 7003);
  });
});

describe('schema limits', () => {
  const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const versionConfig = (n: number) =>
    ENVIRONMENTS.slice(0, n).map((environment) => ({
      target_environment: environment,
      version: '2026.6.822.0',
    }));

  test('accepts 1000 policy_ids', async () => {
    const response = await post(groupsUrl(), validGroup({ policy_ids: ids(1000, 'limit-ok') }));
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(JSON.parse(text).result.policy_ids.length, 1000);
  });

  test('answers 400 code 2001 pointing at /policy_ids to 1001 policy_ids, on create and update', async () => {
    const create = await fromFetch(
      await post(groupsUrl(), validGroup({ policy_ids: ids(1001, 'limit-no') })),
    );
    const errors = assertErrorEnvelope(create, 400, 2001);
    assert.deepEqual(
      errors.map((e) => e.source?.pointer),
      ['/policy_ids'],
    );
    const group = (await (await post(groupsUrl(), validGroup())).json()).result;
    const update = await fetch(base + groupUrl(group.id), {
      method: 'PATCH',
      headers: { authorization: `Bearer ${t.secrets.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ policy_ids: ids(1001, 'limit-no') }),
    });
    assert.deepEqual(
      assertErrorEnvelope(await fromFetch(update), 400, 2001).map((e) => e.source?.pointer),
      ['/policy_ids'],
    );
  });

  test('accepts 16 version_config entries', async () => {
    const response = await post(groupsUrl(), validGroup({ version_config: versionConfig(16) }));
    assert.equal(response.status, 200, await response.text());
  });

  test('answers 400 code 2001 pointing at /version_config to 17 entries', async () => {
    const response = await fromFetch(
      await post(groupsUrl(), validGroup({ version_config: versionConfig(17) })),
    );
    assert.deepEqual(
      assertErrorEnvelope(response, 400, 2001).map((e) => e.source?.pointer),
      ['/version_config'],
    );
  });

  test('accepts a name of 255 code points (emoji) and refuses 256 with 400 code 2001', async () => {
    const ok = await post(groupsUrl(), validGroup({ name: '🚀'.repeat(255) }));
    assert.equal(ok.status, 200, await ok.text());
    const tooLong = await fromFetch(await post(groupsUrl(), validGroup({ name: '🚀'.repeat(256) })));
    assert.deepEqual(
      assertErrorEnvelope(tooLong, 400, 2001).map((e) => e.source?.pointer),
      ['/name'],
    );
  });

  test('refuses a policy ID longer than 36 characters with 400 code 2001', async () => {
    const response = await fromFetch(await post(groupsUrl(), validGroup({ policy_ids: ['p'.repeat(37)] })));
    assert.deepEqual(
      assertErrorEnvelope(response, 400, 2001).map((e) => e.source?.pointer),
      ['/policy_ids/0'],
    );
  });

  for (const query of [
    'page=1e400',
    'page=Infinity',
    'page=-1e400',
    'per_page=Infinity',
    `per_page=1${'0'.repeat(400)}`,
  ]) {
    test(`refuses ?${query.slice(0, 24)} (a number Ajv coerces to ±Infinity) with 400 code 2001, not a 500`, async () => {
      const response = await fetch(`${base}${groupsUrl()}?${query}`, {
        headers: { authorization: `Bearer ${t.secrets.admin}` },
      });
      const errors = assertErrorEnvelope(await fromFetch(response), 400, 2001);
      assert.equal(errors[0]?.source?.parameter, query.split('=')[0]);
    });
  }

  test('refuses per_page above 100 with 400 code 2001 naming the parameter', async () => {
    const response = await fetch(`${base}${groupsUrl()}?per_page=101`, {
      headers: { authorization: `Bearer ${t.secrets.admin}` },
    });
    const errors = assertErrorEnvelope(await fromFetch(response), 400, 2001);
    assert.equal(errors[0]?.source?.parameter, 'per_page');
  });
});

describe('validation stays bounded whatever the body', () => {
  const VERSION_CONFIG = '[{"target_environment":"windows","version":"2026.6.822.0"}]';

  /** `prefix item,item,…,item suffix`: as many items as fit in `bytes`. */
  function filled(bytes: number, prefix: string, item: (i: number) => string, suffix: string): string {
    const parts: string[] = [];
    let size = prefix.length + suffix.length;
    for (let i = 0; ; i++) {
      const next = item(i);
      if (size + next.length + 1 > bytes) break;
      parts.push(next);
      size += next.length + 1;
    }
    return `${prefix}${parts.join(',')}${suffix}`;
  }

  /**
   * The worst body of each shape that fits in `bytes`. Before validation was bounded, the first of these at
   * 1 MiB was answered with 699,011 error objects: a 77 MB answer after 2.9 s of blocked event loop.
   */
  function worstBodies(bytes: number): [string, string][] {
    const depth = Math.floor((bytes - 40) / 2);
    return [
      ['version_config of empty objects', filled(bytes, '{"name":"x","version_config":[', () => '{}', ']}')],
      ['version_config of nulls', filled(bytes, '{"name":"x","version_config":[', () => 'null', ']}')],
      [
        'policy_ids of empty strings',
        filled(bytes, `{"name":"x","version_config":${VERSION_CONFIG},"policy_ids":[`, () => '""', ']}'),
      ],
      [
        'policy_ids of distinct over-long IDs',
        filled(
          bytes,
          `{"name":"x","version_config":${VERSION_CONFIG},"policy_ids":[`,
          (i) => `"${'p'.repeat(37)}${i}"`,
          ']}',
        ),
      ],
      ['unknown fields', filled(bytes, '{', (i) => `"f${i}":0`, '}')],
      [
        'unknown fields in a version_config entry',
        filled(bytes, '{"name":"x","version_config":[{', (i) => `"f${i}":0`, '}]}'),
      ],
      [
        '32 unknown fields with very long names',
        `{${Array.from({ length: 32 }, (_, i) => `"${'n'.repeat(Math.floor((bytes - 300) / 32))}${i}":0`).join(',')}}`,
      ],
      ['a deeply nested name', `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`],
      ['deep nesting in an unknown field', `{"x":${'{"a":'.repeat(depth / 3)}0${'}'.repeat(depth / 3)}}`],
    ];
  }

  for (const [label, body] of worstBodies(LIMITS.bodyBytes)) {
    test(`answers ${label} (${LIMITS.bodyBytes / 1024} KiB) with a 400 of at most 100 errors and 64 KB`, async () => {
      assert.ok(
        Buffer.byteLength(body) <= LIMITS.bodyBytes && Buffer.byteLength(body) > LIMITS.bodyBytes - 1024,
      );
      const response = await fromFetch(await post(groupsUrl(), body));
      const errors = assertErrorEnvelope(response, 400, 2001);
      assert.ok(errors.length <= 100, `${errors.length} errors`);
      assert.ok(response.body.length < 64 * 1024, `${response.body.length} bytes`);
    });
  }

  test('makes Ajv check no item of an over-long array and no field of an over-full object, at any size', () => {
    // The work and memory of validation follow the number of errors Ajv builds; they must not grow with the
    // body, even at 4 MiB (16 times the body limit).
    const validate = validatorCompiler()({
      schema: createBodySchema(ENVIRONMENTS),
      method: 'POST',
      url: groupsUrl(),
      httpPart: 'body',
    }) as ((data: unknown) => boolean) & { errors?: unknown[] | null };
    for (const [label, body] of worstBodies(4 * 1024 * 1024)) {
      assert.equal(validate(JSON.parse(body)), false, label);
      assert.ok((validate.errors?.length ?? 0) <= 40, `${label}: ${validate.errors?.length} errors`);
    }
  });

  test('keeps answering /healthz while 16 of the worst bodies are in flight', async () => {
    // Unbounded, these 16 blocked the event loop for over 10 s at this body limit (44 s at 1 MiB); bounded,
    // they take a few tens of milliseconds. The bound is generous so that a loaded machine does not fail it.
    const [, body] = worstBodies(LIMITS.bodyBytes)[0]!;
    let inFlight = true;
    const answers = Promise.all(
      Array.from({ length: 16 }, async () => fromFetch(await post(groupsUrl(), body))),
    );
    answers.finally(() => {
      inFlight = false;
    });
    const waits: number[] = [];
    while (inFlight) {
      const started = Date.now();
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      waits.push(Date.now() - started);
    }
    for (const answer of await answers) assertErrorEnvelope(answer, 400, 2001);
    assert.ok(Math.max(...waits) < 5000, `/healthz waited up to ${Math.max(...waits)} ms`);
  });
});
