// One ring as a card: name, the version per environment, its policies, when it changed, its ID, History,
// and — for a token that may write — Edit and Delete.
import { h, hidden } from './dom.ts';
import { environmentLabel, exactTime, parseTimestamp, plural, relativeTime } from './format.ts';
import type { Group, VersionConfig } from './wire.ts';

export interface CardActions {
  edit(group: Group): void;
  remove(group: Group): void;
  history(group: Group): void;
  /** Starts a rollout of this ring's versions to the rings after it (promote.ts); none on the last ring. */
  promote?(group: Group): void;
}

/**
 * The card; for a read-only token (`writable` false) History is its only button. `extra`: more to show
 * on it (the rollout moving the ring, rollouts-ring.ts).
 */
export function ringCard(
  group: Group,
  actions: CardActions,
  writable: boolean,
  extra: Node | null = null,
): HTMLElement {
  const titleId = `group-${group.id}-name`;
  return h(
    'article',
    { class: 'card', id: `group-${group.id}`, tabindex: '-1', 'aria-labelledby': titleId },
    h('h2', { id: titleId, class: 'card-title' }, group.name),
    versionList(group.version_config, 'Client versions'),
    policyList(group.policy_ids ?? []),
    extra,
    h(
      'div',
      { class: 'meta-block' },
      h(
        'p',
        { class: 'meta' },
        'Updated ',
        h(
          'time',
          { class: 'relative', datetime: group.updated_at, title: exactTime(group.updated_at) },
          relativeTime(parseTimestamp(group.updated_at)),
        ),
      ),
      h('p', { class: 'meta id' }, 'ID ', h('code', {}, group.id)),
    ),
    cardButtons(group, actions, writable),
  );
}

/** The version per environment, as on a ring card (a rollout's card shows the versions it sets alike). */
export function versionList(entries: VersionConfig[], label: string): HTMLElement {
  return h(
    'dl',
    { class: 'versions', 'aria-label': label },
    entries.map((entry) =>
      h(
        'div',
        { class: entry.target_environment === null ? 'version fallback' : 'version' },
        h('dt', {}, environmentLabel(entry.target_environment)),
        h('dd', {}, h('code', {}, entry.version)),
      ),
    ),
  );
}

function policyList(policies: string[]): HTMLElement {
  if (!policies.length) return h('p', { class: 'policies none' }, 'No policies');
  return h(
    'details',
    { class: 'policies' },
    h('summary', {}, plural(policies.length, 'policy', 'policies')),
    h(
      'ul',
      {},
      policies.map((id) => h('li', {}, h('code', {}, id))),
    ),
  );
}

function cardButtons(group: Group, actions: CardActions, writable: boolean): HTMLElement {
  const button = (action: string, label: string, className: string, run: (group: Group) => void) =>
    h(
      'button',
      { type: 'button', class: className, 'data-action': action, onclick: () => run(group) },
      label,
      hidden(` ${group.name}`),
    );
  return h(
    'div',
    { class: 'card-actions' },
    writable ? button('edit', 'Edit', 'button', actions.edit) : null,
    writable ? button('delete', 'Delete', 'button danger-outline', actions.remove) : null,
    button('history', 'History', 'button', actions.history),
    writable && actions.promote ? button('promote', 'Promote…', 'button', actions.promote) : null,
  );
}
