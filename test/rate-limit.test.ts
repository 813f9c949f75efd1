// Rate limiting as Cloudflare does it (docs/contract.md §7): per credential when RATE_LIMIT is set, failed
// authentications per client address always, counters shared through Redis across replicas, and failing
// open (one warning per interval, reconnecting in the background) while Redis is unreachable.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { parseRateLimit, RedisCounters } from '../src/http/rate-limit.ts';
import { callApi } from './support/api.ts';
import { ACCOUNT, createTestApp, groupsUrl } from './support/app.ts';
import { startServer } from './support/server.ts';

const REDIS_URL = process.env.RINGMASTER_TEST_REDIS_URL;
// Windows are fixed and aligned to the epoch; a day-long one makes a boundary mid-test vanishingly unlikely.
const DAY = 86_400;
if (!REDIS_URL)
  console.log('# Redis-shared rate-limit test did not run: RINGMASTER_TEST_REDIS_URL is not set');

test('parses count/window rules and rejects anything else', () => {
  assert.deepEqual(parseRateLimit('1200/5m'), { limit: 1200, windowSeconds: 300 });
  assert.deepEqual(parseRateLimit('10/s'), { limit: 10, windowSeconds: 1 });
  assert.deepEqual(parseRateLimit('50/2h'), { limit: 50, windowSeconds: 7200 });
  for (const bad of ['', '1200', '0/1m', '10/0m', '10/1d', 'ten/1m', '-1/1m']) {
    assert.equal(typeof parseRateLimit(bad), 'string', bad);
  }
});

test('sends no rate-limit headers when RATE_LIMIT is not set', async () => {
  const t = await createTestApp();
  try {
    const response = await t.request({ url: groupsUrl() });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers.ratelimit, undefined);
    assert.equal(response.headers['ratelimit-policy'], undefined);
  } finally {
    await t.close();
  }
});

test('limits each credential to its quota with Cloudflare’s headers, then answers 429 code 971', async () => {
  const t = await createTestApp({ rateLimit: { limit: 3, windowSeconds: DAY } });
  try {
    for (let i = 1; i <= 3; i++) {
      const response = await t.request({ url: groupsUrl(), token: t.secrets.writer });
      assert.equal(response.statusCode, 200);
      assert.match(response.headers.ratelimit as string, new RegExp(`^"default";r=${3 - i};t=\\d+$`));
      assert.equal(response.headers['ratelimit-policy'], `"default";q=3;w=${DAY}`);
    }
    const limited = await t.request({ url: groupsUrl(), token: t.secrets.writer });
    assert.equal(limited.statusCode, 429);
    const body = limited.json();
    assert.equal(body.success, false);
    assert.equal(body.errors[0].code, 971);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= DAY, `Retry-After ${retryAfter}`);
    assert.equal(limited.headers['x-should-retry'], undefined, 'the SDKs may retry a 429');
    // Writes are refused too, and nothing is written.
    const write = await t.request({ method: 'POST', url: groupsUrl(), token: t.secrets.writer, body: {} });
    assert.equal(write.statusCode, 429);
    // Another credential has its own quota.
    assert.equal((await t.request({ url: groupsUrl(), token: t.secrets.reader })).statusCode, 200);
  } finally {
    await t.close();
  }
});

test('limits failed authentications per client address without locking out valid credentials', async () => {
  const t = await createTestApp({ authFailureLimit: { limit: 2, windowSeconds: DAY } });
  try {
    const attempt = (token: string, remoteAddress = '203.0.113.7') =>
      t.app.inject({ url: groupsUrl(), remoteAddress, headers: { authorization: `Bearer ${token}` } });
    assert.equal((await attempt('rmt_guess1')).statusCode, 403);
    assert.equal((await attempt('rmt_guess2')).statusCode, 403);
    const limited = await attempt('rmt_guess3');
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().errors[0].code, 971);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    // A client sharing the address (one proxy, many users) with a valid token is not locked out.
    assert.equal((await attempt(t.secrets.admin)).statusCode, 200);
    // Another address has its own budget.
    assert.equal((await attempt('rmt_guess4', '203.0.113.8')).statusCode, 403);
  } finally {
    await t.close();
  }
});

/** One failed authentication arriving from `remoteAddress` with `forwardedFor`; resolves to its status. */
async function failFrom(app: FastifyInstance, remoteAddress: string, forwardedFor: string): Promise<number> {
  const response = await app.inject({
    url: groupsUrl(),
    remoteAddress,
    headers: { authorization: 'Bearer rmt_guess', 'x-forwarded-for': forwardedFor },
  });
  return response.statusCode;
}

test('behind a trusted proxy, counts failures per forwarded client address', async () => {
  const t = await createTestApp({
    authFailureLimit: { limit: 1, windowSeconds: DAY },
    trustProxy: ['10.0.0.1'],
  });
  try {
    const attempt = (forwardedFor: string) => failFrom(t.app, '10.0.0.1', forwardedFor);
    assert.equal(await attempt('198.51.100.1'), 403);
    assert.equal(await attempt('198.51.100.1'), 429);
    assert.equal(await attempt('198.51.100.2'), 403, 'another client behind the same proxy');
    // A client that reaches the server directly is its own TCP address, whatever it forwards.
    assert.equal(await failFrom(t.app, '203.0.113.50', '6.6.6.1'), 403);
    assert.equal(await failFrom(t.app, '203.0.113.50', '6.6.6.2'), 429);
  } finally {
    await t.close();
  }
});

test('behind TRUST_PROXY=true, a client cannot choose its address: only the proxy’s entry counts', async () => {
  // `true` is one proxy: the client is the right-most X-Forwarded-For entry, the one the proxy added. The
  // entries left of it are whatever the client sent, so rotating them must not reset the limit.
  const t = await createTestApp({ authFailureLimit: { limit: 2, windowSeconds: DAY }, trustProxy: true });
  try {
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++) statuses.push(await failFrom(t.app, '10.0.0.1', `6.6.6.${i}, 203.0.113.9`));
    assert.deepEqual(statuses, [403, 403, 429, 429]);
    assert.equal(
      await failFrom(t.app, '10.0.0.1', '6.6.6.1, 203.0.113.10'),
      403,
      'another client behind the same proxy has its own budget',
    );
  } finally {
    await t.close();
  }
});

test('TRUST_PROXY as a number trusts that many proxies, and a list only the proxies it names', async () => {
  const t = await createTestApp();
  try {
    for (const trustProxy of [2, ['10.0.0.0/8']]) {
      const app = buildApp({
        config: {
          logLevel: 'silent',
          targetEnvironments: ['windows'],
          authFailureLimit: { limit: 1, windowSeconds: DAY },
          trustProxy,
        },
        store: t.store,
      });
      const label = JSON.stringify(trustProxy);
      try {
        // Two proxies: 10.0.0.1 added the client's address, 10.0.0.2 is the TCP peer.
        assert.equal(await failFrom(app, '10.0.0.2', '6.6.6.1, 198.51.100.7, 10.0.0.1'), 403, label);
        assert.equal(await failFrom(app, '10.0.0.2', '6.6.6.2, 198.51.100.7, 10.0.0.1'), 429, label);
        assert.equal(await failFrom(app, '10.0.0.2', '6.6.6.3, 198.51.100.8, 10.0.0.1'), 403, label);
      } finally {
        await app.close();
      }
    }
  } finally {
    await t.close();
  }
});

test('TRUST_PROXY is validated strictly at start', () => {
  const trust = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;
  assert.equal(trust('false'), false);
  assert.equal(trust('true'), true);
  assert.equal(trust('2'), 2);
  assert.deepEqual(trust('10.0.0.1, 10.0.0.0/8,::1, fd00::/8, loopback'), [
    '10.0.0.1',
    '10.0.0.0/8',
    '::1',
    'fd00::/8',
    'loopback',
  ]);
  for (const bad of [
    'bad',
    'yes',
    '1.2.3.4/999',
    '1.2.3.4/33',
    '::1/129',
    '::g',
    '1.2.3',
    '10.0.0.1,',
    '-1',
    '10.0.0.0/8/8',
    '100',
  ]) {
    assert.throws(
      () => loadConfig({ TRUST_PROXY: bad }),
      (error: unknown) =>
        error instanceof ConfigError && error.problems.some((p) => p.startsWith('TRUST_PROXY')),
      bad,
    );
  }
});

test('replicas share counters through Redis', {
  skip: !REDIS_URL && 'RINGMASTER_TEST_REDIS_URL is not set',
}, async () => {
  const t = await createTestApp();
  const counters = [
    await RedisCounters.connect(REDIS_URL as string),
    await RedisCounters.connect(REDIS_URL as string),
  ];
  await Promise.all(counters.map((c) => c.connected));
  // A window of its own per run, so leftovers from earlier runs cannot interfere.
  const rule = { limit: 4, windowSeconds: 3600 + Math.floor(Math.random() * 3600) };
  const replicas = counters.map((c) =>
    buildApp({
      config: {
        logLevel: 'silent',
        targetEnvironments: ['windows'],
        rateLimit: rule,
        authFailureLimit: rule,
      },
      store: t.store,
      counters: c,
    }),
  );
  try {
    const get = (i: number) =>
      replicas[i % 2]!.inject({
        url: groupsUrl(ACCOUNT),
        headers: { authorization: `Bearer ${t.secrets.writer}` },
      });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(i)).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
  } finally {
    for (const app of replicas) await app.close();
    for (const c of counters) await c.close();
    await t.close();
  }
});

/** A logger whose JSON lines are kept, to count what was logged. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('an unreachable Redis at start: the server starts and listens, fails open, and warns once, without a stack', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-redis-down-'));
  const server = await startServer({
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    RATE_LIMIT: '2/1m',
  });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await callApi(server.baseUrl, server.operatorToken as string, 'GET', '/user/tokens/verify')).status,
      );
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200], 'the limit of 2 is not enforced: it fails open');
    // Several reconnection attempts (every 0.2–2 s) happen meanwhile; each is not a log line.
    await setTimeout(3000);
    const lines = server.stdout().trim().split('\n');
    const warnings = lines.filter((line) => line.includes('redis unavailable'));
    assert.equal(warnings.length, 1, lines.join('\n'));
    assert.match(warnings[0] as string, /"level":40/);
    // The cause is named: refused, or (on a machine so loaded that the 2 s connect timer fires before the
    // refusal is read) the timeout.
    assert.match(warnings[0] as string, /ECONNREFUSED|Connection timeout/);
    assert.doesNotMatch(server.stdout(), /"stack"|\n\s+at /, 'no stack trace');
    assert.equal(await server.stop(), 0);
  } finally {
    await server.kill().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Redis that comes up later is used once reconnected in the background: the limit applies again', {
  skip: !REDIS_URL && 'RINGMASTER_TEST_REDIS_URL is not set',
}, async () => {
  const redis = new URL(REDIS_URL as string);
  const port = await freePort();
  const { logger, lines } = capturingLogger();
  const counters = await RedisCounters.connect(`redis://127.0.0.1:${port}`, logger, 60_000);
  const t = await createTestApp();
  // A window of its own per run, so leftovers from earlier runs cannot interfere.
  const rule = { limit: 2, windowSeconds: 3600 + Math.floor(Math.random() * 3600) };
  const app = buildApp({
    config: { logLevel: 'silent', targetEnvironments: ['windows'], rateLimit: rule, authFailureLimit: rule },
    store: t.store,
    counters,
    logger,
  });
  // Redis reachable only through this proxy, which starts listening halfway through.
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(redis.port || 6379), redis.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const get = () =>
    app.inject({ url: groupsUrl(ACCOUNT), headers: { authorization: `Bearer ${t.secrets.writer}` } });
  try {
    const down: number[] = [];
    for (let i = 0; i < 4; i++) down.push((await get()).statusCode);
    assert.deepEqual(down, [200, 200, 200, 200], 'fails open while Redis is unreachable');
    await setTimeout(1000);
    const warnings = lines.filter((line) => String(line.msg).startsWith('redis unavailable'));
    assert.equal(warnings.length, 1, 'one warning per interval, however many attempts and requests failed');
    assert.equal(typeof warnings[0]?.error, 'string');
    assert.equal(warnings[0]?.err, undefined, 'no error object, so no stack');

    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    await Promise.race([
      counters.connected,
      setTimeout(10_000).then(() => assert.fail('did not reconnect within 10 s')),
    ]);
    const up: number[] = [];
    for (let i = 0; i < 3; i++) up.push((await get()).statusCode);
    assert.deepEqual(up, [200, 200, 429], 'the limit applies once Redis is back');
    assert.ok(lines.some((line) => line.msg === 'redis reachable again: rate limits enforced'));
  } finally {
    await app.close();
    await counters.close();
    await t.close();
    proxy.close();
  }
});
