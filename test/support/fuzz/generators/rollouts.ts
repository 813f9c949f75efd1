// Rollouts (docs/contract.md §8.5): creates, valid and hostile; the list and its filter; get; and the four
// actions on the fuzzer's rollouts in whatever state they are, on other accounts' and on unknown ones. The
// fuzzer keeps what it knows of each of its rollouts (KnownRollout) and lets one request at a time name it.
import { ACCOUNT } from '../../accounts.ts';
import { bearer, type Case, type Context, randomText, uuid } from '../case.ts';
import {
  ACTIONS,
  AFTER,
  actionVerdict,
  createVerdict,
  isFast,
  type KnownRollout,
  listVerdict,
  ROLLOUT_STATES,
  type RolloutState,
  reachable,
  rolloutProblem,
  unknownRollout,
} from '../rollout-oracle.ts';
import { queryString } from './change-control.ts';

export const ROLLOUTS = `/ringmaster/v1/accounts/${ACCOUNT}/rollouts`;
const pick = <T>(c: Context, items: readonly T[]): T => c.random.pick(items);

const VALID_WAITS = ['30d', '30d', '365d', '8760h', '525600m', '31536000s', '24h', '7d', '0s', '90m'];
const BAD_WAITS = [
  '1h30m',
  '-1s',
  '366d',
  '8761h',
  '31536001s',
  '9999999999s',
  '1e3s',
  '1.5h',
  '1w',
  '',
  ' 1h',
];
const BAD_WAIT_VALUES: unknown[] = [5, null, true, ['1h'], { d: 1 }, '٣d', '1H'];

const FUTURE = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const VALID_STARTS = () => [FUTURE(1), FUTURE(364), FUTURE(30)];
const BAD_STARTS: (() => unknown)[] = [
  () => FUTURE(366),
  () => '2999-01-01T00:00:00Z',
  () => '2026-13-01T00:00:00Z',
  () => '2026-02-30T00:00:00Z',
  () => '2026-07-01 12:00:00',
  () => 'tomorrow',
  () => '',
  () => 1_782_000_000,
  () => null,
  () => '2026-07-01T25:00:00Z',
  () => '2026-07-01T12:00:00+24:00',
];

/** A ring for a stage: mostly the account's rings; sometimes another account's group, an unknown or a bad id. */
function ring(c: Context, hostile: boolean): unknown {
  if (!hostile) return pick(c, c.rings);
  return pick(c, [
    () => pick(c, c.others),
    () => uuid(c.random),
    () => 'not-a-uuid',
    () => pick(c, c.rings).toUpperCase(),
    () => randomText(c.random, c.random.int(0, 80), 'abcdef0123456789-'),
    () => 5,
    () => null,
  ])();
}

/** A valid create: 1–3 rings, a far first wait (so the scheduler leaves it), sometimes a due-now one. */
function validCreate(c: Context): Record<string, unknown> {
  const rings = [...c.rings].sort(() => c.random.next() - 0.5).slice(0, c.random.int(1, 3));
  const soon = c.random.chance(0.1);
  const stages = rings.map((id, i) => ({
    deployment_group_id: id,
    wait: i === 0 ? (soon ? '0s' : '30d') : pick(c, VALID_WAITS),
  }));
  const body: Record<string, unknown> = {
    name: `fuzz rollout ${++c.counter}`,
    version_config: [
      {
        target_environment: pick(c, ['windows', 'macos', null]),
        version: `2026.${c.random.int(1, 12)}.${c.random.int(1, 999)}.0`,
      },
    ],
    stages,
  };
  if (soon && c.random.chance(0.5)) body.start_at = '2020-01-01T00:00:00Z';
  else if (!soon && c.random.chance(0.4)) body.start_at = pick(c, VALID_STARTS());
  return body;
}

/** A stage of the body to break (a copy, so that a repeated stage stays as it was), if it has one. */
function stageOf(c: Context, b: Record<string, any>): Record<string, unknown> | undefined {
  if (!Array.isArray(b.stages) || b.stages.length === 0) return undefined;
  const at = c.random.int(0, b.stages.length - 1);
  const stage = b.stages[at];
  if (typeof stage !== 'object' || stage === null || Array.isArray(stage)) return undefined;
  b.stages[at] = { ...stage };
  return b.stages[at];
}

/** One thing wrong (or, sometimes, several) with a valid create. */
const BREAKERS: ((c: Context, body: Record<string, any>) => void)[] = [
  (c, b) => {
    b.name = pick(c, ['', ' ', 5, null, 'x'.repeat(256), 'a\u0000b', 'a\u2028b']);
  },
  (c, b) => {
    b.version_config = pick(c, [
      [],
      null,
      [{ target_environment: 'linux', version: '2026.6.1.0' }],
      [{ target_environment: 'windows', version: 'latest' }],
      [
        { target_environment: 'windows', version: '2026.6.1.0' },
        { target_environment: 'windows', version: '2026.6.2.0' },
      ],
      Array.from({ length: 17 }, () => ({ target_environment: 'windows', version: '2026.6.1.0' })),
    ]);
  },
  (c, b) => {
    b.stages = c.random.chance(0.5)
      ? []
      : Array.from({ length: 21 }, () => ({ deployment_group_id: ring(c, false) }));
  },
  (_c, b) => {
    if (Array.isArray(b.stages)) b.stages = [...b.stages, b.stages[0]];
  },
  (c, b) => {
    const at = stageOf(c, b);
    if (at) at.deployment_group_id = ring(c, true);
  },
  (c, b) => {
    const at = stageOf(c, b);
    if (at) at.wait = c.random.chance(0.7) ? pick(c, BAD_WAITS) : pick(c, BAD_WAIT_VALUES);
  },
  (c, b) => {
    b.start_at = pick(c, BAD_STARTS)();
  },
  (c, b) => {
    b[pick(c, ['state', 'id', 'extra', 'Name'])] = 1;
  },
  (c, b) => {
    const at = stageOf(c, b);
    if (at) at.extra = true;
  },
  (c, b) => {
    delete b[pick(c, ['name', 'version_config', 'stages'])];
  },
  (c, b) => {
    b.stages = pick(c, [null, {}, 'ring', [null], [[]]]);
  },
];

export function rolloutCreate(c: Context): Case {
  const body: Record<string, any> = validCreate(c);
  const hostile = c.random.chance(0.6);
  if (hostile) for (let n = c.random.int(1, 2); n > 0; n--) pick(c, BREAKERS)(c, body);
  const text = c.random.chance(0.03) ? JSON.stringify([body]) : JSON.stringify(body);
  const now = Date.now();
  const served = createVerdict(JSON.parse(text), new Set(c.rings), now);
  return {
    kind: 'rollout-create',
    label: `create rollout ${text.slice(0, 200)}`,
    http: {
      method: 'POST',
      path: ROLLOUTS,
      headers: { authorization: bearer(c), 'content-type': 'application/json' },
      body: Buffer.from(text),
    },
    ...served,
    onSuccess: (answer) => {
      const state = answer.result.state as RolloutState;
      const fast = isFast(body as never, now);
      c.rollouts.set(answer.result.id, { possible: reachable(state, fast), fast, busy: false });
    },
    inspect: (answer) => createdProblem(answer.result, body),
    inspectFailure: (answer) => competingProblem(c, answer.errors, body),
  };
}

/** §8.5 409 2018: one error per colliding stage, its pointer, and meta naming the ring and an ACCOUNT rollout. */
function competingProblem(c: Context, errors: any[], body: Record<string, any>): string | undefined {
  for (const error of errors) {
    if (error.code !== 2018) continue;
    const at = /^\/stages\/(\d+)\/deployment_group_id$/.exec(error.source?.pointer ?? '');
    const stage = at ? body.stages?.[Number(at[1])] : undefined;
    if (!stage) return `a 2018 without a stage's pointer: ${JSON.stringify(error)}`;
    if (error.meta?.deployment_group_id !== stage.deployment_group_id)
      return `a 2018 naming another ring than its stage: ${JSON.stringify(error)}`;
    if (c.otherRollouts.includes(error.meta?.rollout_id) || typeof error.meta?.rollout_id !== 'string')
      return `a 2018 naming a rollout not of this account: ${JSON.stringify(error)}`;
  }
  return undefined;
}

function createdProblem(result: any, body: Record<string, any>): string | undefined {
  if (result.name !== body.name) return `created ${result.name}, asked for ${body.name}`;
  if (!['scheduled', 'running', 'completed'].includes(result.state)) return `a new rollout ${result.state}`;
  if (result.stages?.length !== body.stages.length) return 'a rollout with other stages than asked';
  return rolloutProblem(result);
}

/** An idle rollout of the fuzzer's, marked busy until its answer; undefined if none is idle. */
function takeRollout(c: Context): [string, KnownRollout] | undefined {
  const idle = [...c.rollouts].filter(([, known]) => !known.busy);
  if (idle.length === 0) return undefined;
  const taken = pick(c, idle);
  taken[1].busy = true;
  return taken;
}

/** A rollout id that is not the account's: unknown, another account's, not a UUID. */
function foreignId(c: Context): string {
  return pick(c, [
    () => uuid(c.random),
    () => (c.otherRollouts.length > 0 ? pick(c, c.otherRollouts) : uuid(c.random)),
    () => randomText(c.random, c.random.int(1, 60), 'abcdef0123456789-xyz_.~'),
    () => '..',
  ])();
}

/** A request naming one rollout: ours (its state known, busy while in flight) or a foreign one (404 2016). */
function onRollout(
  c: Context,
  kind: string,
  method: string,
  suffix: (id: string) => string,
  action?: string,
) {
  const taken = c.random.chance(0.8) ? takeRollout(c) : undefined;
  const id = taken?.[0] ?? foreignId(c);
  const request = {
    kind,
    label: `${method} rollout ${id.slice(0, 40)}${action ? ` ${action}` : ''}`,
    http: {
      method,
      path: `${ROLLOUTS}/${encodeURIComponent(id)}${suffix(id)}`,
      headers: { authorization: bearer(c) },
    },
  };
  return { request, id, known: taken?.[1] };
}

/** What a 200 naming a rollout must be: that rollout, in a state `states` allows. */
function sameRollout(id: string, states: readonly RolloutState[]) {
  return (answer: any): string | undefined => {
    if (answer.result?.id !== id) return `asked for rollout ${id}, got ${answer.result?.id}`;
    const problem = rolloutProblem(answer.result);
    if (problem) return problem;
    return states.includes(answer.result.state)
      ? undefined
      : `rollout ${id} ${answer.result.state}, not ${states.join('|')}`;
  };
}

/** After an answer: what a 200 says its state is, and the rollout free again. */
function release(known: KnownRollout | undefined) {
  return (status: number, body: any) => {
    if (!known) return;
    known.busy = false;
    const state = body?.result?.state;
    if (status === 200 && ROLLOUT_STATES.includes(state)) known.possible = reachable(state, known.fast);
  };
}

export function rolloutAction(c: Context): Case {
  const action = pick(c, ACTIONS);
  const { request, id, known } = onRollout(c, 'rollout-action', 'POST', () => `/${action}`, action);
  if (!known) return { ...request, ...unknownRollout };
  return {
    ...request,
    ...actionVerdict(action, known.possible),
    onAnswer: release(known),
    inspect: sameRollout(id, AFTER[action]),
  };
}

export function rolloutGet(c: Context): Case {
  const { request, id, known } = onRollout(c, 'rollout-get', 'GET', () => '');
  if (!known) return { ...request, ...unknownRollout };
  return {
    ...request,
    allowed: [{ status: 200 }],
    rule: 'get: a rollout of the account (§8.5)',
    onAnswer: release(known),
    inspect: sameRollout(id, [...known.possible]),
  };
}

const LIST_PARAMS: ((c: Context) => [string, string])[] = [
  (c) => ['state', pick(c, [...ROLLOUT_STATES, ...ROLLOUT_STATES, 'RUNNING', 'active', '', 'rolled-back'])],
  (c) => ['page', pick(c, ['1', '2', '0', '-1', '1.5', '', 'x'])],
  (c) => ['per_page', pick(c, ['1', '50', '100', '101', '0', '1e2'])],
];

export function rolloutList(c: Context): Case {
  const params = Array.from({ length: c.random.int(0, 3) }, () => pick(c, LIST_PARAMS)(c));
  const query = params.length > 0 ? `?${queryString(params)}` : '';
  const state = params.find(([k]) => k === 'state')?.[1];
  return {
    kind: 'rollout-list',
    label: `list rollouts ${query}`,
    http: { method: 'GET', path: `${ROLLOUTS}${query}`, headers: { authorization: bearer(c) } },
    ...listVerdict(params),
    inspect: (answer) => {
      if (!Array.isArray(answer.result)) return 'a list without its array';
      for (const rollout of answer.result) {
        if (c.otherRollouts.includes(rollout.id)) return `another account's rollout ${rollout.id} listed`;
        const problem = rolloutProblem(rollout);
        if (problem) return problem;
        if (state !== undefined && rollout.state !== state)
          return `state=${state} listed a ${rollout.state} one`;
      }
      return undefined;
    },
  };
}
