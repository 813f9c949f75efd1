// Cloudflare's two account audit-log routes (docs/contract.md §8.2), driven by the official `cloudflare` SDK
// over a real socket (`client.auditLogs.list`, version 1; `client.accounts.logs.audit.list`, version 2) and
// by raw requests for what the SDK cannot send. Every 200 is checked against Cloudflare's published schema.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Cloudflare from 'cloudflare';
import { COMMAND_LINE } from '../src/audit/context.ts';
import type { NewAuditEntry } from '../src/audit/model.ts';
import {
  ACCOUNT,
  createTestApp,
  groupsUrl,
  groupUrl,
  OTHER_ACCOUNT,
  type TestApp,
  validGroup,
} from './support/app.ts';
import { auditEntry, insertSqliteAuditEntries } from './support/audit.ts';
import { assertCloudflareShape, checked } from './support/cloudflare-spec.ts';

const V1 = (account = ACCOUNT) => `/client/v4/accounts/${account}/audit_logs`;
const V2 = (account = ACCOUNT) => `/client/v4/accounts/${account}/logs/audit`;
const JULY = { since: '2026-07-01', before: '2026-07-04' };
const KEY_EMAIL = 'ops@example.com';
const TOKEN_ID = 'a'.repeat(32);
const GROUP = '6f1c1b8e-7d0e-4f59-9a53-0b6d1e2f3a4b';

/** The fixture, in the order written: the name of each entry → the entry. */
const named: Record<string, NewAuditEntry> = {
  created: auditEntry({
    action: 'create',
    resource_id: GROUP,
    revision: 1,
    at: '2026-07-01T10:00:00.000000000Z',
    before: null,
    method: 'POST',
  }),
  keyUpdate: auditEntry({
    resource_id: GROUP,
    at: '2026-07-01T11:00:00.000000000Z',
    actor_id: 'b'.repeat(32),
    actor_name: null,
    actor_email: KEY_EMAIL,
    actor_ip: '192.168.0.7',
    ray_id: 'fedcba9876543210-LCL',
  }),
  otherAccount: auditEntry({ account_id: OTHER_ACCOUNT, at: '2026-07-01T11:30:00.000000000Z' }),
  allAccountsToken: auditEntry({
    account_id: null,
    action: 'create',
    resource_type: 'api_token',
    resource_id: 'c'.repeat(32),
    revision: null,
    ...COMMAND_LINE,
    before: null,
    after: { id: 'c'.repeat(32), name: 'operator', accounts: null, permission: 'write' },
    at: '2026-07-01T12:00:00.000000000Z',
  }),
  dashboardRevert: auditEntry({
    action: 'revert',
    resource_id: GROUP,
    interface: 'dashboard',
    actor_id: 'd'.repeat(32),
    actor_name: 'alice',
    // As a dual-stack listener sees an IPv4 client.
    actor_ip: '::ffff:10.9.9.9',
    at: '2026-07-02T09:00:00.000000000Z',
  }),
  rollout: auditEntry({
    resource_id: GROUP,
    ...COMMAND_LINE,
    interface: 'rollout',
    at: '2026-07-02T10:00:00.000000000Z',
  }),
  deleted: auditEntry({
    action: 'delete',
    resource_id: GROUP,
    method: 'DELETE',
    after: null,
    at: '2026-07-03T08:00:00.000000000Z',
  }),
  sharedKey: auditEntry({
    action: 'create',
    resource_type: 'api_key',
    resource_id: 'e'.repeat(32),
    revision: null,
    ...COMMAND_LINE,
    before: null,
    after: { id: 'e'.repeat(32), email: KEY_EMAIL, accounts: [ACCOUNT, OTHER_ACCOUNT], permission: 'read' },
    at: '2026-07-03T09:00:00.000000000Z',
  }),
};
const nameOf = new Map(Object.entries(named).map(([name, entry]) => [entry.id, name]));
const v2Name = (id: string) => nameOf.get(id.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'));

/** 250 changes on one day in August, a minute apart, for paging. */
const AUGUST = Array.from({ length: 250 }, (_, i) =>
  auditEntry({
    at: `2026-08-01T${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00.000000000Z`,
  }),
);

let t: TestApp;
let baseURL: string;
const shapeFailures: string[] = [];

/** The SDK's fetch, checking every 200 against Cloudflare's schema and counting requests. */
const requests: string[] = [];
const checkedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  requests.push(url.pathname + url.search);
  if (response.status === 200) {
    try {
      assertCloudflareShape('GET', url.pathname + url.search, await response.clone().json());
    } catch (error) {
      shapeFailures.push((error as Error).message);
    }
  }
  return response;
};

function sdk(apiToken = t.secrets.reader): Cloudflare {
  return new Cloudflare({
    apiToken,
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL,
    maxRetries: 0,
    fetch: checkedFetch,
  });
}

before(async () => {
  t = await createTestApp();
  insertSqliteAuditEntries(join(t.dir, 'test.db'), [...Object.values(named), ...AUGUST]);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  assert.ok(address && typeof address === 'object');
  baseURL = `http://127.0.0.1:${address.port}/client/v4`;
});

after(async () => {
  assert.deepEqual(shapeFailures, [], 'every 200 matches Cloudflare’s schema');
  await t.close();
});

async function v2Names(params: Record<string, unknown>): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of sdk().accounts.logs.audit.list({
    account_id: ACCOUNT,
    ...JULY,
    ...params,
  } as never)) {
    names.push(v2Name(entry.id as string) ?? `unknown ${entry.id}`);
  }
  return names;
}

async function v1Names(params: Record<string, unknown>): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of sdk().auditLogs.list({ account_id: ACCOUNT, ...JULY, ...params } as never)) {
    names.push(nameOf.get(entry.id as string) ?? `unknown ${entry.id}`);
  }
  return names;
}

const NEWEST_FIRST = [
  'sharedKey',
  'deleted',
  'rollout',
  'dashboardRevert',
  'allAccountsToken',
  'keyUpdate',
  'created',
];

describe('version 2 through the SDK', () => {
  test('lists the account’s entries newest first, and oldest first with direction=asc', async () => {
    assert.deepEqual(await v2Names({}), NEWEST_FIRST);
    assert.deepEqual(await v2Names({ direction: 'asc' }), [...NEWEST_FIRST].reverse());
  });

  test('auto-pagination follows result_info.cursors.after and ends without an extra request', async () => {
    requests.length = 0;
    const seen: string[] = [];
    const list = sdk().accounts.logs.audit.list({
      account_id: ACCOUNT,
      since: '2026-08-01',
      before: '2026-08-02',
      limit: 7,
    });
    for await (const entry of list) seen.push(entry.action?.time as string);
    assert.equal(seen.length, 250);
    assert.deepEqual(seen, AUGUST.map((entry) => entry.at).reverse());
    assert.equal(requests.length, Math.ceil(250 / 7));
  });

  test('the SDK’s exclusions (`<filter>.not`, repeated) leave entries out', async () => {
    assert.deepEqual(
      await v2Names({ actor_email: { not: [KEY_EMAIL] } }),
      NEWEST_FIRST.filter((n) => n !== 'keyUpdate'),
    );
    assert.deepEqual(await v2Names({ action_type: { not: ['update', 'create'] } }), ['deleted']);
    assert.deepEqual(
      await v2Names({ resource_scope: { not: ['user'] } }),
      NEWEST_FIRST.filter((n) => n !== 'allAccountsToken'),
    );
    assert.deepEqual(await v2Names({ actor_context: { not: ['dash', 'api_token'] } }), [
      'sharedKey',
      'rollout',
      'allAccountsToken',
      'keyUpdate',
    ]);
    assert.deepEqual(
      await v2Names({ id: { not: [named.created?.id, named.deleted?.id.replaceAll('-', '')] } }),
      NEWEST_FIRST.filter((n) => n !== 'created' && n !== 'deleted'),
    );
  });

  test('product_category expands to products and is unioned with resource_product', async () => {
    assert.deepEqual(await v2Names({ product_category: ['IAM'] }), ['sharedKey', 'allAccountsToken']);
    assert.deepEqual(
      await v2Names({ product_category: ['zerotrust'], resource_product: ['api_keys'] } as never),
      ['sharedKey', 'deleted', 'rollout', 'dashboardRevert', 'keyUpdate', 'created'],
    );
  });
});

/** A raw GET with the read-only token; the body of a 200 (checked against Cloudflare's schema). */
async function get(url: string, token = t.secrets.reader) {
  const response = await t.request({ url, token });
  return response;
}

async function rawV2Names(query: string): Promise<string[]> {
  const response = await get(`${V2()}?since=2026-07-01&before=2026-07-04&${query}`);
  assert.equal(response.statusCode, 200, response.body);
  return response.json().result.map((entry: { id: string }) => v2Name(entry.id));
}

describe('version 2 filters as the spec writes them', () => {
  test('a positive filter keeps only its values; repeated means any of them', async () => {
    assert.deepEqual(await rawV2Names('actor_email=OPS@example.com'), ['keyUpdate']);
    assert.deepEqual(await rawV2Names('actor_type=system'), ['rollout']);
    assert.deepEqual(await rawV2Names('actor_type=cloudflare_admin'), ['sharedKey', 'allAccountsToken']);
    assert.deepEqual(await rawV2Names('action_type=create&action_type=delete'), [
      'sharedKey',
      'deleted',
      'allAccountsToken',
      'created',
    ]);
    assert.deepEqual(await rawV2Names('actor_context=api_key'), ['keyUpdate']);
    assert.deepEqual(await rawV2Names(`actor_token_id=${TOKEN_ID}`), ['deleted', 'created']);
    assert.deepEqual(await rawV2Names('actor_token_name=alice'), [], 'the dashboard is not a token context');
    assert.deepEqual(await rawV2Names('raw_cf_ray_id=fedcba9876543210'), ['keyUpdate']);
    assert.deepEqual(await rawV2Names('raw_cf_ray_id=fedcba9876543210-LCL'), ['keyUpdate']);
    assert.deepEqual(await rawV2Names('raw_method=delete'), ['deleted']);
    assert.deepEqual(
      await rawV2Names('raw_status_code=200&resource_type=deployment_group&actor_ip_address=10.9.9.9'),
      ['dashboardRevert'],
    );
    assert.deepEqual(await rawV2Names(`resource_id=${GROUP}&action_result=success`), [
      'deleted',
      'rollout',
      'dashboardRevert',
      'keyUpdate',
      'created',
    ]);
    assert.deepEqual(await rawV2Names('action_result=failure'), []);
    assert.deepEqual(await rawV2Names('zone_name=example.com'), []);
    assert.deepEqual(
      await rawV2Names('zone_name.not=example.com&account_name.not=x').then((n) => n.length),
      NEWEST_FIRST.length,
    );
  });

  test('since is inclusive, before exclusive, and date-times may carry offsets', async () => {
    const response = await get(`${V2()}?since=2026-07-02T09:00:00Z&before=2026-07-03T10:00:00%2B01:00`);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(
      response.json().result.map((e: { id: string }) => v2Name(e.id)),
      ['deleted', 'rollout', 'dashboardRevert'],
    );
  });

  test('a window before 1970 is a window, not a mistake: it is empty (found by the fuzzer)', async () => {
    for (const window of [
      'since=1960-01-01&before=1965-01-01',
      'since=1969-12-31T23:59:59Z&before=1970-01-01T00:00:00Z',
      // Years 1–99 are years too (Date.UTC would read them as 1901–1999).
      'since=0050-01-01&before=0060-01-01',
    ]) {
      for (const url of [`${V2()}?${window}`, `${V1()}?${window}`]) {
        const response = await get(url);
        assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
        assert.deepEqual(response.json().result, []);
      }
    }
  });

  test('RFC 3339 lets t and z be lowercase: such a date-time is one (found by the fuzzer)', async () => {
    const response = await get(`${V2()}?since=2026-07-02t09:00:00z&before=2026-07-03t10:00:00%2B01:00`);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().result.length, 3);
    const v1 = await get(`${V1()}?since=2026-07-02t09:00:00z&before=2026-07-03T09:00:00Z`);
    assert.equal(v1.statusCode, 200, v1.body);
  });
});

describe('version 1 through the SDK', () => {
  test('pages by number, newest first, and auto-pagination ends on the empty page', async () => {
    requests.length = 0;
    const all: string[] = [];
    const list = sdk().auditLogs.list({
      account_id: ACCOUNT,
      since: '2026-07-01',
      before: '2026-09-01',
      per_page: 40,
    });
    for await (const entry of list) all.push(entry.when as string);
    assert.equal(all.length, 7 + 250);
    assert.deepEqual(all, [...all].sort().reverse());
    assert.equal(requests.length, Math.ceil(257 / 40) + 1, 'one request more: the empty page');
    assert.deepEqual(await v1Names({}), NEWEST_FIRST);
    assert.deepEqual(await v1Names({ direction: 'asc' }), [...NEWEST_FIRST].reverse());
  });

  test('filters by action type, actor email, actor IP or CIDR range, id, and hides user-level logs', async () => {
    assert.deepEqual(await v1Names({ action: { type: 'revert' } }), ['dashboardRevert']);
    assert.deepEqual(await v1Names({ actor: { email: 'Ops@Example.com' } }), ['keyUpdate']);
    assert.deepEqual(await v1Names({ actor: { ip: '10.0.0.0/8' } }), [
      'deleted',
      'dashboardRevert',
      'created',
    ]);
    assert.deepEqual(await v1Names({ actor: { ip: '192.168.0.7' } }), ['keyUpdate']);
    assert.deepEqual(
      await v1Names({ actor: { ip: '10.9.9.9' } }),
      ['dashboardRevert'],
      'stored as ::ffff:10.9.9.9',
    );
    assert.deepEqual(await v1Names({ id: named.rollout?.id.replaceAll('-', '') }), ['rollout']);
    assert.deepEqual(
      await v1Names({ hide_user_logs: true }),
      NEWEST_FIRST.filter((n) => n !== 'allAccountsToken'),
    );
    assert.deepEqual(await v1Names({ zone: { name: 'example.com' } }), []);
    assert.deepEqual(await v1Names({ since: '2026-07-02', before: '2026-07-03' }), [
      'rollout',
      'dashboardRevert',
    ]);
  });
});

describe('entries in Cloudflare’s shapes', () => {
  test('version 1: actor, action, resource, values before and after, owner, when', async () => {
    const response = await get(`${V1()}?per_page=1000`);
    const byName = new Map(response.json().result.map((e: { id: string }) => [nameOf.get(e.id), e]));
    assert.deepEqual(byName.get('keyUpdate'), {
      id: named.keyUpdate?.id,
      action: { result: true, type: 'update' },
      actor: { email: KEY_EMAIL, id: 'b'.repeat(32), ip: '192.168.0.7', type: 'user' },
      interface: 'API',
      metadata: {
        revision: 2,
        ray_id: 'fedcba9876543210',
        method: 'PATCH',
        uri: named.keyUpdate?.uri,
        status_code: 200,
        user_agent: 'test',
      },
      newValue: '{"name":"after"}',
      oldValue: '{"name":"before"}',
      owner: { id: ACCOUNT },
      resource: { id: GROUP, type: 'deployment_group' },
      when: '2026-07-01T11:00:00.000000000Z',
    });
    assert.deepEqual((byName.get('rollout') as { actor: unknown }).actor, { type: 'Cloudflare' });
    assert.deepEqual((byName.get('allAccountsToken') as { actor: unknown }).actor, { type: 'admin' });
    assert.equal((byName.get('allAccountsToken') as { owner?: unknown }).owner, undefined);
    assert.equal((byName.get('dashboardRevert') as { actor: { ip: string } }).actor.ip, '10.9.9.9');
  });

  test('version 2: a 32-digit id, the token actor, raw request, product and scope', async () => {
    const response = await get(`${V2()}?since=2026-07-01&before=2026-07-04&id=${named.created?.id}`);
    const [entry] = response.json().result;
    assert.deepEqual(entry, {
      id: named.created?.id.replaceAll('-', ''),
      account: { id: ACCOUNT },
      action: {
        description: 'Create deployment group',
        result: 'success',
        time: named.created?.at,
        type: 'create',
      },
      actor: {
        context: 'api_token',
        id: TOKEN_ID,
        ip_address: '10.1.2.3',
        token_id: TOKEN_ID,
        token_name: 'ci',
        type: 'user',
      },
      raw: {
        cf_ray_id: '0123456789abcdef',
        method: 'POST',
        status_code: 200,
        uri: named.created?.uri,
        user_agent: 'test',
      },
      resource: {
        id: GROUP,
        product: 'devices',
        response: { name: 'after' },
        scope: 'accounts',
        type: 'deployment_group',
      },
    });
  });

  test('a credential shared with another account names only the account asking', async () => {
    for (const url of [`${V1()}?per_page=1000`, `${V2()}?since=2026-07-01&before=2026-07-04`]) {
      const response = await get(url);
      assert.equal(response.statusCode, 200);
      assert.ok(!response.body.includes(OTHER_ACCOUNT), `${url} shows nothing of the other account`);
    }
  });

  test('another account sees its own entry and the all-accounts credential, nothing of this account', async () => {
    const response = await get(
      `${V2(OTHER_ACCOUNT)}?since=2026-07-01&before=2026-07-04`,
      t.secrets.otherWriter,
    );
    assert.equal(response.statusCode, 200, response.body);
    const names = response.json().result.map((e: { id: string }) => v2Name(e.id));
    // The key shared with it was written under each account it grants; this fixture wrote only ACCOUNT's.
    assert.deepEqual(names, ['allAccountsToken', 'otherAccount']);
    assert.ok(!response.body.includes(`"${ACCOUNT}"`));
  });

  test('the schema check ran', () => assert.ok(checked.count > 0));
});

describe('validation: every problem, each named by its parameter', () => {
  async function problems(url: string): Promise<[string, string][]> {
    const response = await get(url);
    assert.equal(response.statusCode, 400, response.body);
    return response
      .json()
      .errors.map((e: { code: number; message: string; source: { parameter: string } }) => {
        assert.equal(e.code, 2001);
        return [e.source.parameter, e.message];
      });
  }

  test('version 2: since and before are required', async () => {
    assert.deepEqual(await problems(V2()), [
      ['since', 'since is required'],
      ['before', 'before is required'],
    ]);
  });

  test('version 2: bad dates, unknown enum values, non-decimal status codes, bad cursor and limit', async () => {
    const found = await problems(
      `${V2()}?since=2026-02-30&before=yesterday&action_type=created&actor_context.not=dash&actor_context.not=sms` +
        '&raw_status_code=0x1F4&limit=1001&direction=up&cursor=bm9wZQ&product_category=zerotrust&product_category=nope&actor_email=not-an-email',
    );
    assert.deepEqual(found.map(([parameter]) => parameter).sort(), [
      'action_type',
      'actor_context.not',
      'actor_email',
      'before',
      'direction',
      'limit',
      'raw_status_code',
      'since',
    ]);
    assert.ok(
      found.some(([, message]) => /actor_context\.not\[1\] must be one of/.test(message)),
      JSON.stringify(found),
    );
  });

  test('version 2: what the schema cannot say — an unknown product category, a cursor from elsewhere, an empty window', async () => {
    assert.deepEqual(
      await problems(`${V2()}?since=2026-07-04&before=2026-07-01&cursor=bm9wZQ&product_category=nope`),
      [
        ['before', 'before must be later than since'],
        ['cursor', 'cursor must be result_info.cursor of an earlier page'],
        ['product_category', 'product_category[0] must be one of zerotrust, iam'],
      ],
    );
  });

  test('version 1: bad page, per_page, dates, booleans, direction and actor.ip', async () => {
    const found = await problems(
      `${V1()}?page=0&per_page=1001&since=2026-13-01&before=2026-07-01T25:00:00Z&export=maybe&hide_user_logs=2&direction=sideways&actor.ip=10.0.0.0/33`,
    );
    assert.deepEqual(found.map(([parameter]) => parameter).sort(), [
      'before',
      'direction',
      'export',
      'hide_user_logs',
      'page',
      'per_page',
      'since',
    ]);
    assert.deepEqual(await problems(`${V1()}?actor.ip=10.0.0.0/33`), [
      ['actor.ip', 'actor.ip must be an IP address or a CIDR range (10.0.0.0/8)'],
    ]);
  });

  test('a parameter that takes one value, sent twice, is refused', async () => {
    assert.deepEqual(
      (await problems(`${V1()}?direction=asc&direction=desc`)).map(([p]) => p),
      ['direction'],
    );
  });
});

describe('end to end: the changes the API and the CLI make are listed', () => {
  const hourAround = () => ({
    since: new Date(Date.now() - 3_600_000).toISOString(),
    before: new Date(Date.now() + 3_600_000).toISOString(),
  });

  test('a PATCH through the API: its credential, address, ray id, and the group before and after', async () => {
    const created = await t.request({
      method: 'POST',
      url: groupsUrl(),
      token: t.secrets.writer,
      body: validGroup({ name: 'e2e' }),
    });
    assert.equal(created.statusCode, 200, created.body);
    const group = created.json().result;
    const patched = await t.request({
      method: 'PATCH',
      url: groupUrl(group.id),
      token: t.secrets.writer,
      body: { name: 'e2e renamed' },
      headers: { 'user-agent': 'e2e-agent' },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const ray = String(patched.headers['cf-ray']);
    const { since, before } = hourAround();
    const found: Record<string, any>[] = [];
    const list = sdk().accounts.logs.audit.list({
      account_id: ACCOUNT,
      since,
      before,
      resource_id: [group.id],
    } as never);
    for await (const entry of list) found.push(entry);
    assert.deepEqual(
      found.map((e) => e.action.type),
      ['update', 'create'],
    );
    const [update] = found;
    assert.equal(update?.raw.cf_ray_id, ray.slice(0, 16));
    assert.equal(update?.raw.method, 'PATCH');
    assert.equal(update?.raw.user_agent, 'e2e-agent');
    assert.equal(update?.actor.context, 'api_token');
    assert.equal(update?.actor.type, 'user');
    assert.equal(update?.resource.response.name, 'e2e renamed');
    const v1 = await get(`${V1()}?since=${since}&before=${before}&action.type=update`);
    const [entry] = v1.json().result.filter((e: { resource: { id: string } }) => e.resource.id === group.id);
    assert.equal(JSON.parse(entry.oldValue).name, 'e2e');
    assert.equal(JSON.parse(entry.newValue).name, 'e2e renamed');
  });

  test('a credential granting every account is in every account’s log, in user scope', async () => {
    const { since, before } = hourAround();
    for (const [account, token] of [
      [ACCOUNT, t.secrets.reader],
      [OTHER_ACCOUNT, t.secrets.otherWriter],
    ] as const) {
      const response = await get(
        `${V2(account)}?since=${since}&before=${before}&product_category=iam&resource_scope=user`,
        token,
      );
      assert.equal(response.statusCode, 200, response.body);
      // The test app's all-accounts credentials (the admin token among them), created at the command line.
      const unscoped: Record<string, any>[] = response.json().result;
      assert.ok(unscoped.length > 0);
      for (const entry of unscoped) {
        assert.equal(entry.resource.type, 'api_token');
        assert.equal(entry.resource.response.accounts, null);
        assert.equal(entry.actor.type, 'cloudflare_admin');
        assert.equal(entry.account, undefined);
      }
      const hidden = await get(
        `${V1(account)}?since=${since}&before=${before}&hide_user_logs=true&per_page=1000`,
        token,
      );
      const ids = new Set(unscoped.map((entry) => entry.resource.id));
      assert.ok(!hidden.json().result.some((e: { resource: { id: string } }) => ids.has(e.resource.id)));
    }
  });
});

test('a read-only token suffices; a token of another account is refused', async () => {
  assert.equal((await get(`${V1()}`, t.secrets.reader)).statusCode, 200);
  assert.equal((await get(`${V1()}`, t.secrets.otherWriter)).statusCode, 403);
});
