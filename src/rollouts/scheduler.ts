// The rollout scheduler (docs/contract.md §8.5, docs/decisions/0013-rollout-scheduler.md): every server
// process runs one, started and stopped with the app. Each tick applies every stage due by the clock's
// now, one transaction per stage; the store takes each due stage's row so that, across replicas and
// restarts, each stage is applied exactly once. The first tick runs at start, so a stage that fell due
// while no server ran applies then.
import type { FastifyBaseLogger } from 'fastify';
import { formatTimestamp, nowNanos } from '../clock.ts';
import type { Store } from '../store/store.ts';
import type { Rollout } from './model.ts';
import { applyDueStage } from './plan.ts';

/** How often each process looks for due stages: "within a few seconds of due". */
export const ROLLOUT_TICK_MS = 1_000;
/** Stages applied per tick at most, so a tick always ends (the rest go next tick). */
const MAX_PER_TICK = 1_000;

export interface RolloutScheduler {
  /** Applies every stage due now (after the tick in progress, if any); resolves to how many changed. */
  tick(): Promise<number>;
  /** No tick starts after this; resolves once the one in progress has ended. */
  stop(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's rollout scheduler (tests trigger a tick directly). */
    rolloutScheduler: RolloutScheduler;
  }
}

/**
 * Advances due rollouts until none is due, MAX_PER_TICK, or `stopped()` (a shutdown waits for one apply,
 * not for a backlog); resolves to how many it changed.
 */
export async function advanceDue(
  store: Store,
  log: FastifyBaseLogger,
  stopped: () => boolean = () => false,
): Promise<number> {
  let changed = 0;
  for (; changed < MAX_PER_TICK && !stopped(); changed++) {
    const at = formatTimestamp(nowNanos());
    const rollout = await store.advanceDueRollout(at, applyDueStage(at));
    if (!rollout) break;
    logAdvance(log, rollout);
  }
  return changed;
}

function logAdvance(log: FastifyBaseLogger, rollout: Rollout): void {
  const applied = rollout.stages.filter((stage) => stage.state === 'applied').length;
  log.info(
    { rollout_id: rollout.id, state: rollout.state, stages_applied: applied, reason: rollout.state_reason },
    'rollout advanced',
  );
}

/** Ticks every `intervalMs` (and once at once) until stopped; a failed tick is logged and retried. */
export function startRolloutScheduler(
  store: Store,
  log: FastifyBaseLogger,
  intervalMs = ROLLOUT_TICK_MS,
): RolloutScheduler {
  let running: Promise<number> = Promise.resolve(0);
  let stopped = false;
  const tick = (): Promise<number> => {
    running = running
      .catch(() => 0)
      .then(() => (stopped ? 0 : advanceDue(store, log, () => stopped)))
      .catch((error: unknown) => {
        log.warn({ err: error }, 'applying due rollout stages failed; retrying next tick');
        return 0;
      });
    return running;
  };
  let busy = false;
  const onTimer = () => {
    // Ticks never pile up behind a slow one.
    if (busy) return;
    busy = true;
    void tick().finally(() => {
      busy = false;
    });
  };
  const timer = setInterval(onTimer, intervalMs);
  // Never what keeps the process alive.
  timer.unref();
  setImmediate(onTimer);
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
