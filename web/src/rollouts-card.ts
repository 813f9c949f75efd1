// One rollout as a card: its name and state (and why), the versions it takes, its rings as a timeline
// (applied at, due at, pending, paused, rolled back) and, for a token that may write, the buttons for the
// transitions its state allows (rollouts-logic.ts). Errors from a button appear in the card.
import { h, hidden } from './dom.ts';
import { exactTime, parseTimestamp, relativeTime } from './format.ts';
import { versionList } from './ring-card.ts';
import type { Rollout, RolloutStage } from './rollout-types.ts';
import {
  ACTION_LABELS,
  allowedActions,
  describeWait,
  type RolloutAction,
  stageView,
  stateLabel,
} from './rollouts-logic.ts';

/** Called with the card's error slot, where a refusal is shown. */
export type OnAction = (rollout: Rollout, action: RolloutAction, error: HTMLElement) => void;

/** `names`: ring id → name; a ring not in it was deleted. `onAction` null: a read-only token, no buttons. */
export function rolloutCard(
  rollout: Rollout,
  names: Map<string, string>,
  onAction: OnAction | null,
): HTMLElement {
  const titleId = `rollout-${rollout.id}-name`;
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  return h(
    'article',
    {
      class: `card rollout state-${rollout.state}`,
      id: `rollout-${rollout.id}`,
      tabindex: '-1',
      'aria-labelledby': titleId,
    },
    h(
      'div',
      { class: 'rollout-head' },
      h('h2', { id: titleId, class: 'card-title' }, rollout.name),
      h('span', { class: `badge state-${rollout.state}` }, stateLabel(rollout.state)),
    ),
    rollout.state_reason ? h('p', { class: 'state-reason' }, rollout.state_reason) : null,
    versionList(rollout.version_config, 'Versions it sets'),
    h(
      'ol',
      { class: 'timeline', 'aria-label': 'Rings, in order' },
      rollout.stages.map((stage) => stageItem(stage, rollout, names)),
    ),
    h('p', { class: 'meta' }, ...origin(rollout)),
    h('p', { class: 'meta id' }, 'ID ', h('code', {}, rollout.id)),
    error,
    onAction ? actionButtons(rollout, onAction, error) : null,
  );
}

function timeElement(value: string): HTMLTimeElement {
  return h(
    'time',
    { class: 'relative', datetime: value, title: exactTime(value) },
    relativeTime(parseTimestamp(value)),
  );
}

function stageItem(stage: RolloutStage, rollout: Rollout, names: Map<string, string>): HTMLElement {
  const view = stageView(stage, rollout);
  const name = names.get(stage.deployment_group_id);
  return h(
    'li',
    { class: `stage stage-${view.kind}`, 'data-group': stage.deployment_group_id },
    h('span', { class: 'stage-marker', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'stage-body' },
      name
        ? h('a', { class: 'stage-ring', href: `#group=${stage.deployment_group_id}` }, name)
        : h(
            'span',
            { class: 'stage-ring deleted' },
            'Deleted ring ',
            h('code', {}, stage.deployment_group_id),
          ),
      h(
        'span',
        { class: 'stage-state' },
        view.label,
        view.time ? ' ' : null,
        view.time ? timeElement(view.time) : null,
      ),
      h('span', { class: 'stage-wait' }, `Wait: ${describeWait(stage.wait)}`),
    ),
  );
}

function origin(rollout: Rollout): (Node | string)[] {
  const who = rollout.created_by;
  // The credential that created it, by its name, else its email (a legacy key), else its id.
  const person = who.name || who.email || (who.id ? `credential ${who.id}` : null);
  const parts: (Node | string)[] = ['Created ', timeElement(rollout.created_at)];
  if (person) parts.push(` by ${person}`);
  if (rollout.state === 'scheduled') parts.push(' · starts ', timeElement(rollout.start_at));
  return parts;
}

function actionButtons(rollout: Rollout, onAction: OnAction, error: HTMLElement): HTMLElement | null {
  const actions = allowedActions(rollout);
  if (!actions.length) return null;
  return h(
    'div',
    { class: 'card-actions' },
    actions.map((action) =>
      h(
        'button',
        {
          type: 'button',
          class: action === 'abort' || action === 'rollback' ? 'button danger-outline' : 'button',
          'data-action': action,
          onclick: () => onAction(rollout, action, error),
        },
        ACTION_LABELS[action],
        hidden(` ${rollout.name}`),
      ),
    ),
  );
}
