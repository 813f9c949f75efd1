// A sample of the fuzzer (scripts/fuzz.ts sends 100,000): generated requests of every kind against the
// real server — never a 5xx, never a crash, always the envelope with the right code. See test/support/fuzz/.
// First, the oracle itself against the examples docs/contract.md gives, so that a mistake in it cannot pass
// for the server's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAnswer } from './support/fuzz/answer.ts';
import {
  auditV1Verdict,
  auditV2Verdict,
  historyVerdict,
  previewVerdict,
  readIfMatch,
  revertVerdict,
} from './support/fuzz/change-oracle.ts';
import {
  authVerdict,
  expectVerdict,
  nameViolation,
  queryVerdict,
  type Target,
  writeVerdict,
} from './support/fuzz/oracle.ts';
import {
  actionVerdict,
  createVerdict,
  listVerdict,
  reachable,
  resolveBodyViolation,
  targetsQueryVerdict,
  waitSeconds,
} from './support/fuzz/rollout-oracle.ts';
import { formatSummary, runFuzz } from './support/fuzz/runner.ts';
import { seedFrom } from './support/random.ts';

const CREATE: Target = { mode: 'create', method: 'POST', path: '/', exists: false };
const ok = { status: 200 };

test('the oracle follows docs/contract.md §4, §6 and §7 on the contract’s own examples', () => {
  for (const name of ['Ring 0 = Engineering', '👩‍💻', '🏳️‍🌈 ring', '👨🏽‍💻', 'e\u0301', '🚀'.repeat(255)]) {
    assert.equal(nameViolation(name), undefined, name);
  }
  for (const name of [
    'a\u202eb',
    'a\u200bb',
    '\ufeffa',
    'a\u2028b',
    'a\u2029b',
    'a\u200db',
    '👩\u200d',
    ' ',
    '',
  ]) {
    assert.notEqual(nameViolation(name), undefined, JSON.stringify(name));
  }
  for (const value of ['0x10', '1e2', ' 10', '+5', '1.0', '', '0']) {
    assert.deepEqual(queryVerdict([['per_page', value]]).allowed, [{ status: 400, code: 2001 }], value);
  }
  assert.deepEqual(
    queryVerdict([
      ['page', '10'],
      ['per_page', '100'],
    ]).allowed,
    [ok],
  );
  assert.deepEqual(queryVerdict([['per_page', '101']]).allowed, [{ status: 400, code: 2001 }]);
  assert.deepEqual(queryVerdict([['page', '9007199254740991']]).allowed, [ok]);
  assert.deepEqual(queryVerdict([['page', '9007199254740992']]).allowed, [{ status: 400, code: 2001 }]);
  const body = Buffer.from(
    '{"name":"x","version_config":[{"target_environment":"windows","version":"2026.6.822.0"}]}',
  );
  for (const type of ['application/json; charset=latin1', 'application/json; charset=utf-16', 'text/plain']) {
    assert.deepEqual(writeVerdict(CREATE, type, body).allowed, [{ status: 415, code: 2006 }], type);
  }
  assert.deepEqual(writeVerdict(CREATE, 'application/json; charset=UTF-8', body).allowed, [ok]);
  const latin1 = Buffer.concat([body.subarray(0, 9), Buffer.from([0xe9]), body.subarray(10)]);
  assert.deepEqual(writeVerdict(CREATE, 'application/json', latin1).allowed, [{ status: 400, code: 2003 }]);
  const twice = authVerdict({ authorization: ['Bearer a', 'Bearer a'] }, new Set(['a']), false);
  assert.notEqual(twice, 'pass');
  assert.deepEqual(twice !== 'pass' && twice.allowed, [{ status: 400, code: 6003 }]);
  assert.deepEqual(expectVerdict('foo', { allowed: [ok], rule: '' }).allowed, [{ status: 417, code: 2015 }]);
});

test('the change-control and audit-log oracle follows docs/contract.md §8.1–§8.3 on its own examples', () => {
  const allowed = (v: { allowed: unknown[] }) => v.allowed;
  const invalid = { status: 400, code: 2001 };
  assert.equal(readIfMatch('"r1-x", W/"r2-y"'), 'tags');
  assert.equal(readIfMatch(' * '), 'any');
  for (const header of ['r1', '"a" "b"', 'W/*', '', '"open'])
    assert.equal(readIfMatch(header), 'malformed', header);
  assert.deepEqual(allowed(historyVerdict('absent', [])), [{ status: 404, code: 2002 }]);
  assert.deepEqual(allowed(historyVerdict('deleted', [])), [ok], 'a deleted group keeps its history');
  assert.deepEqual(allowed(historyVerdict('stable', [['per_page', '101']])), [invalid]);
  for (const body of [{ revision: 0 }, { revision: 1.5 }, { revision: '1' }, { revision: 2 ** 31 }, {}, []]) {
    assert.deepEqual(allowed(revertVerdict('stable', body, 'absent')), [invalid], JSON.stringify(body));
  }
  assert.deepEqual(allowed(revertVerdict('absent', { revision: 1 }, 'tags')), [{ status: 404, code: 2002 }]);
  assert.deepEqual(allowed(revertVerdict('stable', { revision: 1 }, 'tags')), [{ status: 412, code: 2007 }]);
  assert.deepEqual(allowed(revertVerdict('deleted', { revision: 2 }, 'absent')), [invalid]);
  assert.deepEqual(allowed(previewVerdict({ method: 'PATCH', body: {} }, 'stable', 'absent')), [invalid]);
  assert.deepEqual(allowed(previewVerdict({ method: 'DELETE', group_id: 'x' }, 'absent', 'absent')), [
    { status: 404, code: 2002 },
  ]);
  assert.deepEqual(allowed(previewVerdict({ method: 'DELETE', group_id: 'x' }, 'stable', 'tags')), [
    { status: 412, code: 2007 },
  ]);
  assert.deepEqual(
    allowed(
      auditV1Verdict([
        ['since', '1960-01-01'],
        ['before', '1965-01-01'],
      ]),
    ),
    [ok],
  );
  assert.deepEqual(
    allowed(
      auditV1Verdict([
        ['since', '2026-07-02'],
        ['before', '2026-07-02T01:00:00+02:00'],
      ]),
    ),
    [invalid],
  );
  assert.deepEqual(
    allowed(
      auditV1Verdict([
        ['page', '1'],
        ['page', '2'],
      ]),
    ),
    [invalid],
    'given once',
  );
  assert.deepEqual(allowed(auditV1Verdict([['actor.ip', '10.0.0.0/33']])), [invalid]);
  const window: [string, string][] = [
    ['since', '2026-07-01'],
    ['before', '2026-07-02'],
  ];
  assert.deepEqual(
    allowed(auditV2Verdict([['since', '2026-07-01']], false)),
    [invalid],
    'before is required',
  );
  assert.deepEqual(allowed(auditV2Verdict([...window, ['cursor', 'abc']], false)), [invalid]);
  assert.deepEqual(allowed(auditV2Verdict([...window, ['action_type.not', 'create']], false)), [ok]);
  assert.deepEqual(allowed(auditV2Verdict([...window, ['actor_type', 'robot']], false)), [invalid]);
  assert.deepEqual(allowed(auditV2Verdict([...window, ['product_category', 'ZeroTrust']], false)), [ok]);
  const many = Array.from({ length: 101 }, (_, i): [string, string] => ['actor_id', String(i)]);
  assert.deepEqual(allowed(auditV2Verdict([...window, ...many], false)), [invalid], 'at most 100 values');
});

test('the answer checks hold the §4 error cap, item messages and secrets', () => {
  const answer = (errors: unknown[]) => ({
    status: 400,
    headers: {
      'cf-ray': '0123456789abcdef-LCL',
      'content-type': 'application/json',
      'x-should-retry': 'false',
    },
    body: JSON.stringify({ success: false, errors, messages: [], result: null }),
  });
  const item = (i: number) => ({
    code: 2001,
    message: `policy_ids[${i}] must be at least 1 character`,
    source: { pointer: `/policy_ids/${i}` },
  });
  const allowed = [{ status: 400, code: 2001 }];
  const items = (n: number) => Array.from({ length: n }, (_, i) => item(i));
  const capped = [...items(99), { code: 2001, message: '901 more violations not listed' }];
  assert.equal(checkAnswer(answer(capped), allowed, false, { capped: true }), undefined);
  assert.match(checkAnswer(answer(items(101)), allowed, false)?.rule ?? '', /at most 100/);
  assert.match(checkAnswer(answer(items(100)), allowed, false, { capped: true })?.rule ?? '', /at most 100/);
  const bare = [{ code: 2001, message: '3 must be a string', source: { pointer: '/policy_ids/3' } }];
  assert.match(checkAnswer(answer(bare), allowed, false)?.rule ?? '', /names its field and index/);
  const echoed = [{ code: 2001, message: 'x rmt_S3CRET', source: { pointer: '/name' } }];
  assert.match(checkAnswer(answer(echoed), allowed, false, { secrets: ['S3CRET'] })?.rule ?? '', /echoed/);
  assert.match(
    checkAnswer(answer(items(1)), allowed, false, { unlisted: ['/policy_ids/'] })?.rule ?? '',
    /one violation/,
  );
});

test('the rollout and version-target oracle follows docs/contract.md §8.4 and §8.5 on its own examples', () => {
  const invalid = { status: 400, code: 2001 };
  const wrongState = { status: 409, code: 2017 };
  for (const wait of ['0s', '24h', '7d', '365d', '8760h', '31536000s', '525600m'])
    assert.notEqual(waitSeconds(wait), undefined, wait);
  for (const wait of ['1h30m', '-1s', '366d', '31536001s', '1000000000s', '1w', '', '1H'])
    assert.equal(waitSeconds(wait), undefined, wait);
  const ring = '00000000-0000-4000-8000-000000000001';
  const body = (extra = {}) => ({
    name: 'r',
    version_config: [{ target_environment: 'windows', version: '2026.6.1.0' }],
    stages: [{ deployment_group_id: ring, wait: '30d' }],
    ...extra,
  });
  const rings = new Set([ring]);
  const now = Date.parse('2026-07-01T00:00:00Z');
  assert.deepEqual(createVerdict(body(), rings, now).allowed, [ok, { status: 409, code: 2018 }]);
  for (const bad of [
    { stages: [] },
    { stages: Array.from({ length: 21 }, () => ({ deployment_group_id: ring })) },
    { stages: [{ deployment_group_id: ring }, { deployment_group_id: ring }] },
    { stages: [{ deployment_group_id: '00000000-0000-4000-8000-000000000002' }] },
    { start_at: '2027-07-02T00:00:00Z' },
    { start_at: '2026-02-30T00:00:00Z' },
    { extra: 1 },
  ])
    assert.deepEqual(createVerdict(body(bad), rings, now).allowed, [invalid], JSON.stringify(bad));
  assert.deepEqual(createVerdict(body({ start_at: '2020-01-01T00:00:00Z' }), rings, now).allowed[0], ok);
  assert.deepEqual(actionVerdict('pause', new Set(['scheduled'])).allowed, [ok]);
  assert.deepEqual(actionVerdict('resume', new Set(['paused'])).allowed, [ok, { status: 409, code: 2018 }]);
  assert.deepEqual(actionVerdict('rollback', new Set(['rolled_back'])).allowed, [wrongState]);
  assert.deepEqual(actionVerdict('abort', new Set(['completed'])).allowed, [wrongState]);
  assert.deepEqual(actionVerdict('pause', reachable('scheduled', true)).allowed, [ok, wrongState]);
  assert.deepEqual(listVerdict([['state', 'active']]).allowed, [invalid]);
  assert.deepEqual(listVerdict([['state', 'rolled_back']]).allowed, [ok]);
  assert.deepEqual(targetsQueryVerdict([]).allowed, [ok], 'the document');
  assert.deepEqual(targetsQueryVerdict([['policy_id', 'p']]).allowed, [invalid], 'both or neither');
  assert.deepEqual(
    targetsQueryVerdict([
      ['policy_id', 'p'],
      ['target_environment', 'linux'],
    ]).allowed,
    [invalid],
  );
  const query = { policy_id: 'p', target_environment: 'windows' };
  assert.equal(resolveBodyViolation({ queries: [query] }), undefined);
  for (const bad of [
    { queries: [] },
    { queries: Array(1001).fill(query) },
    { queries: [{ ...query, x: 1 }] },
    [query],
  ])
    assert.notEqual(resolveBodyViolation(bad), undefined);
});

test('answers generated rollout and version-target requests as §8.4 and §8.5 say', async (context) => {
  const summary = await runFuzz({
    requests: 400,
    seed: seedFrom(process.env.FUZZ_SEED ?? '20261206'),
    kinds: [
      'rollout-create',
      'rollout-action',
      'rollout-get',
      'rollout-list',
      'targets-get',
      'targets-document',
      'targets-resolve',
    ],
  });
  for (const line of formatSummary(summary).split('\n')) context.diagnostic(line);
  assert.deepEqual(summary.failures, [], `replay with FUZZ_SEED=${summary.seed}`);
});

test('answers generated bad requests of every kind with the right envelope, never a 5xx, and stays up', async (context) => {
  const summary = await runFuzz({
    requests: Number(process.env.FUZZ_REQUESTS ?? 2000),
    // A fixed seed keeps `npm test` reproducible; `npm run fuzz` draws a new one each run.
    seed: seedFrom(process.env.FUZZ_SEED ?? '20260701'),
  });
  for (const line of formatSummary(summary).split('\n')) context.diagnostic(line);
  assert.deepEqual(summary.failures, [], `replay with FUZZ_SEED=${summary.seed}`);
});
