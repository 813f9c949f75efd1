// What the rollout views show and send, as pure functions (no DOM), so test/dashboard-rollouts-logic.test.ts
// checks them without a browser: which buttons a rollout offers, how each stage reads, the plan a Promote
// previews, the body it sends, and which rollout is moving a ring.
import type { Rollout, RolloutCreate, RolloutStage, RolloutState } from './rollout-types.ts';
import type { Group, VersionConfig } from './wire.ts';

export type RolloutAction = 'pause' | 'resume' | 'abort' | 'rollback';

/** States of a rollout that has not finished: it may still apply a stage (once resumed, if paused). */
export const ACTIVE_STATES: readonly RolloutState[] = ['scheduled', 'running', 'paused'];

const STATE_LABELS: Record<RolloutState, string> = {
  scheduled: 'Scheduled',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  aborted: 'Aborted',
  rolled_back: 'Rolled back',
  failed: 'Failed',
};

export function stateLabel(state: RolloutState): string {
  return STATE_LABELS[state] ?? state;
}

export function isActive(rollout: Rollout): boolean {
  return ACTIVE_STATES.includes(rollout.state);
}

/**
 * The transitions a rollout allows (the server's rules, src/rollouts/plan.ts), in button order: pause a
 * scheduled or running one, resume a paused one, abort an unfinished one, and roll back one that applied
 * at least one stage and is not rolled back yet (the server would also roll back one that applied none,
 * which changes nothing: no button for that).
 */
export function allowedActions(rollout: Rollout): RolloutAction[] {
  const actions: RolloutAction[] = [];
  if (rollout.state === 'scheduled' || rollout.state === 'running') actions.push('pause');
  if (rollout.state === 'paused') actions.push('resume');
  if (isActive(rollout)) actions.push('abort');
  const applied = rollout.stages.some((stage) => stage.state === 'applied');
  if (applied && rollout.state !== 'rolled_back') actions.push('rollback');
  return actions;
}

export const ACTION_LABELS: Record<RolloutAction, string> = {
  pause: 'Pause',
  resume: 'Resume',
  abort: 'Abort',
  rollback: 'Roll back',
};

/** Abort and rollback cannot be taken back: the dashboard asks first. */
export function needsConfirmation(action: RolloutAction): boolean {
  return action === 'abort' || action === 'rollback';
}

export type StageKind = 'applied' | 'due' | 'waiting' | 'paused' | 'skipped' | 'rolled_back' | 'stopped';

export interface StageView {
  kind: StageKind;
  /** "Applied", "Due", "Paused"…, the words beside the ring's name. */
  label: string;
  /** The time the label is about (applied_at or due_at), or null. */
  time: string | null;
}

/** How one stage reads on the timeline, given its rollout's state. */
export function stageView(stage: RolloutStage, rollout: Rollout): StageView {
  if (stage.state === 'applied') return { kind: 'applied', label: 'Applied', time: stage.applied_at };
  if (stage.state === 'rolled_back')
    return { kind: 'rolled_back', label: 'Rolled back', time: stage.applied_at };
  if (stage.state === 'skipped') return { kind: 'skipped', label: 'Skipped', time: null };
  if (rollout.state === 'paused') return { kind: 'paused', label: 'Paused', time: stage.due_at };
  if (!isActive(rollout)) return { kind: 'stopped', label: 'Not applied', time: null };
  if (stage.due_at) return { kind: 'due', label: 'Due', time: stage.due_at };
  return { kind: 'waiting', label: `Pending: ${describeWait(stage.wait)} after the ring before`, time: null };
}

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** "24h", "30m", "0s", "7d" (the API's form: one number, one unit) → seconds; null for anything else. */
export function parseWait(text: string): number | null {
  const match = /^(\d{1,9})([dhms])$/.exec(text.trim());
  return match ? Number(match[1]) * (UNIT_SECONDS[match[2] as string] ?? 0) : null;
}

/** "24h" → "24 hours", "0s" → "no wait". */
export function describeWait(wait: string): string {
  const seconds = parseWait(wait);
  if (seconds === null) return wait;
  if (seconds === 0) return 'no wait';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size, one] of [
    ['days', 86_400, 'day'],
    ['hours', 3_600, 'hour'],
    ['minutes', 60, 'minute'],
    ['seconds', 1, 'second'],
  ] as const) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count) parts.push(`${count} ${count === 1 ? one : unit}`);
  }
  return parts.join(' ');
}

/** The default wait before stage `index`: the first ring right at the start, each later one a day after. */
export function defaultWait(index: number): string {
  return index === 0 ? '0s' : '24h';
}

export interface PlannedStage {
  group: Pick<Group, 'id' | 'name'>;
  wait: string;
  /** When the stage falls due if every stage before it applies on time; null when a wait is not valid. */
  dueAt: Date | null;
}

/** The schedule a Promote previews: each stage's wait counted from the one before, the first from the start. */
export function planStages(
  start: Date,
  stages: { group: Pick<Group, 'id' | 'name'>; wait: string }[],
): PlannedStage[] {
  let at: number | null = start.getTime();
  return stages.map(({ group, wait }) => {
    const seconds = parseWait(wait);
    at = at === null || seconds === null ? null : at + seconds * 1000;
    return { group, wait, dueAt: at === null ? null : new Date(at) };
  });
}

/** The ring's entries for the chosen environments (null is "All other environments"). */
export function chosenVersions(versions: VersionConfig[], environments: (string | null)[]): VersionConfig[] {
  return versions.filter((entry) => environments.includes(entry.target_environment));
}

/** The POST body of a Promote; `startAt` null starts now (the API's default). */
export function promoteBody(input: {
  name: string;
  versions: VersionConfig[];
  stages: { groupId: string; wait: string }[];
  startAt: Date | null;
}): RolloutCreate {
  return {
    name: input.name.trim(),
    version_config: input.versions,
    stages: input.stages.map((stage) => ({ deployment_group_id: stage.groupId, wait: stage.wait.trim() })),
    ...(input.startAt ? { start_at: input.startAt.toISOString() } : {}),
  };
}

/** A name to start from: "Ring 0 → Ring 1, Ring 2: windows 2026.6.822.1". */
export function suggestedName(source: Pick<Group, 'name'>, versions: VersionConfig[]): string {
  const distinct = [...new Set(versions.map((entry) => entry.version))];
  return `Promote ${distinct.join(', ') || 'versions'} from ${source.name}`;
}

/** The rings after `source` in the API's order (creation order), the ones a Promote may reach. */
export function ringsAfter(groups: Group[], sourceId: string): Group[] {
  const index = groups.findIndex((group) => group.id === sourceId);
  return index < 0 ? [] : groups.slice(index + 1);
}

export interface RingRollout {
  rollout: Rollout;
  stage: RolloutStage;
  /** 1-based, for "stage 2 of 3". */
  position: number;
}

/** The active rollout with a stage for this ring (the newest if several), or null. */
export function activeRolloutFor(groupId: string, rollouts: Rollout[]): RingRollout | null {
  const candidates = rollouts
    .filter(isActive)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  for (const rollout of candidates) {
    const index = rollout.stages.findIndex((stage) => stage.deployment_group_id === groupId);
    if (index >= 0) return { rollout, stage: rollout.stages[index] as RolloutStage, position: index + 1 };
  }
  return null;
}

/** "datetime-local" input value (local time, minutes) → Date; null when empty or not a time. */
export function parseLocalTime(value: string): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
