// The rollout views' rules that need no browser (web/src/rollouts-logic.ts, policy-lookup.ts): which
// buttons a rollout offers, how each stage reads, the plan and the body a Promote makes, which rollout a
// ring card names, and the lookup's sentence. The modules are the dashboard's own, imported as they are.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lookupAnswer } from '../web/src/policy-lookup.ts';
import type { Rollout, RolloutStage } from '../web/src/rollout-types.ts';
import {
  activeRolloutFor,
  allowedActions,
  chosenVersions,
  defaultWait,
  describeWait,
  needsConfirmation,
  parseLocalTime,
  parseWait,
  planStages,
  promoteBody,
  ringsAfter,
  stageView,
  suggestedName,
} from '../web/src/rollouts-logic.ts';
import type { Group } from '../web/src/wire.ts';

const T0 = '2026-12-01T10:00:00Z';
const stage = (
  id: string,
  state: RolloutStage['state'],
  extra: Partial<RolloutStage> = {},
): RolloutStage => ({
  deployment_group_id: id,
  wait: '24h',
  state,
  due_at: null,
  applied_at: null,
  replaced: null,
  ...extra,
});
const rollout = (state: Rollout['state'], stages: RolloutStage[], extra: Partial<Rollout> = {}): Rollout => ({
  id: `r-${state}`,
  name: `Rollout ${state}`,
  state,
  state_reason: null,
  version_config: [{ target_environment: 'windows', version: '2026.6.822.1' }],
  start_at: T0,
  stages,
  created_by: { type: 'user', id: 't1', name: 'ci', email: null },
  created_at: T0,
  updated_at: T0,
  ...extra,
});
const group = (id: string, name = id): Group => ({
  id,
  name,
  version_config: [
    { target_environment: 'windows', version: '2026.6.822.1' },
    { target_environment: 'macos', version: '2026.6.822.0' },
    { target_environment: null, version: '2026.5.711.0' },
  ],
  policy_ids: null,
  created_at: T0,
  updated_at: T0,
});

describe('rollout buttons', () => {
  const applied = stage('g1', 'applied', { applied_at: T0 });
  const pending = stage('g2', 'pending', { due_at: T0 });
  test('offer only the transitions the state allows', () => {
    assert.deepEqual(allowedActions(rollout('scheduled', [stage('g1', 'pending')])), ['pause', 'abort']);
    assert.deepEqual(allowedActions(rollout('running', [applied, pending])), ['pause', 'abort', 'rollback']);
    assert.deepEqual(allowedActions(rollout('running', [pending])), ['pause', 'abort']);
    assert.deepEqual(allowedActions(rollout('paused', [applied, pending])), ['resume', 'abort', 'rollback']);
    assert.deepEqual(allowedActions(rollout('completed', [applied])), ['rollback']);
    assert.deepEqual(allowedActions(rollout('aborted', [applied, pending])), ['rollback']);
    assert.deepEqual(allowedActions(rollout('aborted', [pending])), []);
    assert.deepEqual(allowedActions(rollout('rolled_back', [stage('g1', 'rolled_back')])), []);
  });
  test('ask before abort and rollback only', () => {
    assert.deepEqual((['pause', 'resume', 'abort', 'rollback'] as const).filter(needsConfirmation), [
      'abort',
      'rollback',
    ]);
  });
});

describe('stage timeline', () => {
  test('reads each stage by its own state and its rollout’s', () => {
    const running = rollout('running', []);
    assert.deepEqual(stageView(stage('g', 'applied', { applied_at: T0 }), running), {
      kind: 'applied',
      label: 'Applied',
      time: T0,
    });
    assert.deepEqual(stageView(stage('g', 'pending', { due_at: T0 }), running), {
      kind: 'due',
      label: 'Due',
      time: T0,
    });
    assert.deepEqual(stageView(stage('g', 'pending'), running), {
      kind: 'waiting',
      label: 'Pending: 1 day after the ring before',
      time: null,
    });
    assert.equal(stageView(stage('g', 'pending', { due_at: T0 }), rollout('paused', [])).kind, 'paused');
    assert.equal(stageView(stage('g', 'pending'), rollout('aborted', [])).label, 'Not applied');
    assert.equal(stageView(stage('g', 'rolled_back', { applied_at: T0 }), running).label, 'Rolled back');
    assert.equal(stageView(stage('g', 'skipped'), running).kind, 'skipped');
  });
});

describe('waits', () => {
  test('parse the duration forms and describe them', () => {
    assert.equal(parseWait('0s'), 0);
    assert.equal(parseWait('24h'), 86_400);
    assert.equal(parseWait(' 90m '), 5_400);
    assert.equal(parseWait('2d'), 172_800);
    for (const bad of ['', '24', 'h', '1.5h', '-1h', '1w', '1h30m']) assert.equal(parseWait(bad), null, bad);
    assert.equal(describeWait('0s'), 'no wait');
    assert.equal(describeWait('90061s'), '1 day 1 hour 1 minute 1 second');
    assert.equal(describeWait('90m'), '1 hour 30 minutes');
    assert.equal(describeWait('soon'), 'soon');
    assert.deepEqual([0, 1, 2].map(defaultWait), ['0s', '24h', '24h']);
  });
});

describe('Promote', () => {
  const groups = [group('a', 'Ring 0'), group('b', 'Ring 1'), group('c', 'Ring 2')];
  test('offers the rings after the source, in order', () => {
    assert.deepEqual(
      ringsAfter(groups, 'a').map((g) => g.id),
      ['b', 'c'],
    );
    assert.deepEqual(ringsAfter(groups, 'c'), []);
    assert.deepEqual(ringsAfter(groups, 'zz'), []);
  });
  test('plans each stage from the one before, the first from the start', () => {
    const start = new Date(T0);
    const plan = planStages(start, [
      { group: groups[1] as Group, wait: '0s' },
      { group: groups[2] as Group, wait: '24h' },
    ]);
    assert.deepEqual(
      plan.map((p) => p.dueAt?.toISOString()),
      ['2026-12-01T10:00:00.000Z', '2026-12-02T10:00:00.000Z'],
    );
    const broken = planStages(start, [
      { group: groups[1] as Group, wait: 'later' },
      { group: groups[2] as Group, wait: '1h' },
    ]);
    assert.deepEqual(
      broken.map((p) => p.dueAt),
      [null, null],
      'after an invalid wait nothing can be placed',
    );
  });
  test('takes the chosen environments and sends the body the API expects', () => {
    const source = groups[0] as Group;
    const versions = chosenVersions(source.version_config, ['windows', null]);
    assert.deepEqual(versions, [
      { target_environment: 'windows', version: '2026.6.822.1' },
      { target_environment: null, version: '2026.5.711.0' },
    ]);
    assert.equal(suggestedName(source, versions), 'Promote 2026.6.822.1, 2026.5.711.0 from Ring 0');
    const stages = [
      { groupId: 'b', wait: ' 0s ' },
      { groupId: 'c', wait: '24h' },
    ];
    assert.deepEqual(promoteBody({ name: ' Go ', versions, stages, startAt: null }), {
      name: 'Go',
      version_config: versions,
      stages: [
        { deployment_group_id: 'b', wait: '0s' },
        { deployment_group_id: 'c', wait: '24h' },
      ],
    });
    assert.equal(
      promoteBody({ name: 'Go', versions, stages, startAt: new Date(T0) }).start_at,
      '2026-12-01T10:00:00.000Z',
    );
    assert.equal(parseLocalTime(''), null);
    assert.equal(parseLocalTime('not a time'), null);
    assert.ok(parseLocalTime('2026-12-01T10:00') instanceof Date);
  });
});

describe('ring card rollout', () => {
  test('names the newest active rollout with a stage for the ring', () => {
    const old = rollout('running', [stage('a', 'applied'), stage('b', 'pending')], {
      id: 'old',
      created_at: '2026-12-01T09:00:00Z',
    });
    const newer = rollout('paused', [stage('b', 'pending', { due_at: T0 })], { id: 'new' });
    const done = rollout('completed', [stage('c', 'applied')], {
      id: 'done',
      created_at: '2026-12-02T00:00:00Z',
    });
    assert.equal(activeRolloutFor('b', [old, newer, done])?.rollout.id, 'new');
    const found = activeRolloutFor('a', [old, newer, done]);
    assert.equal(found?.rollout.id, 'old');
    assert.equal(found?.position, 1);
    assert.equal(activeRolloutFor('c', [old, newer, done]), null, 'a completed rollout moves nothing');
  });
});

describe('policy lookup', () => {
  test('says what the policy gets, or the API’s reason it gets nothing', () => {
    assert.equal(
      lookupAnswer(
        {
          policy_id: 'p1',
          target_environment: 'windows',
          version: '2026.6.822.1',
          deployment_group: { id: 'g', name: 'Ring 0' },
        },
        undefined,
        'p1',
        'windows',
      ),
      'Policy p1 on Windows gets 2026.6.822.1, from the ring Ring 0.',
    );
    assert.equal(
      lookupAnswer(null, [{ message: 'No deployment group holds this policy.' }], 'p2', 'macos'),
      'Policy p2 on macOS gets no version: No deployment group holds this policy.',
    );
    assert.equal(lookupAnswer(null, [], 'p2', 'linux'), 'Policy p2 on Linux gets no version.');
  });
});
