// What each change of a rollout does (docs/contract.md §8.5), as pure steps a store runs inside one
// transaction with the rollout and its rings locked (store.ts `RolloutStep`): applying the due stage,
// pause, resume, abort and rollback. No I/O here; the clock is src/clock.ts (tests move it).
import type { AuditContext } from '../audit/model.ts';
import { formatTimestamp, nowAfter, nowNanos, parseTimestamp } from '../clock.ts';
import { MAX_VERSION_CONFIG_ENTRIES, type VersionConfigEntry } from '../deployment-groups/model.ts';
import { changed } from '../deployment-groups/service.ts';
import { ApiError, ERRORS } from '../errors.ts';
import type { RingWrite, RolloutStep, RolloutView, RolloutWrite, StoredGroup } from '../store/store.ts';
import { ACTIVE_STATES, type ReplacedEntry, type Rollout, type RolloutState, type Stage } from './model.ts';

const NANOS: Record<string, bigint> = {
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

/** A wait (`24h`) in nanoseconds. */
export function waitNanos(wait: string): bigint {
  return BigInt(wait.slice(0, -1)) * (NANOS[wait.slice(-1)] as bigint);
}

/** `at` + `wait`, as a timestamp. */
export function dueAfter(at: string, wait: string): string {
  return formatTimestamp(parseTimestamp(at) + waitNanos(wait));
}

/** Ringmaster itself, applying a stage of this rollout: actor `system`, interface `rollout` (§8.2). */
export function rolloutAudit(rollout: Rollout): AuditContext {
  return {
    actor_type: 'system',
    actor_id: rollout.id,
    actor_name: rollout.name,
    actor_email: null,
    actor_ip: null,
    interface: 'rollout',
    ray_id: null,
    method: null,
    uri: null,
    status: null,
    user_agent: null,
  };
}

export function isActive(state: RolloutState): boolean {
  return ACTIVE_STATES.includes(state);
}

/** The rings a rollout sets, each with the environments it sets there. */
function claims(rollout: Rollout): Set<string> {
  const keys = new Set<string>();
  for (const stage of rollout.stages) {
    if (stage.state === 'skipped') continue;
    for (const entry of rollout.version_config) {
      keys.add(`${stage.deployment_group_id} ${entry.target_environment}`);
    }
  }
  return keys;
}

/**
 * Refuses `rollout` if an active rollout of `others` sets the same environment of the same ring: one
 * error per stage that collides, pointing at its ring, naming the other rollout (409 2018).
 */
export function checkConflicts(rollout: Rollout, others: Rollout[]): void {
  const theirs = others.filter((other) => other.id !== rollout.id && isActive(other.state));
  const details = rollout.stages.flatMap((stage, i) => {
    const other = theirs.find((candidate) =>
      rollout.version_config.some((entry) =>
        claims(candidate).has(`${stage.deployment_group_id} ${entry.target_environment}`),
      ),
    );
    if (!other) return [];
    return [
      {
        code: ERRORS.rolloutConflict.code,
        message: `rollout ${other.id} already sets the same environment of deployment group ${stage.deployment_group_id}`,
        source: { pointer: `/stages/${i}/deployment_group_id` },
        meta: { deployment_group_id: stage.deployment_group_id, rollout_id: other.id },
      },
    ];
  });
  if (details.length > 0) throw new ApiError('rolloutConflict', { details });
}

/** The rollout with `fields`, its updated_at moved forward. */
function updated(rollout: Rollout, fields: Partial<Rollout>): Rollout {
  return { ...rollout, ...fields, updated_at: nowAfter(rollout.updated_at) };
}

function refuse(rollout: Rollout, action: string): never {
  throw new ApiError('rolloutState', {
    details: [
      {
        code: ERRORS.rolloutState.code,
        message: `a rollout that is ${rollout.state.replace('_', ' ')} cannot be ${action}`,
      },
    ],
  });
}

const unchanged = (view: RolloutView): RolloutWrite => ({ rollout: view.rollout, rings: [] });
const nextPending = (rollout: Rollout) => rollout.stages.findIndex((stage) => stage.state === 'pending');

/** The ring's entries with the rollout's set (missing ones added at the end), and what they replaced. */
export function merge(
  ring: VersionConfigEntry[],
  versions: VersionConfigEntry[],
): { entries: VersionConfigEntry[]; replaced: ReplacedEntry[] } {
  const entries = ring.map((entry) => ({ ...entry }));
  const replaced = versions.map(({ target_environment, version }) => {
    const held = entries.find((entry) => entry.target_environment === target_environment);
    if (!held) {
      entries.push({ target_environment, version });
      return { target_environment, version: null };
    }
    const before = held.version;
    held.version = version;
    return { target_environment, version: before };
  });
  return { entries, replaced };
}

/** Applies the rollout's next stage if it is due at `at`; otherwise (no longer due, not active) nothing. */
export function applyDueStage(at: string): RolloutStep {
  return {
    rings: (rollout) => {
      const stage = rollout.stages[nextPending(rollout)];
      return stage ? [stage.deployment_group_id] : [];
    },
    run(view) {
      const { rollout } = view;
      const index = nextPending(rollout);
      const stage = rollout.stages[index];
      if (!isActive(rollout.state) || !stage || stage.due_at === null || stage.due_at > at) {
        return unchanged(view);
      }
      const ring = view.rings.get(stage.deployment_group_id);
      if (!ring) {
        const reason = `deployment group ${stage.deployment_group_id} of stage ${index + 1} no longer exists; resume skips the stage`;
        return { rollout: updated(rollout, { state: 'paused', state_reason: reason }), rings: [] };
      }
      return applyStage(rollout, index, ring, at);
    },
  };
}

/** The stage applied at `appliedAt` (the tick's instant, so that the next one is due exactly its wait later). */
function applyStage(rollout: Rollout, index: number, ring: StoredGroup, appliedAt: string): RolloutWrite {
  const { entries, replaced } = merge(ring.group.version_config, rollout.version_config);
  if (entries.length > MAX_VERSION_CONFIG_ENTRIES) {
    const reason = `stage ${index + 1} would give deployment group ${ring.group.id} more than ${MAX_VERSION_CONFIG_ENTRIES} version_config entries`;
    return { rollout: updated(rollout, { state: 'failed', state_reason: reason }), rings: [] };
  }
  const next = changed(ring.group, { ...ring.group, version_config: entries });
  const stages = rollout.stages.map((stage, i): Stage => {
    if (i === index) return { ...stage, state: 'applied', applied_at: appliedAt, replaced };
    if (i === index + 1) return { ...stage, due_at: dueAfter(appliedAt, stage.wait) };
    return stage;
  });
  const state: RolloutState = index === stages.length - 1 ? 'completed' : 'running';
  const rings: RingWrite[] =
    next === ring.group ? [] : [{ current: ring, next, audit: { context: rolloutAudit(rollout) } }];
  return { rollout: updated(rollout, { state, state_reason: null, stages }), rings };
}

const none = () => [];

export const pause: RolloutStep = {
  rings: none,
  run(view) {
    if (!isActive(view.rollout.state)) refuse(view.rollout, 'paused');
    return { rollout: updated(view.rollout, { state: 'paused', state_reason: null }), rings: [] };
  },
};

/**
 * Back to scheduled or running: the due time of every pending stage moves by the time paused (since
 * updated_at, which nothing moves while paused). A next stage whose ring was deleted is skipped, the one
 * after it due its wait from now. Checked against the other active rollouts (409 2018).
 */
export const resume: RolloutStep = {
  rings: (rollout) =>
    rollout.stages.filter((stage) => stage.state === 'pending').map((stage) => stage.deployment_group_id),
  others: true,
  run(view) {
    const { rollout } = view;
    if (rollout.state !== 'paused') refuse(rollout, 'resumed');
    const at = nowNanos();
    const paused = at - parseTimestamp(rollout.updated_at);
    const shift = (due: string | null) =>
      due === null ? null : formatTimestamp(parseTimestamp(due) + (paused > 0n ? paused : 0n));
    const stages = rollout.stages.map((stage) =>
      stage.state === 'pending' ? { ...stage, due_at: shift(stage.due_at) } : stage,
    );
    const now = formatTimestamp(at);
    for (let i = nextPending({ ...rollout, stages }); i >= 0; i = nextPending({ ...rollout, stages })) {
      const stage = stages[i] as Stage;
      if (view.rings.has(stage.deployment_group_id)) break;
      stages[i] = { ...stage, state: 'skipped', due_at: null };
      const following = stages[i + 1];
      if (following) stages[i + 1] = { ...following, due_at: dueAfter(now, following.wait) };
    }
    const started = stages.some((stage) => stage.state !== 'pending');
    const done = !stages.some((stage) => stage.state === 'pending');
    const state: RolloutState = done ? 'completed' : started ? 'running' : 'scheduled';
    const next = updated(rollout, { state, state_reason: null, stages });
    checkConflicts(next, view.others);
    return { rollout: next, rings: [] };
  },
};

export const abort: RolloutStep = {
  rings: none,
  run(view) {
    const { rollout } = view;
    if (!isActive(rollout.state) && rollout.state !== 'paused') refuse(rollout, 'aborted');
    const stages = rollout.stages.map((stage) =>
      stage.state === 'pending' ? { ...stage, state: 'skipped' as const, due_at: null } : stage,
    );
    return { rollout: updated(rollout, { state: 'aborted', state_reason: null, stages }), rings: [] };
  },
};

/**
 * Restores what each applied stage replaced, last stage first, one revision (and audit entry, by
 * `audit`) per ring; pending stages are skipped. A ring deleted since keeps its stage `applied`, named in
 * state_reason.
 */
export function rollback(audit: AuditContext): RolloutStep {
  return {
    rings: (rollout) =>
      rollout.stages.filter((stage) => stage.state === 'applied').map((stage) => stage.deployment_group_id),
    run(view) {
      const { rollout } = view;
      if (rollout.state === 'rolled_back') refuse(rollout, 'rolled back');
      const rings: RingWrite[] = [];
      const missing: string[] = [];
      const stages = [...rollout.stages];
      for (let i = stages.length - 1; i >= 0; i--) {
        const stage = stages[i] as Stage;
        if (stage.state === 'pending') stages[i] = { ...stage, state: 'skipped', due_at: null };
        if (stage.state !== 'applied') continue;
        const ring = view.rings.get(stage.deployment_group_id);
        if (!ring) {
          missing.push(stage.deployment_group_id);
          continue;
        }
        const entries = restore(ring.group.version_config, stage.replaced ?? []);
        const next = changed(ring.group, { ...ring.group, version_config: entries });
        if (next !== ring.group)
          rings.push({ current: ring, next, audit: { context: audit, action: 'revert' } });
        stages[i] = { ...stage, state: 'rolled_back' };
      }
      const reason =
        missing.length === 0 ? null : `not restored: deployment group ${missing.join(', ')} no longer exists`;
      return { rollout: updated(rollout, { state: 'rolled_back', state_reason: reason, stages }), rings };
    },
  };
}

/** The ring's entries with each replaced one put back (removed where there was none before). */
export function restore(ring: VersionConfigEntry[], replaced: ReplacedEntry[]): VersionConfigEntry[] {
  let entries = ring.map((entry) => ({ ...entry }));
  for (const { target_environment, version } of replaced) {
    const held = entries.find((entry) => entry.target_environment === target_environment);
    if (version === null) {
      // A group keeps at least one entry (docs/contract.md §4).
      if (entries.length > 1) entries = entries.filter((entry) => entry !== held);
    } else if (held) held.version = version;
    else entries.push({ target_environment, version });
  }
  return entries;
}
