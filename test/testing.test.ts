// Test mode (docs/contract.md §8.6, docs/testing.md): startRingmaster(), the control routes, the request
// journal, fault rules met by the official SDK's own retry logic, isolation between instances, and the
// out-of-process start (`ringmaster serve --test-mode … --print-env`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import Cloudflare from 'cloudflare';
import { buildApp } from '../src/app.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import { type Ringmaster, RingmasterError, startRingmaster } from '../src/testing/index.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { createTestApp, groupsUrl, validGroup } from './support/app.ts';
import { ROOT, runCli } from './support/server.ts';

const WINDOWS = (version: string) => [{ target_environment: 'windows', version }];
const fixtures = (account: string, ...names: string[]) => ({
  accounts: {
    [account]: {
      deployment_groups: names.map((name, i) => ({
        name,
        version_config: WINDOWS('2026.6.822.0'),
        policy_ids: [`policy-${name.replaceAll(' ', '_')}-${i}`],
      })),
    },
  },
});

/** A client that reads nothing from CLOUDFLARE_* variables. */
function sdk(rm: Ringmaster, maxRetries = 2): Cloudflare {
  return new Cloudflare({
    apiToken: rm.apiToken,
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL: rm.baseURL,
    maxRetries,
  });
}

async function api(rm: Ringmaster, method: string, path: string, body?: unknown, token = rm.apiToken) {
  const response = await fetch(`${rm.origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const listNames = async (rm: Ringmaster, account = rm.accountId) =>
  (await sdk(rm).zeroTrust.devices.deploymentGroups.list({ account_id: account })).result.map((g) => g.name);

describe('test mode is there only when the app is built with it', () => {
  test('without it, every control route is 404 7003, for the operator token and whatever headers', async () => {
    const t = await createTestApp();
    try {
      for (const [method, path] of [
        ['POST', 'reset'],
        ['POST', 'seed'],
        ['GET', 'requests'],
        ['DELETE', 'requests'],
        ['POST', 'faults'],
        ['GET', 'faults'],
      ] as const) {
        const response = await t.request({
          method,
          url: `/ringmaster/v1/testing/${path}?test_mode=1`,
          headers: { 'x-ringmaster-test-mode': '1' },
          ...(method === 'POST' ? { body: {} } : {}),
        });
        assert.equal(response.statusCode, 404, `${method} ${path}`);
        assert.equal(response.json().errors[0].code, 7003);
      }
      // Nothing was journaled or faulted either: the groups API answers as ever.
      const created = await t.request({ method: 'POST', url: groupsUrl(), body: validGroup() });
      assert.equal(created.statusCode, 200);
    } finally {
      await t.close();
    }
  });
});

describe('startRingmaster()', () => {
  let rm: Ringmaster;
  before(async () => {
    rm = await startRingmaster();
  });
  after(() => rm.stop());
  beforeEach(() => rm.reset());

  test('hands out what the SDKs need, and both credentials work', async () => {
    assert.match(rm.baseURL, /^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    assert.match(rm.accountId, /^[0-9a-f]{32}$/);
    const created = await sdk(rm).zeroTrust.devices.deploymentGroups.create({
      account_id: rm.accountId,
      ...validGroup(),
    });
    const legacy = new Cloudflare({
      apiToken: null,
      apiKey: rm.apiKey,
      apiEmail: rm.apiEmail,
      baseURL: rm.baseURL,
      maxRetries: 0,
    });
    const fetched = await legacy.zeroTrust.devices.deploymentGroups.get(created.id, {
      account_id: OTHER_ACCOUNT === rm.accountId ? ACCOUNT : rm.accountId,
    });
    assert.equal(fetched.id, created.id);
  });

  test('reset removes every group of every account but keeps the credentials, journal and faults cleared', async () => {
    await rm.seed(fixtures(rm.accountId, 'a', 'b'));
    await rm.seed(fixtures(OTHER_ACCOUNT, 'c'));
    await rm.fault({ match: { path: '/nowhere' }, respond: { status: 500 } });
    await listNames(rm);
    await rm.reset();
    assert.deepEqual(await listNames(rm), []);
    assert.deepEqual(await listNames(rm, OTHER_ACCOUNT), []);
    assert.deepEqual(await rm.faults(), []);
    // Only the list just above: the journal was emptied by the reset.
    assert.equal((await rm.requests()).length, 2);
  });

  test('seed creates the groups in the fixtures’ order, as a create would, and returns them', async () => {
    const seeded = await rm.seed(fixtures(rm.accountId, 'Ring 0', 'Ring 1', 'Ring 2'));
    const groups = seeded.accounts[rm.accountId]?.deployment_groups ?? [];
    assert.deepEqual(
      groups.map((g) => g.name),
      ['Ring 0', 'Ring 1', 'Ring 2'],
    );
    assert.deepEqual(await listNames(rm), ['Ring 0', 'Ring 1', 'Ring 2']);
    const fetched = await sdk(rm).zeroTrust.devices.deploymentGroups.get(groups[1]?.id as string, {
      account_id: rm.accountId,
    });
    assert.deepEqual(fetched, groups[1]);
  });

  test('a seed with any invalid group is 400 with a pointer per problem, and seeds nothing', async () => {
    const bad = {
      accounts: {
        [rm.accountId]: {
          deployment_groups: [
            { name: 'fine', version_config: WINDOWS('2026.6.822.0') },
            { name: '', version_config: [{ target_environment: 'linux', version: '1' }] },
          ],
        },
        NOT_AN_ACCOUNT: { deployment_groups: [] },
      },
    };
    const error = await rm.seed(bad as never).then(
      () => assert.fail('seeded'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RingmasterError);
    assert.equal(error.status, 400);
    const pointers = error.errors.map((e) => e.source?.pointer).sort();
    assert.deepEqual(
      pointers,
      [
        '/accounts/NOT_AN_ACCOUNT',
        `/accounts/${rm.accountId}/deployment_groups/1/name`,
        `/accounts/${rm.accountId}/deployment_groups/1/version_config/0/target_environment`,
        `/accounts/${rm.accountId}/deployment_groups/1/version_config/0/version`,
      ].sort(),
    );
    assert.deepEqual(await listNames(rm), []);
  });

  test('a seed whose policy IDs clash, with each other or with a stored group, is 409 and seeds nothing', async () => {
    const [held] =
      (await rm.seed(fixtures(rm.accountId, 'held'))).accounts[rm.accountId]?.deployment_groups ?? [];
    const clash = {
      accounts: {
        [rm.accountId]: {
          deployment_groups: [
            { name: 'x', version_config: WINDOWS('2026.6.822.0'), policy_ids: ['new', 'policy-held-0'] },
            { name: 'y', version_config: WINDOWS('2026.6.822.0'), policy_ids: ['new'] },
          ],
        },
      },
    };
    const error = (await rm.seed(clash).catch((e: unknown) => e)) as RingmasterError;
    assert.equal(error.status, 409);
    assert.deepEqual(
      error.errors.map((e) => [e.code, e.source?.pointer]),
      [
        [2004, `/accounts/${rm.accountId}/deployment_groups/0/policy_ids/1`],
        [2004, `/accounts/${rm.accountId}/deployment_groups/1/policy_ids/0`],
      ],
    );
    assert.match(error.errors[0]?.message ?? '', new RegExp(held?.id as string));
    assert.deepEqual(await listNames(rm), ['held']);
  });

  test('the journal records API requests oldest first, with secrets masked and control routes left out', async () => {
    const groups = sdk(rm, 0).zeroTrust.devices.deploymentGroups;
    await groups.create({ account_id: rm.accountId, ...validGroup({ name: `leak rmt_${'A'.repeat(43)}` }) });
    await groups.list({ account_id: rm.accountId, page: 2, per_page: 5 });
    await groups.get('not-a-uuid', { account_id: rm.accountId }).catch(() => undefined);
    await fetch(`${rm.baseURL}/accounts/${rm.accountId}/devices/deployment-groups?token=${rm.apiToken}`);
    await rm.faults();
    const journal = await rm.requests();
    assert.deepEqual(
      journal.map((e) => [e.method, e.status, e.error_codes]),
      [
        ['POST', 200, []],
        ['GET', 200, []],
        ['GET', 404, [2002]],
        ['GET', 400, [9106]],
      ],
    );
    const [create, list, , leaked] = journal;
    assert.equal(create?.path, `/client/v4/accounts/${rm.accountId}/devices/deployment-groups`);
    assert.deepEqual(create?.body, { ...validGroup({ name: 'leak rmt_[redacted]' }) });
    assert.deepEqual(list?.query, { page: '2', per_page: '5' });
    assert.deepEqual(leaked?.query, { token: 'rmt_[redacted]' });
    assert.ok(!JSON.stringify(journal).includes(rm.apiToken));
    assert.match(create?.ray_id ?? '', /^[0-9a-f]{16}-/);
    assert.ok((create?.time ?? '') < (list?.time ?? ''));
    await rm.clearRequests();
    assert.deepEqual(await rm.requests(), []);
  });

  test('the journal keeps the last 1000 requests', async () => {
    const url = `${rm.baseURL}/accounts/${rm.accountId}/devices/deployment-groups`;
    const headers = { authorization: `Bearer ${rm.apiToken}` };
    for (let i = 0; i < 1005; i++) await fetch(`${url}?per_page=${(i % 100) + 1}`, { headers });
    const journal = await rm.requests();
    assert.equal(journal.length, 1000);
    assert.deepEqual(journal[0]?.query, { per_page: '6' });
  });
});

describe('fault rules, met by the official SDK', () => {
  let rm: Ringmaster;
  let rolls: number[] = [];
  before(async () => {
    rm = await startRingmaster({ random: () => rolls.shift() ?? 0 });
  });
  after(() => rm.stop());
  beforeEach(async () => {
    await rm.reset();
    rolls = [];
  });
  const list = (client: Cloudflare) =>
    client.zeroTrust.devices.deploymentGroups.list({ account_id: rm.accountId });
  const statuses = async () => (await rm.requests()).map((e) => e.status);

  test('two 429s: the SDK retries twice (maxRetries 2) and gets its answer', async () => {
    const rule = await rm.fault({ respond: { status: 429, retry_after: 0 }, times: 2 });
    assert.deepEqual(rule, {
      id: rule.id,
      match: {},
      respond: { status: 429, retry_after: 0 },
      times: 2,
      probability: 1,
      hits: 0,
      remaining: 2,
    });
    await list(sdk(rm, 2));
    assert.deepEqual(await statuses(), [429, 429, 200]);
    assert.deepEqual(
      (await rm.faults()).map((f) => [f.hits, f.remaining]),
      [[2, 0]],
    );
  });

  test('a 429 is Cloudflare’s: code 971 and Retry-After, 1 second unless told; the SDK gives up after maxRetries', async () => {
    await rm.fault({ match: { method: 'GET' }, respond: { status: 429 } });
    const raw = await api(rm, 'GET', `/client/v4/accounts/${rm.accountId}/devices/deployment-groups`);
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get('retry-after'), '1');
    assert.equal(raw.headers.get('x-should-retry'), null);
    assert.deepEqual(
      raw.body.errors.map((e: { code: number }) => e.code),
      [971],
    );
    assert.equal(raw.body.success, false);
    await assert.rejects(list(sdk(rm, 0)), Cloudflare.RateLimitError);
  });

  test('500 is code 2008 naming the ray, 503 is code 2009 with Retry-After', async () => {
    await rm.fault({ match: { method: 'POST' }, respond: { status: 500 } });
    await rm.fault({ match: { method: 'GET' }, respond: { status: 503 } });
    const created = await api(
      rm,
      'POST',
      `/client/v4/accounts/${rm.accountId}/devices/deployment-groups`,
      validGroup(),
    );
    assert.equal(created.status, 500);
    assert.equal(created.body.errors[0].code, 2008);
    assert.match(created.body.errors[0].message, new RegExp(created.headers.get('cf-ray') as string));
    const listed = await api(rm, 'GET', `/client/v4/accounts/${rm.accountId}/devices/deployment-groups`);
    assert.equal(listed.status, 503);
    assert.equal(listed.body.errors[0].code, 2009);
    assert.equal(listed.headers.get('retry-after'), '1');
    // A fault stands in for the request: nothing was created.
    await rm.clearFaults();
    assert.deepEqual(await listNames(rm), []);
  });

  test('a code picks another entry of the table for the status', async () => {
    await rm.fault({ respond: { status: 400, code: 2003 } });
    const response = await api(rm, 'GET', `/client/v4/accounts/${rm.accountId}/devices/deployment-groups`);
    assert.equal(response.status, 400);
    assert.equal(response.body.errors[0].code, 2003);
    assert.equal(response.headers.get('x-should-retry'), 'false');
  });

  test('a dropped connection: the SDK retries it; without retries it is a connection error', async () => {
    await rm.fault({ respond: { drop: true }, times: 1 });
    await list(sdk(rm, 2));
    assert.deepEqual(await statuses(), [null, 200]);
    await rm.fault({ respond: { drop: true }, times: 1 });
    await assert.rejects(list(sdk(rm, 0)), Cloudflare.APIConnectionError);
  });

  test('a delay holds the request, then it is answered normally', async () => {
    await rm.fault({ match: { method: 'GET' }, respond: { delay_ms: 150 }, times: 1 });
    const started = performance.now();
    await list(sdk(rm, 0));
    assert.ok(performance.now() - started >= 140, 'held for the delay');
    const [entry] = await rm.requests();
    assert.equal(entry?.status, 200);
    assert.equal(entry?.fault, (await rm.faults())[0]?.id);
  });

  test('the first rule that applies wins; path globs, methods and accounts narrow a rule', async () => {
    await rm.fault({ match: { account_id: OTHER_ACCOUNT }, respond: { status: 503 } });
    await rm.fault({
      match: { method: 'post', path: '/client/v4/accounts/*/devices/**' },
      respond: { status: 500 },
    });
    await rm.fault({
      match: { path: '/client/v4/accounts/?*/devices/deployment-groups' },
      respond: { status: 429 },
    });
    const collection = (account: string) => `/client/v4/accounts/${account}/devices/deployment-groups`;
    assert.equal((await api(rm, 'GET', collection(OTHER_ACCOUNT))).status, 503);
    assert.equal((await api(rm, 'POST', collection(rm.accountId), validGroup())).status, 500);
    assert.equal((await api(rm, 'GET', collection(rm.accountId))).status, 429);
    assert.equal((await api(rm, 'GET', `${collection(rm.accountId)}/x`)).status, 404);
    assert.equal((await api(rm, 'GET', '/client/v4/user/tokens/verify')).status, 200);
    // Control routes are never faulted.
    assert.deepEqual(
      (await rm.faults()).map((f) => f.hits),
      [1, 1, 1],
    );
  });

  test('probability rolls per request; a rule that does not roll true lets the next one try', async () => {
    await rm.fault({ respond: { status: 500 }, probability: 0.5 });
    await rm.fault({ respond: { status: 503 }, times: 1 });
    rolls = [0.2, 0.7, 0.9];
    const url = `/client/v4/accounts/${rm.accountId}/devices/deployment-groups`;
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await api(rm, 'GET', url)).status);
    assert.deepEqual(seen, [500, 503, 200]);
    await rm.clearFaults();
    assert.deepEqual(await rm.faults(), []);
  });

  test('a bad rule is 400 with a pointer per problem, and adds nothing', async () => {
    const cases: [unknown, string[]][] = [
      [{ respond: { status: 500, drop: true } }, ['/respond']],
      [{ respond: {} }, ['/respond']],
      [{ respond: { status: 418 } }, ['/respond/status']],
      [{ respond: { status: 500, code: 971 } }, ['/respond/code']],
      [{ respond: { delay_ms: 10, retry_after: 1 } }, ['/respond/retry_after']],
      [{ respond: { drop: false } }, ['/respond/drop']],
      [
        {
          match: { path: 'no-slash', account_id: 'x', colour: 'red' },
          respond: { delay_ms: 99_999_999 },
          probability: 2,
        },
        ['/match/account_id', '/match/colour', '/match/path', '/probability', '/respond/delay_ms'],
      ],
    ];
    for (const [rule, pointers] of cases) {
      const response = await api(rm, 'POST', '/ringmaster/v1/testing/faults', rule);
      assert.equal(response.status, 400, JSON.stringify(rule));
      assert.deepEqual(
        response.body.errors.map((e: { source: { pointer: string } }) => e.source.pointer).sort(),
        pointers,
        JSON.stringify(rule),
      );
    }
    assert.deepEqual(await rm.faults(), []);
  });
});

test('two instances in one process share nothing: groups, credentials, journal, faults', async () => {
  const [one, two] = await Promise.all([startRingmaster(), startRingmaster()]);
  try {
    assert.notEqual(one.baseURL, two.baseURL);
    await one.seed(fixtures(one.accountId, 'only in one'));
    await one.fault({ respond: { status: 503 } });
    assert.deepEqual(await listNames(two), []);
    const stranger = await api(two, 'GET', '/client/v4/user/tokens/verify', undefined, one.apiToken);
    assert.equal(stranger.status, 401);
    assert.equal((await two.requests()).length, 2);
    assert.equal((await one.requests()).length, 0);
    assert.deepEqual(await two.faults(), []);
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
});

test('startRingmaster({ seed }) reads a fixtures file, and refuses a bad one without starting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-testing-'));
  try {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(fixtures(ACCOUNT, 'from a file')));
    const rm = await startRingmaster({ seed: good, accountId: ACCOUNT });
    try {
      assert.deepEqual(await listNames(rm), ['from a file']);
    } finally {
      await rm.stop();
    }
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ accounts: { [ACCOUNT]: { deployment_groups: [{ name: 'x' }] } } }));
    await assert.rejects(startRingmaster({ seed: bad }), /version_config is required/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('ringmaster serve --test-mode', () => {
  test('--print-env prints eval-able exports on stdout, then serves them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringmaster-testing-'));
    const seed = join(dir, 'fixtures.json');
    writeFileSync(seed, JSON.stringify(fixtures('023e105f4ecef8ad9ca31a8372d0c353', 'seeded')));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'serve',
        '--test-mode',
        '--memory',
        '--port',
        '0',
        '--seed',
        seed,
        '--print-env',
      ],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: 'sqlite:/nonexistent/never-opened.db' } },
    );
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('RINGMASTER_PID')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const lines = stdout.trim().split('\n');
      assert.deepEqual(
        lines.map((line) => line.split('=')[0]),
        [
          'export CLOUDFLARE_BASE_URL',
          'export CLOUDFLARE_API_TOKEN',
          'export CLOUDFLARE_ACCOUNT_ID',
          'export CLOUDFLARE_EMAIL',
          'export CLOUDFLARE_API_KEY',
          'export RINGMASTER_PID',
        ],
      );
      // What a shell makes of them: `eval` them and print the environment back.
      const shell = spawn('sh', ['-c', `${stdout}\nenv`], { env: {} });
      let env = '';
      for await (const chunk of shell.stdout) env += chunk;
      const vars = Object.fromEntries(
        env
          .trim()
          .split('\n')
          .map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]),
      );
      assert.equal(vars.RINGMASTER_PID, String(child.pid));
      const client = new Cloudflare({
        apiToken: vars.CLOUDFLARE_API_TOKEN,
        baseURL: vars.CLOUDFLARE_BASE_URL,
        maxRetries: 0,
      });
      const page = await client.zeroTrust.devices.deploymentGroups.list({
        account_id: vars.CLOUDFLARE_ACCOUNT_ID as string,
      });
      assert.deepEqual(
        page.result.map((g) => g.name),
        ['seeded'],
      );
      const legacy = await fetch(
        `${vars.CLOUDFLARE_BASE_URL}/ringmaster/v1/testing/requests`.replace('/client/v4', ''),
        {
          headers: {
            'x-auth-email': vars.CLOUDFLARE_EMAIL as string,
            'x-auth-key': vars.CLOUDFLARE_API_KEY as string,
          },
        },
      );
      assert.equal(legacy.status, 200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--seed and --print-env need --test-mode; a bad fixtures file stops the start with its pointers', () => {
    const usage = runCli(['serve', '--print-env'], { DATABASE_URL: 'sqlite::memory:' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--seed and --print-env need --test-mode/);
    const dir = mkdtempSync(join(tmpdir(), 'ringmaster-testing-'));
    try {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ accounts: { [ACCOUNT]: { deployment_groups: [{ name: '' }] } } }));
      const result = runCli(['serve', '--test-mode', '--seed', bad, '--port', '0', '--print-env'], {
        DATABASE_URL: 'sqlite::memory:',
      });
      assert.equal(result.status, 1);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, new RegExp(`/accounts/${ACCOUNT}/deployment_groups/0/name`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('an app without test mode serves the groups API exactly as before (no journal, no hooks)', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  const app = buildApp({
    config: {
      logLevel: 'silent',
      targetEnvironments: ['windows'],
      authFailureLimit: { limit: 60, windowSeconds: 60 },
    },
    store,
  });
  try {
    const response = await app.inject({ method: 'POST', url: '/ringmaster/v1/testing/reset' });
    assert.equal(response.statusCode, 404);
  } finally {
    await app.close();
    await store.close();
  }
});
