// The official `cloudflare` npm SDK, unchanged except for its base URL, drives the real server over a
// real socket: the proof that stock clients work (docs/contract.md, preamble).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import Cloudflare from 'cloudflare';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { callApi } from './support/api.ts';
import { assertCloudflareShape, checked } from './support/cloudflare-spec.ts';
import { rawExchange, rawRequest } from './support/raw-http.ts';
import { type RunningServer, runCli, startServer } from './support/server.ts';

const KEY_EMAIL = 'ops@example.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NANO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

let dir: string;
let env: Record<string, string>;
let server: RunningServer;
let operatorToken: string;
let apiKey: string;

/** Schema failures seen by checkedFetch; a throw inside fetch would reach the test as a connection error. */
const shapeFailures: string[] = [];

/** The SDK's fetch, with every 200 body it receives checked against Cloudflare's schema on the way. */
const checkedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.status === 200) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    try {
      assertCloudflareShape(init?.method ?? 'GET', url.pathname + url.search, await response.clone().json());
    } catch (error) {
      shapeFailures.push((error as Error).message);
    }
  }
  return response;
};

/** A client that authenticates only the way it is told to (never from CLOUDFLARE_* variables). */
function client(auth: { apiToken: string } | { apiKey: string; apiEmail: string }): Cloudflare {
  return new Cloudflare({
    apiToken: null,
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    ...auth,
    baseURL: server.baseUrl,
    maxRetries: 0,
    fetch: checkedFetch,
  });
}

const version = (v: string) => [{ target_environment: 'windows', version: v }];

/** Raw GET with the operator token (callApi checks its body against Cloudflare's schema). */
async function rawGet(path: string): Promise<any> {
  const response = await callApi(server.baseUrl, operatorToken, 'GET', path);
  assert.equal(response.status, 200);
  return response.body;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringmaster-sdk-'));
  env = { DATABASE_URL: `sqlite:${join(dir, 'x.db')}` };
  server = await startServer(env);
  assert.ok(server.operatorToken, 'the first start prints an operator token');
  operatorToken = server.operatorToken;
  const created = runCli(['keys', 'create', '--email', KEY_EMAIL, '--account', ACCOUNT], env);
  assert.equal(created.status, 0, created.stderr);
  apiKey = created.stdout.trim();
  assert.match(apiKey, /^rmk_[A-Za-z0-9_-]{43,}$/);
});

afterEach(() => {
  assert.deepEqual(shapeFailures.splice(0), [], 'every 200 the SDK received matches Cloudflare’s schema');
});

after(async () => {
  // Stop the child first: a failed assertion must not leave it running (and the test process waiting).
  const exitCode = server ? await server.stop() : 0;
  rmSync(dir, { recursive: true, force: true });
  assert.equal(exitCode, 0);
  assert.ok(checked.count > 30, `only ${checked.count} responses were schema-checked`);
});

const credentialKinds = [
  { kind: 'an API token', make: () => client({ apiToken: operatorToken }) },
  { kind: 'a legacy API key and email', make: () => client({ apiKey, apiEmail: KEY_EMAIL }) },
];

for (const { kind, make } of credentialKinds) {
  test(`the SDK creates, lists, gets, edits and deletes a group with ${kind}`, async () => {
    const cf = make();
    const groups = cf.zeroTrust.devices.deploymentGroups;

    const created = await groups.create({
      account_id: ACCOUNT,
      name: `Ring 0 via ${kind}`,
      version_config: [
        { target_environment: 'windows', version: '2026.6.822.0' },
        { target_environment: 'macos', version: '2026.6.822.1' },
      ],
      policy_ids: [`policy-${kind.length}-a`],
    });
    assert.match(created.id, UUID);
    assert.equal(created.name, `Ring 0 via ${kind}`);
    assert.deepEqual(created.version_config, [
      { target_environment: 'windows', version: '2026.6.822.0' },
      { target_environment: 'macos', version: '2026.6.822.1' },
    ]);
    assert.deepEqual(created.policy_ids, [`policy-${kind.length}-a`]);
    assert.match(created.created_at, NANO_TIMESTAMP);
    assert.equal(created.updated_at, created.created_at);

    const fetched = await groups.get(created.id, { account_id: ACCOUNT });
    assert.deepEqual(fetched, created);

    const listed = [];
    for await (const group of groups.list({ account_id: ACCOUNT })) listed.push(group);
    assert.deepEqual(
      listed.find((g) => g.id === created.id),
      created,
    );

    const edited = await groups.edit(created.id, {
      account_id: ACCOUNT,
      name: `Ring 1 via ${kind}`,
      version_config: version('2026.7.100.0'),
    });
    assert.equal(edited.id, created.id);
    assert.equal(edited.name, `Ring 1 via ${kind}`);
    assert.deepEqual(edited.version_config, version('2026.7.100.0'));
    assert.deepEqual(edited.policy_ids, created.policy_ids, 'fields not sent are kept');
    assert.equal(edited.created_at, created.created_at);
    assert.ok(edited.updated_at > created.updated_at, 'updated_at moves forward on a change');
    assert.deepEqual(await groups.get(created.id, { account_id: ACCOUNT }), edited);

    const deleted = await groups.delete(created.id, { account_id: ACCOUNT });
    assert.deepEqual(deleted, { id: created.id });
    await assert.rejects(groups.get(created.id, { account_id: ACCOUNT }), Cloudflare.NotFoundError);
    await assert.rejects(groups.delete(created.id, { account_id: ACCOUNT }), Cloudflare.NotFoundError);
  });
}

test('the raw list and get bodies the SDK consumes validate against Cloudflare’s schema', async () => {
  const groups = client({ apiToken: operatorToken }).zeroTrust.devices.deploymentGroups;
  const created = await groups.create({
    account_id: ACCOUNT,
    name: 'Schema check',
    version_config: [{ target_environment: null, version: '2026.6.822.0' }],
  });
  const list = await rawGet(`/accounts/${ACCOUNT}/devices/deployment-groups?per_page=100`);
  assert.ok(list.result.some((g: { id: string }) => g.id === created.id));
  const single = await rawGet(`/accounts/${ACCOUNT}/devices/deployment-groups/${created.id}`);
  assert.deepEqual(single.result, created);
  await groups.delete(created.id, { account_id: ACCOUNT });
});

test('a legacy API key is refused for an account it was not granted', async () => {
  const groups = client({ apiKey, apiEmail: KEY_EMAIL }).zeroTrust.devices.deploymentGroups;
  const error = await groups.list({ account_id: OTHER_ACCOUNT }).catch((e: unknown) => e);
  assert.ok(error instanceof Cloudflare.PermissionDeniedError);
  assert.equal(error.errors[0]?.code, 10000);
});

test('a legacy API key with the wrong email is refused as an invalid credential', async () => {
  const groups = client({ apiKey, apiEmail: 'someone-else@example.com' }).zeroTrust.devices.deploymentGroups;
  const error = await groups.list({ account_id: ACCOUNT }).catch((e: unknown) => e);
  assert.ok(error instanceof Cloudflare.PermissionDeniedError);
  assert.equal(error.errors[0]?.code, 9109);
});

describe('auto-pagination', () => {
  const PAGED_ACCOUNT = '11111111111111111111111111111111';

  test('the SDK’s auto-pagination returns every group exactly once, in created order', async () => {
    const cf = client({ apiToken: operatorToken });
    const groups = cf.zeroTrust.devices.deploymentGroups;
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const group = await groups.create({
        account_id: PAGED_ACCOUNT,
        name: `Paged ${i}`,
        version_config: version('2026.6.822.0'),
      });
      created.push(group.id);
    }

    const seen: string[] = [];
    for await (const group of groups.list({ account_id: PAGED_ACCOUNT, per_page: 2 })) seen.push(group.id);
    assert.deepEqual(seen, created);

    const firstPage = await groups.list({ account_id: PAGED_ACCOUNT, per_page: 2 });
    assert.deepEqual(firstPage.result_info, {
      page: 1,
      per_page: 2,
      count: 2,
      total_count: 7,
      total_pages: 4,
    });
    let pages = 1;
    let page = firstPage;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      pages++;
    }
    // Four full-or-partial pages, then the empty page that stops every official SDK.
    assert.equal(pages, 5);
    assert.deepEqual(page.result, []);

    const raw = await rawGet(`/accounts/${PAGED_ACCOUNT}/devices/deployment-groups?per_page=2&page=4`);
    assert.deepEqual(raw.result_info, { page: 4, per_page: 2, count: 1, total_count: 7, total_pages: 4 });
  });
});

test('a policy conflict surfaces as Cloudflare.ConflictError naming the conflicting policy and owner', async () => {
  const groups = client({ apiToken: operatorToken }).zeroTrust.devices.deploymentGroups;
  const owner = await groups.create({
    account_id: ACCOUNT,
    name: 'Owner',
    version_config: version('2026.6.822.0'),
    policy_ids: ['sdk-conflict-a', 'sdk-conflict-b'],
  });

  const onCreate = await groups
    .create({
      account_id: ACCOUNT,
      name: 'Claimant',
      version_config: version('2026.6.822.0'),
      policy_ids: ['sdk-free', 'sdk-conflict-b'],
    })
    .catch((e: unknown) => e);
  assert.ok(onCreate instanceof Cloudflare.ConflictError, `expected ConflictError, got ${onCreate}`);
  assert.equal(onCreate.status, 409);
  assert.equal(onCreate.headers.get('x-should-retry'), 'false');
  assert.equal(onCreate.errors.length, 1);
  const [conflict] = onCreate.errors as unknown as {
    code: number;
    message: string;
    source: { pointer: string };
  }[];
  assert.equal(conflict?.code, 2004);
  assert.match(conflict?.message ?? '', /sdk-conflict-b/);
  assert.match(conflict?.message ?? '', new RegExp(owner.id));
  assert.deepEqual(conflict?.source, { pointer: '/policy_ids/1' });

  // Nothing was created: the free policy is still free.
  const free = await groups.create({
    account_id: ACCOUNT,
    name: 'Takes the free policy',
    version_config: version('2026.6.822.0'),
    policy_ids: ['sdk-free'],
  });

  const onEdit = await groups
    .edit(free.id, { account_id: ACCOUNT, name: 'Renamed', policy_ids: ['sdk-free', 'sdk-conflict-a'] })
    .catch((e: unknown) => e);
  assert.ok(onEdit instanceof Cloudflare.ConflictError);
  assert.match(JSON.stringify(onEdit.errors), /sdk-conflict-a/);
  assert.deepEqual(await groups.get(free.id, { account_id: ACCOUNT }), free, 'a 409 changes nothing');

  await groups.delete(owner.id, { account_id: ACCOUNT });
  await groups.delete(free.id, { account_id: ACCOUNT });
});

test('a missing group surfaces as Cloudflare.NotFoundError on get, edit and delete', async () => {
  const groups = client({ apiToken: operatorToken }).zeroTrust.devices.deploymentGroups;
  const missing = '00000000-0000-4000-8000-000000000000';
  for (const call of [
    () => groups.get(missing, { account_id: ACCOUNT }),
    () => groups.edit(missing, { account_id: ACCOUNT, name: 'x' }),
    () => groups.delete(missing, { account_id: ACCOUNT }),
  ]) {
    const error = await call().catch((e: unknown) => e);
    assert.ok(error instanceof Cloudflare.NotFoundError, `expected NotFoundError, got ${error}`);
    assert.equal(error.errors[0]?.code, 2002);
  }
});

test('policy_ids null and [] round-trip through the SDK unchanged', async () => {
  const groups = client({ apiToken: operatorToken }).zeroTrust.devices.deploymentGroups;
  const withoutPolicies = await groups.create({
    account_id: ACCOUNT,
    name: 'No policies',
    version_config: version('2026.6.822.0'),
  });
  assert.equal(withoutPolicies.policy_ids, null);
  assert.equal((await groups.get(withoutPolicies.id, { account_id: ACCOUNT })).policy_ids, null);

  const emptyPolicies = await groups.create({
    account_id: ACCOUNT,
    name: 'Empty policies',
    version_config: version('2026.6.822.0'),
    policy_ids: [],
  });
  assert.deepEqual(emptyPolicies.policy_ids, []);
  assert.deepEqual((await groups.get(emptyPolicies.id, { account_id: ACCOUNT })).policy_ids, []);

  const filled = await groups.edit(emptyPolicies.id, { account_id: ACCOUNT, policy_ids: ['sdk-roundtrip'] });
  assert.deepEqual(filled.policy_ids, ['sdk-roundtrip']);

  // The SDK's types say string[], but Terraform sends null to clear; the SDK passes it through.
  const cleared = await groups.edit(emptyPolicies.id, {
    account_id: ACCOUNT,
    policy_ids: null as unknown as string[],
  });
  assert.equal(cleared.policy_ids, null);
  assert.equal((await groups.get(emptyPolicies.id, { account_id: ACCOUNT })).policy_ids, null);

  const emptiedAgain = await groups.edit(withoutPolicies.id, { account_id: ACCOUNT, policy_ids: [] });
  assert.deepEqual(emptiedAgain.policy_ids, []);

  // The cleared policy is free again.
  const reclaimed = await groups.edit(withoutPolicies.id, {
    account_id: ACCOUNT,
    policy_ids: ['sdk-roundtrip'],
  });
  assert.deepEqual(reclaimed.policy_ids, ['sdk-roundtrip']);

  const raw = await rawGet(`/accounts/${ACCOUNT}/devices/deployment-groups/${emptyPolicies.id}`);
  assert.equal(raw.result.policy_ids, null, 'null is sent on the wire, not omitted');

  await groups.delete(withoutPolicies.id, { account_id: ACCOUNT });
  await groups.delete(emptyPolicies.id, { account_id: ACCOUNT });
});

// ---- what each official client puts on the wire ------------------------------------------------
// Read from the clients' sources (docs/security.md §10): cloudflare-python (src/cloudflare/_base_client.py,
// resources/zero_trust/devices/deployment_groups.py; httpx sends no Content-Length on a bodiless DELETE
// and Content-Length: 0 on a bodiless POST/PATCH), cloudflare-go (internal/requestconfig/requestconfig.go,
// zero_trust/devicedeploymentgroup.go; Terraform's resource sends its own JSON through the same client),
// cloudflare-typescript (src/client.ts, src/internal/utils/query.ts). None sends an idempotency header;
// all send their retry count; queries are `page=1&per_page=50`, arrays repeated, booleans `true`/`false`.

type Shape = {
  client: 'Python' | 'Go' | 'TypeScript';
  what: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The path below /client/v4, given the group the case works on. */
  path: (groupId: string) => string;
  body?: string;
  status: number;
};

const PYTHON_HEADERS: [string, string][] = [
  ['Accept', 'application/json'],
  ['Accept-Encoding', 'gzip, deflate'],
  ['Connection', 'keep-alive'],
  ['User-Agent', 'Cloudflare/Python 4.3.1'],
  ['X-Stainless-Lang', 'python'],
  ['X-Stainless-Package-Version', '4.3.1'],
  ['X-Stainless-OS', 'Linux'],
  ['X-Stainless-Arch', 'x64'],
  ['X-Stainless-Runtime', 'CPython'],
  ['X-Stainless-Runtime-Version', '3.12.3'],
  ['x-stainless-retry-count', '0'],
  ['x-stainless-read-timeout', '60.0'],
  ['API-Version', '2026-07-01'],
];
const GO_HEADERS: [string, string][] = [
  ['User-Agent', 'Cloudflare/Go 6.0.0'],
  ['Accept', 'application/json'],
  ['X-Stainless-Retry-Count', '0'],
  ['X-Stainless-Lang', 'go'],
  ['X-Stainless-Package-Version', '6.0.0'],
  ['X-Stainless-Os', 'Linux'],
  ['X-Stainless-Arch', 'x64'],
  ['X-Stainless-Runtime', 'go'],
  ['X-Stainless-Runtime-Version', 'go1.24.4'],
  ['Accept-Encoding', 'gzip'],
];
const TYPESCRIPT_HEADERS: [string, string][] = [
  ['accept', 'application/json'],
  ['user-agent', 'Cloudflare/JS 5.2.0'],
  ['api-version', '2026-07-01'],
  ['x-stainless-retry-count', '1'],
  ['x-stainless-timeout', '60'],
  ['x-stainless-lang', 'js'],
  ['x-stainless-package-version', '5.2.0'],
  ['x-stainless-os', 'Linux'],
  ['x-stainless-arch', 'x64'],
  ['x-stainless-runtime', 'node'],
  ['x-stainless-runtime-version', 'v20.20.2'],
  ['accept-language', '*'],
  ['sec-fetch-mode', 'cors'],
  ['accept-encoding', 'gzip, deflate'],
];
const CLIENT_HEADERS = { Python: PYTHON_HEADERS, Go: GO_HEADERS, TypeScript: TYPESCRIPT_HEADERS };

const collectionPath = `/accounts/${ACCOUNT}/devices/deployment-groups`;
const itemPath = (id: string) => `${collectionPath}/${id}`;
const SHAPES: Shape[] = [
  {
    client: 'Python',
    what: 'list with page and per_page',
    method: 'GET',
    path: () => `${collectionPath}?page=1&per_page=50`,
    status: 200,
  },
  {
    client: 'Python',
    what: 'create, JSON with spaces after separators',
    method: 'POST',
    path: () => collectionPath,
    body: '{"name": "Python ring", "version_config": [{"target_environment": "windows", "version": "2026.6.822.0"}]}',
    status: 200,
  },
  {
    client: 'Python',
    what: 'edit with no fields: {}',
    method: 'PATCH',
    path: itemPath,
    body: '{}',
    status: 200,
  },
  {
    client: 'Python',
    what: 'delete: Content-Type: application/json, no body, no Content-Length',
    method: 'DELETE',
    path: itemPath,
    status: 200,
  },
  { client: 'Python', what: 'delete again', method: 'DELETE', path: itemPath, status: 404 },
  {
    client: 'Go',
    what: 'list with page, per_page and extra repeated and boolean parameters',
    method: 'GET',
    path: () => `${collectionPath}?page=2&per_page=1&tag=a&tag=b&verbose=true`,
    status: 200,
  },
  {
    client: 'Go',
    what: 'create, & < > escaped as encoding/json does',
    method: 'POST',
    path: () => collectionPath,
    body: '{"name":"R\\u0026D \\u003cring\\u003e","version_config":[{"target_environment":"windows","version":"2026.6.822.0"}]}',
    status: 200,
  },
  {
    client: 'Go',
    what: 'edit with only the account: {}',
    method: 'PATCH',
    path: itemPath,
    body: '{}',
    status: 200,
  },
  {
    client: 'Go',
    what: 'Terraform update with policy_ids removed: null',
    method: 'PATCH',
    path: itemPath,
    body: '{"name":"Terraform ring","policy_ids":null,"version_config":[{"target_environment":null,"version":"2026.6.822.0"}]}',
    status: 200,
  },
  { client: 'Go', what: 'delete: no Content-Type, no body', method: 'DELETE', path: itemPath, status: 200 },
  { client: 'Go', what: 'delete again', method: 'DELETE', path: itemPath, status: 404 },
  {
    client: 'TypeScript',
    what: 'list on a retry',
    method: 'GET',
    path: () => `${collectionPath}?page=1&per_page=50`,
    status: 200,
  },
  {
    client: 'TypeScript',
    what: 'edit with no fields: {}',
    method: 'PATCH',
    path: itemPath,
    body: '{}',
    status: 200,
  },
  { client: 'TypeScript', what: 'delete: no body', method: 'DELETE', path: itemPath, status: 200 },
];

test('every request shape of the official clients is served, over a real socket', async () => {
  const port = Number(new URL(server.baseUrl).port);
  const groups = client({ apiToken: operatorToken }).zeroTrust.devices.deploymentGroups;
  const targets = new Map<string, string>();
  for (const shape of SHAPES) {
    if (!targets.has(shape.client)) {
      const group = await groups.create({
        account_id: ACCOUNT,
        name: `${shape.client} target`,
        version_config: version('2026.6.822.0'),
      });
      targets.set(shape.client, group.id);
    }
    const path = `/client/v4${shape.path(targets.get(shape.client)!)}`;
    const headers: [string, string][] = [
      ...CLIENT_HEADERS[shape.client],
      ['Authorization', `Bearer ${operatorToken}`],
      // Python's default Content-Type stays on every request but a GET; the others send one with a body.
      ...((shape.client === 'Python' ? shape.method !== 'GET' : shape.body !== undefined)
        ? ([['Content-Type', 'application/json']] as [string, string][])
        : []),
    ];
    const exchange = await rawExchange(
      port,
      rawRequest({ method: shape.method, path, headers, body: shape.body }),
      {
        endAfterMs: 50,
      },
    );
    const label = `${shape.client}: ${shape.what}`;
    assert.equal(exchange.responses.length, 1, `${label}: ${exchange.rest}`);
    const response = exchange.responses[0]!;
    assert.equal(response.status, shape.status, `${label}: ${response.body}`);
    const body = JSON.parse(response.body);
    if (shape.status === 200) assertCloudflareShape(shape.method, path, body);
    else assert.equal(body.errors[0].code, 2002, label);
    if (shape.body?.includes('u0026')) assert.equal(body.result.name, 'R&D <ring>');
    if (shape.body?.includes('"policy_ids":null')) assert.equal(body.result.policy_ids, null);
  }
});
