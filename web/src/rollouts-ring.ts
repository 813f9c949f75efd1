// On a ring card: the active rollout that is moving this ring — its name (a link to it on the Rollouts
// page), which of its stages this ring is, and that stage's state and time.
import { h } from './dom.ts';
import { exactTime, parseTimestamp, relativeTime } from './format.ts';
import type { Rollout } from './rollout-types.ts';
import { activeRolloutFor, stageView, stateLabel } from './rollouts-logic.ts';

export function ringRolloutNote(groupId: string, rollouts: Rollout[]): HTMLElement | null {
  const found = activeRolloutFor(groupId, rollouts);
  if (!found) return null;
  const { rollout, stage, position } = found;
  const view = stageView(stage, rollout);
  return h(
    'p',
    { class: `ring-rollout stage-${view.kind}` },
    'Rollout ',
    h('a', { href: `#rollout=${rollout.id}` }, rollout.name),
    ` (${stateLabel(rollout.state).toLowerCase()}), stage ${position} of ${rollout.stages.length}: ${view.label}`,
    view.time
      ? h(
          'time',
          { class: 'relative', datetime: view.time, title: exactTime(view.time) },
          ` ${relativeTime(parseTimestamp(view.time))}`,
        )
      : null,
  );
}
