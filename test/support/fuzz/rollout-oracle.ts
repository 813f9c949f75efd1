// The oracle for rollouts (docs/contract.md §8.5) and version targets (§8.4), written from the contract and not
// from the code: for what was sent, the acceptable answers and the rule that decided them, and what a 200 may
// carry.
import { instant } from './change-oracle.ts';
import {
  isObject,
  nameViolation,
  type Outcome,
  POLICY_ID,
  queryVerdict,
  type Verdict,
  versionConfigViolation,
} from './oracle.ts';

const ok: Outcome = { status: 200 };
const invalid: Outcome = { status: 400, code: 2001 };
const notFound: Outcome = { status: 404, code: 2016 };
const wrongState: Outcome = { status: 409, code: 2017 };
const competing: Outcome = { status: 409, code: 2018 };
const verdict = (rule: string, ...allowed: Outcome[]): Verdict => ({ allowed, rule });

// ---------------------------------------------------------------------------------------------------
// §8.5 states and actions

export const ROLLOUT_STATES = [
  'scheduled',
  'running',
  'paused',
  'completed',
  'aborted',
  'rolled_back',
  'failed',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
export const ACTIONS = ['pause', 'resume', 'abort', 'rollback'] as const;
export type Action = (typeof ACTIONS)[number];

/** What the fuzzer knows of one of its rollouts: the states it may be in now. */
export interface KnownRollout {
  possible: Set<RolloutState>;
  /** A stage may fall due during the run: the scheduler may move it on by itself. */
  fast: boolean;
  /** A request naming it is in flight (its answer may change what it is). */
  busy: boolean;
}

/** Where the scheduler may take a rollout by itself (its rings are never deleted, and hold ≤ 3 entries). */
const SCHEDULER: Partial<Record<RolloutState, RolloutState[]>> = {
  scheduled: ['running', 'completed'],
  running: ['completed'],
};

/** The states a rollout seen in `state` may be in later, the scheduler left to run if it is fast. */
export function reachable(state: RolloutState, fast: boolean): Set<RolloutState> {
  return new Set([state, ...(fast ? (SCHEDULER[state] ?? []) : [])]);
}

const FROM: Record<Action, RolloutState[]> = {
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  abort: ['scheduled', 'running', 'paused'],
  rollback: ['scheduled', 'running', 'paused', 'completed', 'aborted', 'failed'],
};

/** The states a 200 to the action may leave (§8.5 "Actions"). */
export const AFTER: Record<Action, RolloutState[]> = {
  pause: ['paused'],
  resume: ['scheduled', 'running', 'completed'],
  abort: ['aborted'],
  rollback: ['rolled_back'],
};

/** POST …/rollouts/{id}/<action> on a rollout of the account that may be in any of `possible`. */
export function actionVerdict(action: Action, possible: Set<RolloutState>): Verdict {
  const states = [...possible];
  const allowed: Outcome[] = [];
  if (states.some((s) => FROM[action].includes(s))) allowed.push(ok);
  if (action === 'resume' && possible.has('paused')) allowed.push(competing);
  if (states.some((s) => !FROM[action].includes(s))) allowed.push(wrongState);
  return { allowed, rule: `${action} from ${states.join('|')} (§8.5 "Actions")` };
}

/** A rollout that is not the account's (unknown, another account's, not a UUID): 404 2016 (§8.5). */
export const unknownRollout = verdict('a rollout not of this account (§8.5)', notFound);

// ---------------------------------------------------------------------------------------------------
// §8.5 create

const WAIT = /^(\d{1,9})(s|m|h|d)$/;
const SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const YEAR = 365 * 86_400;

/** A `wait` in seconds, or undefined if it is not one (at most 9 digits, at most 365d). */
export function waitSeconds(wait: unknown): number | undefined {
  const parts = typeof wait === 'string' ? WAIT.exec(wait) : null;
  if (!parts) return undefined;
  const seconds = Number(parts[1]) * SECONDS[parts[2] as keyof typeof SECONDS];
  return seconds <= YEAR ? seconds : undefined;
}

const CREATE_FIELDS = new Set(['name', 'version_config', 'stages', 'start_at']);
const STAGE_FIELDS = new Set(['deployment_group_id', 'wait']);

function stagesViolation(stages: unknown, rings: ReadonlySet<string>): string | undefined {
  if (!Array.isArray(stages) || stages.length < 1 || stages.length > 20) return 'stages: 1–20';
  for (const stage of stages) {
    if (!isObject(stage)) return 'stages: objects';
    if (Object.keys(stage).some((k) => !STAGE_FIELDS.has(k))) return 'stages: no unknown fields';
    if (!rings.has(stage.deployment_group_id as string)) return 'stages: a group of this account';
    if (Object.hasOwn(stage, 'wait') && waitSeconds(stage.wait) === undefined)
      return 'stages: wait ^\\d{1,9}(s|m|h|d)$, at most 365d';
  }
  const ids = stages.map((stage) => stage.deployment_group_id);
  return new Set(ids).size === ids.length ? undefined : 'stages: no ring twice';
}

/** start_at: a real RFC 3339 instant at most 365 days ahead (generated values are far from the bound). */
function startAtViolation(v: unknown, now: number): string | undefined {
  const at = typeof v === 'string' ? instant(v) : undefined;
  if (!at || !/T/.test(v as string)) return 'start_at: an RFC 3339 date-time';
  return at[0] > now + YEAR * 1000 ? 'start_at: at most 365 days ahead' : undefined;
}

/** Which §8.5 create rule a parsed body breaks, if any; `rings` are the account's groups. */
export function rolloutBodyViolation(
  v: unknown,
  rings: ReadonlySet<string>,
  now: number,
): string | undefined {
  if (!isObject(v)) return 'body: an object';
  if (Object.keys(v).some((k) => !CREATE_FIELDS.has(k))) return 'body: no unknown fields';
  if (!Object.hasOwn(v, 'name') || !Object.hasOwn(v, 'version_config') || !Object.hasOwn(v, 'stages'))
    return 'name, version_config and stages required';
  return (
    nameViolation(v.name) ??
    versionConfigViolation(v.version_config) ??
    stagesViolation(v.stages, rings) ??
    (Object.hasOwn(v, 'start_at') ? startAtViolation(v.start_at, now) : undefined)
  );
}

/** POST …/rollouts: 400 2001 for a broken rule; else created, or 409 2018 if an active rollout holds a ring. */
export function createVerdict(body: unknown, rings: ReadonlySet<string>, now: number): Verdict {
  const problem = rolloutBodyViolation(body, rings, now);
  return problem
    ? verdict(`rollout ${problem} (§8.5)`, invalid)
    : verdict('a valid rollout: created, or 409 2018 (§8.5)', ok, competing);
}

/** Whether a valid create may see a stage fall due within a day (so the scheduler may move it on). */
export function isFast(body: { start_at?: string; stages: { wait?: string }[] }, now: number): boolean {
  const start = body.start_at === undefined ? now : (instant(body.start_at)?.[0] ?? now);
  const first = waitSeconds(body.stages[0]?.wait ?? '0s') ?? 0;
  return start + first * 1000 < now + 86_400_000;
}

/** GET …/rollouts?query: paging as §4, `state` one of the seven, each once. */
export function listVerdict(params: [string, string][]): Verdict {
  const paging = queryVerdict(params);
  if (paging.allowed.some((outcome) => outcome.status === 400)) return paging;
  const states = params.filter(([k]) => k === 'state').map(([, v]) => v);
  if (states.length > 1) return verdict('state: given once', invalid);
  const state = states[0];
  if (state !== undefined && !(ROLLOUT_STATES as readonly string[]).includes(state))
    return verdict('state: one of the seven (§8.5)', invalid);
  return verdict('a rollout list (§8.5)', ok);
}

// ---------------------------------------------------------------------------------------------------
// §8.4 version targets

export const ENVIRONMENTS = ['windows', 'macos'];

/**
 * GET …/version-targets?query: the document without parameters, one target with both, else 400. Other
 * parameters are ignored, as on every list (§4; §8.4's "unknown field … or a query" is a batch item).
 */
export function targetsQueryVerdict(params: [string, string][]): Verdict {
  const policy = params.filter(([k]) => k === 'policy_id').map(([, v]) => v);
  const environment = params.filter(([k]) => k === 'target_environment').map(([, v]) => v);
  if (policy.length > 1 || environment.length > 1) return verdict('a parameter given twice (§8.4)', invalid);
  if (policy.length !== environment.length)
    return verdict('policy_id with target_environment (§8.4)', invalid);
  if (policy.length === 0) return verdict('the document (§8.4)', ok);
  if (!POLICY_ID.test(policy[0] as string)) return verdict('policy_id as in a group (§8.4)', invalid);
  if (!ENVIRONMENTS.includes(environment[0] as string))
    return verdict('target_environment a configured one (§8.4)', invalid);
  return verdict('a version target or null (§8.4)', ok);
}

const QUERY_FIELDS = ['policy_id', 'target_environment'];

/** Which §8.4 rule a resolve body breaks, if any. */
export function resolveBodyViolation(v: unknown): string | undefined {
  if (!isObject(v)) return 'body: an object';
  if (Object.keys(v).some((k) => k !== 'queries')) return 'body: no unknown fields';
  const queries = v.queries;
  if (!Array.isArray(queries) || queries.length < 1 || queries.length > 1000) return 'queries: 1–1000';
  for (const query of queries) {
    if (!isObject(query)) return 'queries: objects';
    const keys = Object.keys(query);
    if (keys.length !== 2 || !QUERY_FIELDS.every((k) => keys.includes(k)))
      return 'queries: policy_id and target_environment, nothing else';
    if (typeof query.policy_id !== 'string' || !POLICY_ID.test(query.policy_id))
      return 'queries: policy_id as in a group';
    if (!ENVIRONMENTS.includes(query.target_environment as string))
      return 'queries: target_environment a configured one';
  }
  return undefined;
}

/** What the fuzzer knows a policy resolves to: a group and the version per environment, or none. */
export interface KnownPolicy {
  /** The group holding it in ACCOUNT; undefined: none does. */
  group?: string;
  /** Environment → version; an environment missing here resolves to null (2102). */
  versions?: Record<string, string>;
}

/** What is wrong with one answer (a target or null, and its message) for a known policy. */
export function targetProblem(
  known: KnownPolicy,
  query: { policy_id: string; target_environment: string },
  target: any,
  message: any,
): string | undefined {
  const label = `${query.policy_id}/${query.target_environment}`;
  if (known.group === undefined) {
    if (target !== null) return `${label}: a target for a policy no group of the account holds`;
    return message?.code === 2101 ? undefined : `${label}: message ${JSON.stringify(message)}, not 2101`;
  }
  const version = known.versions?.[query.target_environment];
  if (version === undefined) {
    if (target !== null) return `${label}: a target for an environment its group has no entry for`;
    return message?.code === 2102 ? undefined : `${label}: message ${JSON.stringify(message)}, not 2102`;
  }
  if (target?.deployment_group?.id !== known.group || target?.version !== version)
    return `${label}: answered ${JSON.stringify(target)}, not ${version} from ${known.group}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// §8.5 a rollout as any 200 carries it (rings are never deleted during a run, and hold at most 3 entries)

/** Stage states each rollout state allows (§8.5 "The rollout", "Actions"). */
const STAGES_IN: Record<RolloutState, string[]> = {
  scheduled: ['pending'],
  running: ['applied', 'pending'],
  paused: ['applied', 'pending', 'skipped'],
  completed: ['applied', 'skipped'],
  aborted: ['applied', 'skipped'],
  rolled_back: ['rolled_back', 'skipped'],
  failed: ['applied', 'pending', 'skipped'],
};

/** What is wrong with a rollout in a 200, if anything. */
export function rolloutProblem(rollout: any): string | undefined {
  const state = rollout?.state as RolloutState;
  if (!ROLLOUT_STATES.includes(state)) return `a rollout in state ${state}`;
  if (!Array.isArray(rollout.stages) || rollout.stages.length < 1) return 'a rollout without stages';
  const label = `rollout ${rollout.id} (${state})`;
  const states = rollout.stages.map((stage: any) => stage.state);
  const stray = states.find((s: string) => !STAGES_IN[state].includes(s));
  if (stray) return `${label} has a ${stray} stage: ${states.join(',')}`;
  if (state === 'running' && !(states.includes('applied') && states.includes('pending')))
    return `${label} with stages ${states.join(',')}`;
  // Stages apply in order: nothing applied after a stage still pending.
  const firstPending = states.indexOf('pending');
  if (firstPending >= 0 && states.slice(firstPending).some((s: string) => s !== 'pending' && s !== 'skipped'))
    return `${label}: a stage applied after a pending one: ${states.join(',')}`;
  // Due from the create on, while it may still apply or once it has (a skipped stage will never be due).
  if (rollout.stages[0].state !== 'skipped' && rollout.stages[0].due_at === null)
    return `${label}: the first stage has no due_at`;
  for (const [i, stage] of rollout.stages.entries()) {
    const applied = stage.state === 'applied' || stage.state === 'rolled_back';
    if (applied !== (stage.applied_at !== null))
      return `${label}: stage ${i} ${stage.state} with applied_at ${stage.applied_at}`;
    const replaced =
      Array.isArray(stage.replaced) && stage.replaced.length === rollout.version_config?.length;
    if (applied && !replaced)
      return `${label}: stage ${i} ${stage.state} replaced ${JSON.stringify(stage.replaced)}`;
  }
  return undefined;
}
