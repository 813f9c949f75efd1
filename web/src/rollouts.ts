// The Rollouts page (docs/contract.md §8.5): every rollout of the account, newest first, each a card with
// its rings as a timeline (rollouts-card.ts). Buttons only for a token that may write and only for the
// transitions a rollout's state allows; abort and rollback ask first. It refreshes itself while a
// rollout is still active, so a stage the scheduler applies shows up without a reload.
import { type Api, describeFailure, type Failure, isSignedOut } from './api.ts';
import { announce, h, replace } from './dom.ts';
import { parseTimestamp, plural, relativeTime } from './format.ts';
import type { Rollout, RolloutState } from './rollout-types.ts';
import { listAllGroups, listRollouts, rolloutAction } from './rollouts-api.ts';
import { type OnAction, rolloutCard } from './rollouts-card.ts';
import { confirmRolloutAction } from './rollouts-confirm.ts';
import {
  ACTION_LABELS,
  isActive,
  needsConfirmation,
  type RolloutAction,
  stateLabel,
} from './rollouts-logic.ts';
import type { Access } from './wire.ts';

const FILTERS: (RolloutState | 'all')[] = [
  'all',
  'scheduled',
  'running',
  'paused',
  'completed',
  'aborted',
  'rolled_back',
  'failed',
];
const REFRESH_MS = 5_000;

const DONE: Record<RolloutAction, string> = {
  pause: 'paused',
  resume: 'resumed',
  abort: 'aborted',
  rollback: 'rolled back',
};

export class RolloutsView {
  readonly root: HTMLElement;
  private rollouts: Rollout[] = [];
  private names = new Map<string, string>();
  private filter: RolloutState | 'all' = 'all';
  /** How many there are in all: only the newest page is shown. */
  private total = 0;
  private loadSeq = 0;
  private busy = false;
  private readonly heading = h('h1', { id: 'rollouts-title', tabindex: '-1' }, 'Rollouts');
  private readonly summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  private readonly readOnlyNote = h(
    'p',
    { class: 'read-only-note', hidden: true },
    h('strong', {}, 'Read only. '),
    'This token can look at rollouts but not pause, resume, abort or roll them back; that needs Zero Trust Write.',
  );
  private readonly body = h('div', { class: 'rollouts-body' });
  private readonly timer: number;

  constructor(
    private readonly api: Api,
    private readonly onSignedOut: (reason: string) => void,
    private access: Access | null = null,
  ) {
    const select = h(
      'select',
      { id: 'rollout-filter' },
      FILTERS.map((state) => h('option', { value: state }, state === 'all' ? 'All' : stateLabel(state))),
    );
    select.addEventListener('change', () => {
      this.filter = select.value as RolloutState | 'all';
      void this.load();
    });
    this.root = h(
      'section',
      { class: 'rollouts', 'aria-labelledby': 'rollouts-title' },
      h(
        'div',
        { class: 'toolbar' },
        h('div', { class: 'toolbar-title' }, this.heading, this.summary),
        h(
          'div',
          { class: 'toolbar-actions' },
          h('label', { class: 'per-page', for: 'rollout-filter' }, 'State', select),
          h('button', { type: 'button', class: 'button', onclick: () => this.load() }, 'Refresh'),
        ),
      ),
      this.readOnlyNote,
      this.body,
    );
    this.timer = window.setInterval(() => this.tick(), REFRESH_MS);
  }

  dispose(): void {
    window.clearInterval(this.timer);
    this.loadSeq++;
  }

  focusHeading(): void {
    this.heading.focus();
  }

  private get writable(): boolean {
    return this.access?.write === true;
  }

  /** Loads and shows the rollouts; false when it failed (the error is then on screen). */
  async load(): Promise<boolean> {
    const seq = ++this.loadSeq;
    if (!this.rollouts.length)
      replace(
        this.body,
        h(
          'p',
          { class: 'state loading', role: 'status' },
          h('span', { class: 'spinner' }),
          'Loading rollouts…',
        ),
      );
    const [rollouts, groups, access] = await Promise.all([
      listRollouts(this.api, this.filter === 'all' ? undefined : this.filter),
      listAllGroups(this.api),
      this.access ? null : this.api.getAccess(),
    ]);
    if (seq !== this.loadSeq) return false;
    const failed = !rollouts.ok ? rollouts : !groups.ok ? groups : access && !access.ok ? access : null;
    if (failed || !rollouts.ok || !groups.ok) {
      if (failed) this.showError(failed);
      return false;
    }
    if (access?.ok) this.access = access.result;
    this.names = new Map(groups.result.map((group) => [group.id, group.name]));
    this.rollouts = [...rollouts.result].sort((a, b) => b.created_at.localeCompare(a.created_at));
    this.total = rollouts.resultInfo?.total_count ?? this.rollouts.length;
    this.render();
    return true;
  }

  /** Brings a rollout's card on screen and gives it the focus (the ring cards link here). */
  showRollout(id: string): void {
    const card = document.getElementById(`rollout-${id}`);
    if (!card) {
      announce('That rollout is not in this list.');
      return;
    }
    card.scrollIntoView({ block: 'center' });
    card.focus({ preventScroll: true });
  }

  private async tick(): Promise<void> {
    const open = document.querySelector('dialog[open]');
    if (this.busy || open || !this.rollouts.some(isActive)) {
      this.refreshTimes();
      return;
    }
    await this.load();
  }

  private refreshTimes(): void {
    for (const time of this.root.querySelectorAll<HTMLTimeElement>('time.relative'))
      time.textContent = relativeTime(parseTimestamp(time.dateTime));
  }

  private showError(failure: Failure): void {
    if (isSignedOut(failure)) {
      this.onSignedOut('Your session ended: the token is no longer valid. Sign in again.');
      return;
    }
    this.rollouts = [];
    this.summary.textContent = '';
    replace(
      this.body,
      h(
        'div',
        { class: 'state error', role: 'alert' },
        h('p', {}, `Could not load rollouts: ${describeFailure(failure)}`),
        h('button', { type: 'button', class: 'button', onclick: () => this.load() }, 'Try again'),
      ),
    );
  }

  private render(): void {
    this.readOnlyNote.hidden = this.access === null || this.writable;
    const count = this.rollouts.length;
    this.summary.textContent = !count
      ? ''
      : this.total > count
        ? `The newest ${count} of ${plural(this.total, 'rollout', 'rollouts')}`
        : `${plural(count, 'rollout', 'rollouts')}, newest first`;
    if (!count) {
      replace(this.body, this.emptyState());
      return;
    }
    // Keep the keyboard focus on the same button (or card) across a refresh.
    const focused = document.activeElement;
    const card = focused?.closest('article.rollout');
    const action = focused instanceof HTMLElement ? focused.dataset.action : undefined;
    const onAction: OnAction | null = this.writable ? (r, a, e) => void this.act(r, a, e) : null;
    replace(
      this.body,
      h(
        'ol',
        { class: 'cards rollout-list', 'aria-label': 'Rollouts' },
        this.rollouts.map((rollout) => h('li', {}, rolloutCard(rollout, this.names, onAction))),
      ),
    );
    if (card && !card.isConnected) this.refocus(card.id, action);
  }

  private refocus(cardId: string, action: string | undefined): void {
    const card = document.getElementById(cardId);
    const button = action ? card?.querySelector<HTMLElement>(`[data-action="${action}"]`) : null;
    (button ?? card)?.focus();
  }

  private emptyState(): HTMLElement {
    return h(
      'div',
      { class: 'state empty' },
      h(
        'h2',
        {},
        this.filter === 'all' ? 'No rollouts yet' : `No ${stateLabel(this.filter).toLowerCase()} rollouts`,
      ),
      h(
        'p',
        {},
        'A rollout takes versions through your rings one after the other, with a wait between them. ' +
          'Start one with Promote… on the ring whose versions should move on.',
      ),
    );
  }

  private async act(rollout: Rollout, action: RolloutAction, error: HTMLElement): Promise<void> {
    if (this.busy) return;
    const cardId = `rollout-${rollout.id}`;
    if (needsConfirmation(action) && !(await confirmRolloutAction(rollout, action))) {
      this.refocus(cardId, action);
      return;
    }
    this.busy = true;
    const outcome = await rolloutAction(this.api, rollout.id, action);
    this.busy = false;
    if (!outcome.ok) {
      if (isSignedOut(outcome))
        return this.onSignedOut('Your session ended: the token is no longer valid. Sign in again.');
      error.hidden = false;
      replace(error, h('p', {}, `${ACTION_LABELS[action]} failed: ${describeFailure(outcome)}`));
      this.refocus(cardId, action);
      return;
    }
    announce(`Rollout “${rollout.name}” ${DONE[action]}.`);
    await this.load();
    this.refocus(cardId, undefined);
  }
}
