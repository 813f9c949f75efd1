// The Deployment Groups API, row by row of docs/contract.md §1–§5 and §7, driven in-process over the real app
// and a real SQLite file. Every 200 here is also checked against Cloudflare's published schema.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ACCOUNT,
  createTestApp,
  groupsUrl,
  groupUrl,
  OTHER_ACCOUNT,
  type TestApp,
  validGroup,
} from './support/app.ts';
import { checked } from './support/cloudflare-spec.ts';
import { CF_RAY } from './support/envelope.ts';

const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

/** Creates a group in `account` (admin token) and returns it. */
async function create(overrides: Record<string, unknown> = {}, account = ACCOUNT) {
  const response = await t.request({ method: 'POST', url: groupsUrl(account), body: validGroup(overrides) });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().result;
}

function errorsOf(response: { json(): any }) {
  const body = response.json();
  assert.equal(body.success, false);
  assert.deepEqual(body.messages, []);
  assert.equal(body.result, null);
  return body.errors as {
    code: number;
    message: string;
    source?: { pointer?: string; parameter?: string };
  }[];
}

function pointersOf(response: { json(): any }) {
  return errorsOf(response).map((e) => e.source?.pointer);
}

describe('create', () => {
  test('returns 200 with the new group in the success envelope', async () => {
    const response = await t.request({
      method: 'POST',
      url: groupsUrl(),
      body: validGroup({ policy_ids: ['p-create-1', 'p-create-2'] }),
    });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^application\/json/);
    const body = response.json();
    assert.equal(body.success, true);
    assert.deepEqual(body.errors, []);
    assert.deepEqual(body.messages, []);
    const group = body.result;
    assert.match(group.id, UUID);
    assert.equal(group.name, 'Engineering Ring 0');
    assert.deepEqual(group.version_config, [{ target_environment: 'windows', version: '2026.6.822.0' }]);
    assert.deepEqual(group.policy_ids, ['p-create-1', 'p-create-2']);
    assert.match(group.created_at, RFC3339_NANO);
    assert.equal(group.updated_at, group.created_at);
  });

  test('stores policy_ids as null when omitted and as [] only when [] was sent', async () => {
    assert.equal((await create()).policy_ids, null);
    assert.equal((await create({ policy_ids: null })).policy_ids, null);
    assert.deepEqual((await create({ policy_ids: [] })).policy_ids, []);
  });

  test('keeps version_config in the order the client sent it', async () => {
    const versionConfig = [
      { version: '2026.5.1.1', target_environment: 'macos' },
      { target_environment: null, version: '2026.4.2.0' },
      { target_environment: 'windows', version: '2026.6.822.0' },
    ];
    const group = await create({ version_config: versionConfig });
    assert.deepEqual(
      group.version_config,
      versionConfig.map(({ target_environment, version }) => ({ target_environment, version })),
    );
    const fetched = (await t.request({ url: groupUrl(group.id) })).json().result;
    assert.deepEqual(fetched, group);
  });

  test('ignores read-only fields in the body', async () => {
    const group = await create({
      id: '00000000-0000-4000-8000-000000000000',
      created_at: '2000-01-01T00:00:00.000000000Z',
      updated_at: 'whatever',
    });
    assert.notEqual(group.id, '00000000-0000-4000-8000-000000000000');
    assert.notEqual(group.created_at, '2000-01-01T00:00:00.000000000Z');
  });

  test('requires name and version_config', async () => {
    const response = await t.request({ method: 'POST', url: groupsUrl(), body: {} });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(pointersOf(response), ['/name', '/version_config']);
    assert.ok(errorsOf(response).every((e) => e.code === 2001));
  });
});

describe('validation', () => {
  async function violations(body: unknown, method: 'POST' | 'PATCH' = 'POST', url = groupsUrl()) {
    const response = await t.request({ method, url, body });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.headers['x-should-retry'], 'false');
    return errorsOf(response);
  }

  test('reports every violation, each with its own pointer', async () => {
    const errors = await violations({
      name: '   ',
      version_config: [
        { target_environment: 'linux', version: '2026.6.822.0' },
        { target_environment: 'windows', version: '2026.13.1.0' },
        { target_environment: 'windows', version: '2026.6.1.0' },
      ],
      policy_ids: ['ok', 'has space', 'ok'],
      policy_id: ['typo'],
    });
    assert.deepEqual(errors.map((e) => e.source?.pointer).sort(), [
      '/name',
      '/policy_id',
      '/policy_ids/1',
      '/policy_ids/2',
      '/version_config/0/target_environment',
      '/version_config/1/version',
      '/version_config/2/target_environment',
    ]);
    assert.ok(errors.every((e) => e.code === 2001 && e.message.length > 0));
    assert.match(errors.find((e) => e.source?.pointer === '/policy_id')?.message ?? '', /policy_id/);
  });

  test('counts name length in Unicode code points, not UTF-16 units', async () => {
    const emoji = '😀';
    const group = await create({ name: emoji.repeat(255) });
    assert.equal([...group.name].length, 255);
    const errors = await violations(validGroup({ name: emoji.repeat(256) }));
    assert.deepEqual(
      errors.map((e) => e.source?.pointer),
      ['/name'],
    );
  });

  test('rejects names that are empty, blank or contain control characters', async () => {
    for (const name of ['', ' \t ', 'tab\there', 'line\nbreak', 'nul\u0000', 'lone \ud800 surrogate']) {
      const errors = await violations(validGroup({ name }));
      assert.deepEqual(
        errors.map((e) => e.source?.pointer),
        ['/name'],
        JSON.stringify(name),
      );
    }
  });

  test('does not coerce types', async () => {
    const errors = await violations({ name: 123, version_config: { target_environment: 'windows' } });
    assert.deepEqual(
      errors.map((e) => e.source?.pointer),
      ['/name', '/version_config'],
    );
  });

  test('accepts version strings of the form YYYY.M.BUILD.TRACK only', async () => {
    for (const version of ['2026.6.822.0', '2026.12.1.1', '2025.1.0.0']) {
      await create({ version_config: [{ target_environment: 'windows', version }] });
    }
    for (const version of ['2026.0.1.0', '2026.13.1.0', '26.6.822.0', '2026.6.822', 'v2026.6.822.0', '']) {
      const errors = await violations(
        validGroup({ version_config: [{ target_environment: 'windows', version }] }),
      );
      assert.deepEqual(
        errors.map((e) => e.source?.pointer),
        ['/version_config/0/version'],
        version,
      );
    }
  });

  test('requires target_environment, which may be null but not unknown', async () => {
    await create({ version_config: [{ target_environment: null, version: '2026.6.822.0' }] });
    const missing = await violations(validGroup({ version_config: [{ version: '2026.6.822.0' }] }));
    assert.deepEqual(
      missing.map((e) => e.source?.pointer),
      ['/version_config/0/target_environment'],
    );
    const unknown = await violations(
      validGroup({ version_config: [{ target_environment: 'android', version: '2026.6.822.0' }] }),
    );
    assert.match(unknown[0]?.message ?? '', /windows.*macos/);
  });

  test('allows each target_environment at most once per group', async () => {
    const errors = await violations(
      validGroup({
        version_config: [
          { target_environment: null, version: '2026.6.822.0' },
          { target_environment: null, version: '2026.6.823.0' },
        ],
      }),
    );
    assert.deepEqual(
      errors.map((e) => e.source?.pointer),
      ['/version_config/1/target_environment'],
    );
  });

  test('limits version_config to 1–16 entries and policy_ids to 1000 entries of 1–36 characters', async () => {
    assert.deepEqual(
      (await violations(validGroup({ version_config: [] }))).map((e) => e.source?.pointer),
      ['/version_config'],
    );
    const tooMany = Array.from({ length: 17 }, (_, i) => ({
      target_environment: null,
      version: `2026.1.${i}.0`,
    }));
    assert.deepEqual(
      (await violations(validGroup({ version_config: tooMany }))).map((e) => e.source?.pointer).slice(0, 1),
      ['/version_config'],
    );
    const ids = Array.from({ length: 1001 }, (_, i) => `limit-${i}`);
    assert.deepEqual(
      (await violations(validGroup({ policy_ids: ids }))).map((e) => e.source?.pointer),
      ['/policy_ids'],
    );
    const group = await create({ policy_ids: ids.slice(0, 1000) });
    assert.equal(group.policy_ids.length, 1000);
    assert.deepEqual(
      (await violations(validGroup({ policy_ids: ['x'.repeat(37), '', 7] }))).map((e) => e.source?.pointer),
      ['/policy_ids/0', '/policy_ids/1', '/policy_ids/2'],
    );
  });

  test('rejects null for name and version_config on update', async () => {
    const group = await create();
    const errors = await violations({ name: null, version_config: null }, 'PATCH', groupUrl(group.id));
    assert.deepEqual(
      errors.map((e) => e.source?.pointer),
      ['/name', '/version_config'],
    );
    const empty = await violations({ version_config: [] }, 'PATCH', groupUrl(group.id));
    assert.deepEqual(
      empty.map((e) => e.source?.pointer),
      ['/version_config'],
    );
  });

  test('names an array item by its field and index, and a field of an entry by its name', async () => {
    const errors = await violations(
      validGroup({
        policy_ids: ['ok-0', 'ok-1', 'ok-2', 'p'.repeat(37)],
        version_config: [{ target_environment: 'windows', version: 'v1' }],
      }),
    );
    assert.deepEqual(
      errors.map((e) => [e.source?.pointer, e.message]),
      [
        ['/version_config/0/version', 'version must look like 2026.6.822.0 (YYYY.M.BUILD.TRACK)'],
        ['/policy_ids/3', 'policy_ids[3] must be at most 36 characters'],
      ],
    );
  });

  test('lists at most 100 violations, the last one counting the rest', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `${'p'.repeat(37)}${i}`);
    const errors = await violations(validGroup({ policy_ids: ids }));
    assert.equal(errors.length, 100);
    assert.deepEqual(
      errors.slice(0, 99).map((e) => e.source?.pointer),
      ids.slice(0, 99).map((_, i) => `/policy_ids/${i}`),
    );
    assert.deepEqual(errors[99], { code: 2001, message: '901 more violations not listed' });
  });

  test('reports an object with too many fields as one violation, without naming each field', async () => {
    const fields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`extra_${i}`, i]));
    const body = await violations({ ...validGroup(), ...fields });
    assert.deepEqual(
      body.map((e) => [e.source?.pointer, e.message]),
      [['', 'the request body must have at most 32 fields']],
    );
    const entry = await violations(
      validGroup({ version_config: [{ target_environment: 'windows', version: '2026.6.822.0', ...fields }] }),
    );
    assert.deepEqual(
      entry.map((e) => [e.source?.pointer, e.message]),
      [['/version_config/0', 'version_config[0] must have at most 8 fields']],
    );
    // Within the bound, each unknown field is named.
    const few = await violations({ ...validGroup(), extra_a: 1, extra_b: 2 });
    assert.deepEqual(
      few.map((e) => e.message),
      ['extra_a is not a known field', 'extra_b is not a known field'],
    );
  });

  test('rejects a body that is not a JSON object', async () => {
    for (const body of ['[]', '"name"', 'null', '42']) {
      const errors = await violations(body);
      assert.deepEqual(
        errors.map((e) => e.source?.pointer),
        [''],
        body,
      );
    }
  });
});

describe('get', () => {
  test('returns the group', async () => {
    const group = await create({ policy_ids: ['p-get'] });
    const response = await t.request({ url: groupUrl(group.id) });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().result, group);
  });

  test('answers 404 with code 2002 for an unknown id or an id that is not a UUID', async () => {
    for (const id of ['7b0f1e2c-9d1a-4b8e-8f3a-0c1d2e3f4a5b', 'not-a-uuid', 'x'.repeat(90)]) {
      const response = await t.request({ url: groupUrl(encodeURIComponent(id)) });
      assert.equal(response.statusCode, 404, id);
      assert.equal(errorsOf(response)[0]?.code, 2002);
      assert.equal(response.headers['x-should-retry'], 'false');
    }
  });
});

describe('update', () => {
  test('an empty body changes nothing and keeps updated_at', async () => {
    const group = await create();
    const response = await t.request({ method: 'PATCH', url: groupUrl(group.id), body: {} });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().result, group);
  });

  test('sending the current values changes nothing and keeps updated_at', async () => {
    const group = await create({ policy_ids: ['p-same-1'] });
    const response = await t.request({
      method: 'PATCH',
      url: groupUrl(group.id),
      body: { name: group.name, version_config: group.version_config, policy_ids: group.policy_ids },
    });
    assert.equal(response.json().result.updated_at, group.updated_at);
  });

  test('a change moves updated_at strictly later and never created_at', async () => {
    const group = await create();
    const first = (
      await t.request({ method: 'PATCH', url: groupUrl(group.id), body: { name: 'Ring 1' } })
    ).json().result;
    const second = (
      await t.request({ method: 'PATCH', url: groupUrl(group.id), body: { name: 'Ring 2' } })
    ).json().result;
    assert.equal(first.name, 'Ring 1');
    assert.equal(second.name, 'Ring 2');
    assert.equal(first.created_at, group.created_at);
    assert.equal(second.created_at, group.created_at);
    assert.ok(first.updated_at > group.updated_at);
    assert.ok(second.updated_at > first.updated_at);
  });

  test('arrays given in an update replace the stored ones', async () => {
    const group = await create({ policy_ids: ['p-replace-1', 'p-replace-2'] });
    const versionConfig = [{ target_environment: 'macos', version: '2026.7.1.1' }];
    const updated = (
      await t.request({
        method: 'PATCH',
        url: groupUrl(group.id),
        body: { policy_ids: ['p-replace-3'], version_config: versionConfig },
      })
    ).json().result;
    assert.deepEqual(updated.policy_ids, ['p-replace-3']);
    assert.deepEqual(updated.version_config, versionConfig);
    assert.equal(updated.name, group.name);
    // The released IDs are free again.
    await create({ policy_ids: ['p-replace-1', 'p-replace-2'] });
  });

  test('policy_ids null clears to null and [] stores []', async () => {
    const group = await create({ policy_ids: ['p-clear'] });
    const cleared = (
      await t.request({ method: 'PATCH', url: groupUrl(group.id), body: { policy_ids: null } })
    ).json().result;
    assert.equal(cleared.policy_ids, null);
    const emptied = (
      await t.request({ method: 'PATCH', url: groupUrl(group.id), body: { policy_ids: [] } })
    ).json().result;
    assert.deepEqual(emptied.policy_ids, []);
    assert.ok(emptied.updated_at > cleared.updated_at, '[] differs from null');
  });

  test('a GET-modify-PATCH round trip works', async () => {
    const group = await create();
    const response = await t.request({
      method: 'PATCH',
      url: groupUrl(group.id),
      body: { ...group, name: 'Round trip' },
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().result.id, group.id);
    assert.equal(response.json().result.name, 'Round trip');
  });

  test('answers 404 for an unknown group', async () => {
    const response = await t.request({
      method: 'PATCH',
      url: groupUrl('7b0f1e2c-9d1a-4b8e-8f3a-0c1d2e3f4a5b'),
      body: { name: 'x' },
    });
    assert.equal(response.statusCode, 404);
    assert.equal(errorsOf(response)[0]?.code, 2002);
  });
});

describe('policy ownership', () => {
  test('create with a policy ID another group owns is 409 and creates nothing', async () => {
    const owner = await create({ policy_ids: ['p-own-1', 'p-own-2'] });
    const before = (await t.request({ url: groupsUrl() })).json().result_info.total_count;
    const response = await t.request({
      method: 'POST',
      url: groupsUrl(),
      body: validGroup({ policy_ids: ['p-fresh', 'p-own-2', 'p-own-1'] }),
    });
    assert.equal(response.statusCode, 409);
    assert.equal(response.headers['x-should-retry'], 'false');
    const errors = errorsOf(response);
    assert.deepEqual(
      errors.map((e) => [e.code, e.source?.pointer]),
      [
        [2004, '/policy_ids/1'],
        [2004, '/policy_ids/2'],
      ],
    );
    assert.ok(errors.every((e) => e.message.includes(owner.id)));
    assert.match(errors[0]?.message ?? '', /p-own-2/);
    assert.equal((await t.request({ url: groupsUrl() })).json().result_info.total_count, before);
    // Nothing was claimed by the failed create either.
    await create({ policy_ids: ['p-fresh'] });
  });

  test('update adding an owned ID is 409 and changes nothing, not even the name', async () => {
    await create({ policy_ids: ['p-upd-owned'] });
    const group = await create({ policy_ids: ['p-upd-mine'] });
    const response = await t.request({
      method: 'PATCH',
      url: groupUrl(group.id),
      body: { name: 'Renamed', policy_ids: ['p-upd-mine', 'p-upd-new', 'p-upd-owned'] },
    });
    assert.equal(response.statusCode, 409);
    assert.deepEqual(pointersOf(response), ['/policy_ids/2']);
    assert.deepEqual((await t.request({ url: groupUrl(group.id) })).json().result, group);
    // p-upd-new was not claimed by the failed update.
    await create({ policy_ids: ['p-upd-new'] });
  });

  test('IDs a group already holds may be sent again', async () => {
    const group = await create({ policy_ids: ['p-keep-1', 'p-keep-2'] });
    const response = await t.request({
      method: 'PATCH',
      url: groupUrl(group.id),
      body: { policy_ids: ['p-keep-2', 'p-keep-1', 'p-keep-3'] },
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().result.policy_ids, ['p-keep-2', 'p-keep-1', 'p-keep-3']);
  });

  test('the same policy ID may belong to one group in each account', async () => {
    await create({ policy_ids: ['p-shared-across-accounts'] }, ACCOUNT);
    await create({ policy_ids: ['p-shared-across-accounts'] }, OTHER_ACCOUNT);
  });
});

describe('delete', () => {
  test('returns the deleted id, frees its policy IDs at once, and a second delete is 404', async () => {
    const group = await create({ policy_ids: ['p-delete'] });
    const response = await t.request({ method: 'DELETE', url: groupUrl(group.id) });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().result, { id: group.id });
    assert.equal((await t.request({ url: groupUrl(group.id) })).statusCode, 404);
    await create({ policy_ids: ['p-delete'] });
    const again = await t.request({ method: 'DELETE', url: groupUrl(group.id) });
    assert.equal(again.statusCode, 404);
    assert.equal(errorsOf(again)[0]?.code, 2002);
  });
});

describe('requests without a body', () => {
  // Cloudflare's Python SDK (httpx) sends `Content-Type: application/json` and no body with every DELETE.
  const noBody = (contentType: string, contentLength?: string) => ({
    authorization: `Bearer ${t.secrets.admin}`,
    'content-type': contentType,
    ...(contentLength === undefined ? {} : { 'content-length': contentLength }),
  });

  test('a DELETE with a Content-Type and no body is served as if the header were absent', async () => {
    for (const [contentType, contentLength] of [
      ['application/json', undefined],
      ['application/json', '0'],
      ['application/json; charset=utf-16', undefined],
      ['text/plain', '0'],
    ] as const) {
      const label = `${contentType} ${contentLength ?? 'without Content-Length'}`;
      const group = await create();
      const deleted = await t.app.inject({
        method: 'DELETE',
        url: groupUrl(group.id),
        headers: noBody(contentType, contentLength),
      });
      assert.equal(deleted.statusCode, 200, `${label}: ${deleted.body}`);
      assert.deepEqual(deleted.json().result, { id: group.id });
      const again = await t.app.inject({
        method: 'DELETE',
        url: groupUrl(group.id),
        headers: noBody(contentType, contentLength),
      });
      assert.equal(again.statusCode, 404, label);
      assert.equal(errorsOf(again)[0]?.code, 2002);
    }
  });

  test('a GET with a Content-Type and no body is served too', async () => {
    const group = await create();
    const response = await t.app.inject({
      url: groupUrl(group.id),
      headers: noBody('application/json', '0'),
    });
    assert.equal(response.statusCode, 200, response.body);
  });

  test('a POST or PATCH with a JSON Content-Type and no body is still 400 code 2003', async () => {
    const group = await create();
    for (const [method, url] of [
      ['POST', groupsUrl()],
      ['PATCH', groupUrl(group.id)],
    ] as const) {
      for (const contentLength of [undefined, '0']) {
        const response = await t.app.inject({
          method,
          url,
          headers: noBody('application/json', contentLength),
        });
        assert.equal(response.statusCode, 400, `${method} ${contentLength}`);
        assert.equal(errorsOf(response)[0]?.code, 2003);
      }
    }
  });
});

describe('list', () => {
  const account = 'abcdefabcdefabcdefabcdefabcdef01';
  const created: { id: string }[] = [];
  before(async () => {
    for (let i = 0; i < 7; i++) created.push(await create({ name: `List ${i}` }, account));
  });

  test('pages in creation order with result_info', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const body = (await t.request({ url: `${groupsUrl(account)}?per_page=3&page=${page}` })).json();
      assert.deepEqual(body.result_info, {
        page,
        per_page: 3,
        count: page < 3 ? 3 : 1,
        total_count: 7,
        total_pages: 3,
      });
      seen.push(...body.result.map((g: { id: string }) => g.id));
    }
    assert.deepEqual(
      seen,
      created.map((g) => g.id),
    );
  });

  test('defaults to page 1 and 50 per page', async () => {
    const info = (await t.request({ url: groupsUrl(account) })).json().result_info;
    assert.deepEqual(info, { page: 1, per_page: 50, count: 7, total_count: 7, total_pages: 1 });
  });

  test('a page past the end is 200 with an empty result', async () => {
    for (const page of [4, 1000, 1e15]) {
      const response = await t.request({ url: `${groupsUrl(account)}?per_page=3&page=${page}` });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json().result, []);
      assert.equal(response.json().result_info.count, 0);
      assert.equal(response.json().result_info.total_count, 7);
    }
  });

  test('rejects out-of-range paging with the parameter named, and ignores unknown parameters', async () => {
    for (const query of ['per_page=0', 'per_page=101', 'page=0', 'page=-1', 'page=abc', 'per_page=2.5']) {
      const response = await t.request({ url: `${groupsUrl(account)}?${query}` });
      assert.equal(response.statusCode, 400, query);
      assert.deepEqual(
        errorsOf(response).map((e) => [e.code, e.source?.parameter]),
        [[2001, query.split('=')[0]]],
      );
    }
    const response = await t.request({ url: `${groupsUrl(account)}?order=name&direction=desc` });
    assert.equal(response.statusCode, 200);
  });

  test('takes page and per_page in decimal digits only', async () => {
    for (const query of [
      'per_page=0x10',
      'per_page=1e2',
      'per_page=%2010',
      'per_page=10%20',
      'per_page=+10',
      'page=1e308',
      'page=0b1',
      'page=Infinity',
      `page=${'9'.repeat(400)}`,
      'page=9007199254740992',
    ]) {
      const response = await t.request({ url: `${groupsUrl(account)}?${query}` });
      assert.equal(response.statusCode, 400, query);
      assert.deepEqual(
        errorsOf(response).map((e) => [e.code, e.source?.parameter]),
        [[2001, query.split('=')[0]]],
        query,
      );
    }
    const largest = await t.request({ url: `${groupsUrl(account)}?page=9007199254740991&per_page=010` });
    assert.equal(largest.statusCode, 200);
    assert.deepEqual(
      [largest.json().result_info.page, largest.json().result_info.per_page],
      [9007199254740991, 10],
    );
    assert.match(largest.body, /"page":9007199254740991,/);
  });

  test('an account sees only its own groups', async () => {
    const lonely = 'abcdefabcdefabcdefabcdefabcdef02';
    const body = (await t.request({ url: groupsUrl(lonely) })).json();
    assert.deepEqual(body.result, []);
    assert.equal(body.result_info.total_count, 0);
    assert.equal(body.result_info.total_pages, 0);
    const foreign = created[0] as { id: string };
    assert.equal((await t.request({ url: groupUrl(foreign.id, lonely) })).statusCode, 404);
    assert.equal(
      (await t.request({ method: 'PATCH', url: groupUrl(foreign.id, lonely), body: { name: 'x' } }))
        .statusCode,
      404,
    );
    assert.equal((await t.request({ method: 'DELETE', url: groupUrl(foreign.id, lonely) })).statusCode, 404);
    assert.equal((await t.request({ url: groupUrl(foreign.id, account) })).statusCode, 200);
  });
});

describe('request format', () => {
  test('a body that is not JSON is 400 with code 2003', async () => {
    for (const payload of ['{"name":', 'not json', '{"a":1}}']) {
      const response = await t.request({ method: 'POST', url: groupsUrl(), body: payload });
      assert.equal(response.statusCode, 400, payload);
      assert.equal(errorsOf(response)[0]?.code, 2003);
    }
  });

  test('a POST or PATCH whose Content-Type is not JSON is 415', async () => {
    const group = await create();
    for (const [method, url] of [
      ['POST', groupsUrl()],
      ['PATCH', groupUrl(group.id)],
    ] as const) {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
        const response = await t.request({
          method,
          url,
          body: '{}',
          headers: { 'content-type': contentType },
        });
        assert.equal(response.statusCode, 415, `${method} ${contentType}`);
        assert.equal(errorsOf(response)[0]?.code, 2006);
      }
      const bare = await t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${t.secrets.admin}` },
      });
      assert.equal(bare.statusCode, 415, `${method} without a Content-Type`);
    }
  });

  test('a body whose charset is not UTF-8 is 415, and UTF-8 in any case is accepted', async () => {
    const body = JSON.stringify(validGroup({ name: 'Café' }));
    const post = (contentType: string) =>
      t.request({ method: 'POST', url: groupsUrl(), body, headers: { 'content-type': contentType } });
    for (const contentType of [
      'application/json; charset=latin1',
      'application/json; charset=ISO-8859-1',
      'application/json; charset=utf-16',
      'application/json;charset="utf-16le"',
      'application/json;charset=utf8',
    ]) {
      const response = await post(contentType);
      assert.equal(response.statusCode, 415, contentType);
      assert.equal(errorsOf(response)[0]?.code, 2006);
    }
    for (const contentType of [
      'application/json; charset=utf-8',
      'application/json; charset="UTF-8"',
      'application/json;CHARSET=Utf-8',
    ]) {
      const response = await post(contentType);
      assert.equal(response.statusCode, 200, `${contentType}: ${response.body}`);
      assert.equal(response.json().result.name, 'Café');
    }
  });

  test('bytes that are not valid UTF-8 are 400 code 2003, never stored as U+FFFD', async () => {
    const before = (await t.request({ url: groupsUrl() })).json().result_info.total_count;
    for (const name of [
      Buffer.from('Caf\xe9', 'latin1'),
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
      Buffer.from([0xc0, 0xaf]), // an overlong encoding
      Buffer.from([0xf0, 0x9f, 0x98]), // a truncated sequence
    ]) {
      const payload = Buffer.concat([
        Buffer.from('{"name":"'),
        name,
        Buffer.from('","version_config":[{"target_environment":"windows","version":"2026.6.822.0"}]}'),
      ]);
      const response = await t.app.inject({
        method: 'POST',
        url: groupsUrl(),
        headers: { authorization: `Bearer ${t.secrets.admin}`, 'content-type': 'application/json' },
        payload,
      });
      assert.equal(response.statusCode, 400, name.toString('hex'));
      assert.equal(errorsOf(response)[0]?.code, 2003);
    }
    assert.equal((await t.request({ url: groupsUrl() })).json().result_info.total_count, before);
  });

  test('a body over the limit is 413', async () => {
    const response = await t.request({
      method: 'POST',
      url: groupsUrl(),
      body: { ...validGroup(), padding: 'x'.repeat(1024 * 1024) },
    });
    assert.equal(response.statusCode, 413);
    assert.equal(errorsOf(response)[0]?.code, 2005);
  });

  test('an unknown route is 404 with codes 7003 and 7000', async () => {
    for (const url of [
      '/nope',
      '/client/v4/nope',
      '/client/v4/accounts/x/devices/deployment-groups',
      '/client/v4/%zz',
      groupUrl('x'.repeat(300)),
    ]) {
      const response = await t.request({ url });
      assert.equal(response.statusCode, 404, url);
      assert.deepEqual(
        errorsOf(response).map((e) => e.code),
        [7003, 7000],
      );
    }
  });

  test('a known route asked with another method is 405 with an Allow header', async () => {
    const group = await create();
    const response = await t.request({ method: 'PUT', url: groupUrl(group.id), body: {} });
    assert.equal(response.statusCode, 405);
    assert.equal(errorsOf(response)[0]?.code, 2010);
    assert.equal(response.headers.allow, 'GET, PATCH, DELETE, HEAD');
    const collection = await t.request({ method: 'DELETE', url: groupsUrl() });
    assert.equal(collection.statusCode, 405);
  });

  test('every response carries a cf-ray id and is JSON', async () => {
    const rays = new Set<string>();
    for (const url of [groupsUrl(), '/nope', '/healthz', '/readyz', '/client/v4/user/tokens/verify']) {
      const response = await t.request({ url });
      assert.match(response.headers['cf-ray'] as string, CF_RAY, url);
      assert.ok((response.headers['cf-ray'] as string).endsWith('-LCL'), url);
      assert.match(response.headers['content-type'] as string, /^application\/json/, url);
      rays.add(response.headers['cf-ray'] as string);
    }
    assert.equal(rays.size, 5);
  });
});

describe('operations', () => {
  test('/healthz and /readyz answer without credentials', async () => {
    for (const [url, status] of [
      ['/healthz', 'ok'],
      ['/readyz', 'ready'],
    ] as const) {
      const response = await t.request({ url, token: null });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().status, status);
    }
  });

  test('/user/tokens/verify returns the token id and status', async () => {
    const response = await t.request({ url: '/client/v4/user/tokens/verify' });
    assert.equal(response.statusCode, 200);
    const result = response.json().result;
    assert.match(result.id, /^[0-9a-f]{32}$/);
    assert.equal(result.status, 'active');
  });

  test('target environments come from configuration', async () => {
    const custom = await createTestApp({ targetEnvironments: ['windows', 'macos', 'linux'] });
    try {
      const response = await custom.request({
        method: 'POST',
        url: groupsUrl(),
        body: validGroup({ version_config: [{ target_environment: 'linux', version: '2026.6.822.0' }] }),
      });
      assert.equal(response.statusCode, 200);
    } finally {
      await custom.close();
    }
  });

  test('success responses were checked against Cloudflare’s published schema', () => {
    assert.ok(checked.count > 50, `only ${checked.count} responses checked`);
  });
});
