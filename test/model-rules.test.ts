// Rules of the model (src/deployment-groups/model.ts, src/tokens/model.ts) that are the project's own
// decisions: which characters a name may hold (docs/contract.md §4), that a 409 names the owner of each
// conflicting policy ID as data, not only in English (docs/contract.md §5), and how many accounts one
// credential may list.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_GRANTED_ACCOUNTS } from '../src/tokens/model.ts';
import { TokenService } from '../src/tokens/service.ts';
import { createTestApp, groupsUrl, groupUrl, type TestApp, validGroup } from './support/app.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => t.close());

async function create(body: Record<string, unknown>) {
  return t.request({ method: 'POST', url: groupsUrl(), body: validGroup(body) });
}

describe('names', () => {
  const refused: [string, string][] = [
    ['a right-to-left override (U+202E)', 'Ring 0\u202e1 gniR'],
    ['a zero-width space (U+200B)', 'Ring\u200b0'],
    ['a byte order mark (U+FEFF)', '\ufeffRing 0'],
    ['a left-to-right isolate (U+2066)', 'Ring \u20660'],
    ['a line separator (U+2028)', 'Ring\u20280'],
    ['a paragraph separator (U+2029)', 'Ring\u20290'],
    ['a zero-width joiner between letters', 'Ri\u200dng'],
    ['a zero-width joiner after an emoji at the end', 'Ring 👩\u200d'],
    ['a zero-width joiner before an emoji at the start', '\u200d💻 Ring'],
    ['a zero-width joiner between an emoji and a letter', 'Ring 👩\u200dx'],
  ];
  for (const [what, name] of refused) {
    test(`refuses ${what}, naming the field and the rule`, async () => {
      const response = await create({ name });
      assert.equal(response.statusCode, 400, response.body);
      const errors = response.json().errors;
      assert.deepEqual(
        errors.map((e: { source?: { pointer?: string } }) => e.source?.pointer),
        ['/name'],
      );
      assert.match(errors[0].message, /invisible formatting characters \(such as U\+202E/);
    });
  }

  test('accepts emoji joined by U+200D, with variation selectors and skin tones, and any script', async () => {
    for (const name of [
      'Ring 👩‍💻',
      '🏳️‍🌈 Pride ring',
      '👩🏽‍💻 devs',
      '❤️‍🔥',
      '👨‍👩‍👧‍👦 family',
      'Ünïcödé 中文 العربية',
    ]) {
      const response = await create({ name });
      assert.equal(response.statusCode, 200, `${JSON.stringify(name)}: ${response.body}`);
      assert.equal(response.json().result.name, name);
    }
  });
});

describe('policy conflicts', () => {
  test('name the owning group of each conflicting policy ID in meta.deployment_group_id', async () => {
    const first = (await create({ policy_ids: ['meta-1'] })).json().result;
    const second = (await create({ policy_ids: ['meta-2'] })).json().result;
    const refused = await create({ policy_ids: ['meta-free', 'meta-2', 'meta-1'] });
    assert.equal(refused.statusCode, 409);
    assert.deepEqual(
      refused
        .json()
        .errors.map((e: { meta?: unknown; source?: { pointer?: string } }) => [e.source?.pointer, e.meta]),
      [
        ['/policy_ids/1', { deployment_group_id: second.id }],
        ['/policy_ids/2', { deployment_group_id: first.id }],
      ],
    );

    const third = (await create({ policy_ids: null })).json().result;
    const update = await t.request({
      method: 'PATCH',
      url: groupUrl(third.id),
      body: { policy_ids: ['meta-1'] },
    });
    assert.equal(update.statusCode, 409);
    assert.deepEqual(update.json().errors[0].meta, { deployment_group_id: first.id });
  });
});

describe('credentials', () => {
  test(`list at most ${MAX_GRANTED_ACCOUNTS} accounts (every account is accounts: null)`, async () => {
    const tokens = new TokenService(t.store);
    const accounts = (n: number) => Array.from({ length: n }, (_, i) => i.toString(16).padStart(32, '0'));
    const most = await tokens.createToken({ accounts: accounts(MAX_GRANTED_ACCOUNTS), permission: 'read' });
    assert.equal(most.credential.accounts?.length, MAX_GRANTED_ACCOUNTS);
    await assert.rejects(
      tokens.createToken({ accounts: accounts(MAX_GRANTED_ACCOUNTS + 1), permission: 'read' }),
      /at most 1000 accounts/,
    );
    assert.ok((await tokens.list()).every((c) => (c.accounts?.length ?? 0) <= MAX_GRANTED_ACCOUNTS));
  });
});
