// The signed-in view: the account's rings as cards in creation order (the API's list order), paged with
// the API's own page / per_page, with loading, empty and error states. What the token may do comes from
// the access route (docs/contract.md §8.0): a read-only token is shown no button it could only be refused.
// Edit and Delete first read the ring (its ETag, §8.1), so a change made meanwhile is never overwritten.
import { type Api, describeFailure, type Failure, isSignedOut } from './api.ts';
import { confirmDelete } from './confirm-delete.ts';
import { announce, h, hidden, replace } from './dom.ts';
import { parseTimestamp, plural, relativeTime } from './format.ts';
import { openHistory } from './history-view.ts';
import { openPromoteDialog } from './promote.ts';
import { type CardActions, ringCard } from './ring-card.ts';
import { type FormValues, openRingDialog } from './ring-form.ts';
import type { Rollout } from './rollout-types.ts';
import { listAllGroups, unfinishedRollouts } from './rollouts-api.ts';
import { ringRolloutNote } from './rollouts-ring.ts';
import { type Access, type Group, MAX_PER_PAGE, type ResultInfo } from './wire.ts';

export const PER_PAGE_CHOICES = [10, 25, 50, MAX_PER_PAGE];
const DEFAULT_PER_PAGE = 25;
/** The API's largest page, used to find which page holds a given group. */
const SCAN_PAGE_SIZE = MAX_PER_PAGE;
const DEFAULT_ENVIRONMENTS = ['windows', 'macos'];

export class RingsView {
  readonly root: HTMLElement;
  private page = 1;
  private perPage = DEFAULT_PER_PAGE;
  private groups: Group[] = [];
  private info: ResultInfo | null = null;
  /** The account's rollouts, for the note on each ring a rollout is moving (none if they failed to load). */
  private rollouts: Rollout[] = [];
  /** Bumped by every load, so a slow answer for an older page never overwrites a newer one. */
  private loadSeq = 0;
  /** What the user typed before following a conflict link, per group being edited (null: a new ring). */
  private draft: { groupId: string | null; values: FormValues; etag: string | null } | null = null;
  private readonly heading: HTMLHeadingElement;
  private readonly summary: HTMLParagraphElement;
  private readonly body: HTMLDivElement;
  private readonly newButton: HTMLButtonElement;
  private readonly readOnlyNote: HTMLParagraphElement;
  private readonly clock: number;

  constructor(
    private readonly api: Api,
    private readonly onSignedOut: (reason: string) => void,
    /** What the token may do here, when the caller knows already (sign-in asked); else the first load asks. */
    private access: Access | null = null,
  ) {
    this.heading = h('h1', { id: 'rings-title', tabindex: '-1' }, 'Rings');
    this.summary = h('p', { class: 'summary', 'aria-live': 'polite' });
    this.newButton = h(
      'button',
      { type: 'button', class: 'button primary', hidden: true, onclick: () => this.create(this.newButton) },
      'New ring',
    );
    this.readOnlyNote = h(
      'p',
      { class: 'read-only-note', hidden: true },
      h('strong', {}, 'Read only. '),
      'This token can look at rings but not change them; changes need a token with Zero Trust Write.',
    );
    const refresh = h(
      'button',
      { type: 'button', class: 'button', onclick: () => this.load(this.page) },
      'Refresh',
    );
    this.body = h('div', { class: 'rings-body' });
    this.root = h(
      'section',
      { class: 'rings', 'aria-labelledby': 'rings-title' },
      h(
        'div',
        { class: 'toolbar' },
        h('div', { class: 'toolbar-title' }, this.heading, this.summary),
        h(
          'div',
          { class: 'toolbar-actions' },
          h('a', { class: 'button', href: '#audit' }, 'Audit log'),
          refresh,
          this.newButton,
        ),
      ),
      this.readOnlyNote,
      this.body,
    );
    // "3 minutes ago" keeps telling the truth while the page stays open.
    this.clock = window.setInterval(() => this.refreshTimes(), 30_000);
  }

  dispose(): void {
    window.clearInterval(this.clock);
    this.loadSeq++;
  }

  focusHeading(): void {
    this.heading.focus();
  }

  /** Loads and shows a page; false when it failed (the error state is then on screen). */
  async load(page: number): Promise<boolean> {
    const seq = ++this.loadSeq;
    this.root.setAttribute('aria-busy', 'true');
    if (!this.groups.length || page !== this.page) {
      replace(
        this.body,
        h('p', { class: 'state loading', role: 'status' }, h('span', { class: 'spinner' }), 'Loading rings…'),
      );
    }
    const [outcome, access, rollouts] = await Promise.all([
      this.api.listGroups(page, this.perPage),
      this.access ? null : this.api.getAccess(),
      unfinishedRollouts(this.api),
    ]);
    this.rollouts = rollouts;
    if (seq !== this.loadSeq) return false;
    this.root.removeAttribute('aria-busy');
    const failed = !outcome.ok ? outcome : access && !access.ok ? access : null;
    if (failed) {
      this.showLoadError(failed, page);
      return false;
    }
    if (access?.ok) this.access = access.result;
    if (!outcome.ok) return false;
    const info = outcome.resultInfo ?? null;
    // Past the end (the last ring of the last page was deleted, say): show the last page that exists.
    if (outcome.result.length === 0 && info && info.total_count > 0 && page > 1) {
      return this.load(Math.max(1, info.total_pages));
    }
    this.page = page;
    this.groups = outcome.result;
    this.info = info;
    this.render();
    return true;
  }

  private showLoadError(failure: Failure, page: number): void {
    if (isSignedOut(failure)) {
      this.onSignedOut('Your session ended: the token is no longer valid. Sign in again.');
      return;
    }
    this.groups = [];
    this.summary.textContent = '';
    const message =
      failure.status === 403
        ? 'This token has no access to this account any more.'
        : `Could not load rings: ${describeFailure(failure)}`;
    replace(
      this.body,
      h(
        'div',
        { class: 'state error', role: 'alert' },
        h('p', {}, message),
        h('button', { type: 'button', class: 'button', onclick: () => this.load(page) }, 'Try again'),
      ),
    );
  }

  /** Whether the token may change rings: until the access route has answered, assume not. */
  private get writable(): boolean {
    return this.access?.write === true;
  }

  private render(): void {
    this.newButton.hidden = !this.writable;
    this.readOnlyNote.hidden = this.access === null || this.writable;
    const total = this.info?.total_count ?? this.groups.length;
    this.summary.textContent = total ? `${plural(total, 'ring', 'rings')}, oldest first` : '';
    if (total === 0) {
      replace(this.body, this.emptyState());
      return;
    }
    const first = (this.page - 1) * this.perPage;
    replace(
      this.body,
      h(
        'ol',
        {
          class: 'cards',
          start: first + 1,
          'aria-label': `Rings ${first + 1} to ${first + this.groups.length}`,
        },
        this.groups.map((group) =>
          h(
            'li',
            {},
            ringCard(group, this.actionsFor(group), this.writable, ringRolloutNote(group.id, this.rollouts)),
          ),
        ),
      ),
      this.pager(total),
    );
  }

  private readonly cardActions = {
    edit: (group: Group) => void this.edit(group),
    remove: (group: Group) => void this.remove(group),
    history: (group: Group) => void this.history(group),
    promote: (group: Group) => void this.promote(group),
  };

  /** No Promote… on the last ring, which has no ring after it. */
  private actionsFor(group: Group): CardActions {
    const lastPage = this.page >= (this.info?.total_pages ?? 1);
    if (lastPage && this.groups.at(-1)?.id === group.id) return { ...this.cardActions, promote: undefined };
    return this.cardActions;
  }

  /** Promote…: the dialog needs every ring to offer the ones after this one; a created rollout is shown. */
  private async promote(group: Group): Promise<void> {
    const groups = await listAllGroups(this.api);
    if (!groups.ok) {
      this.showLoadError(groups, this.page);
      return;
    }
    const rollout = await openPromoteDialog(this.api, group, groups.result);
    if (!rollout) {
      this.cardButton(group.id, 'promote')?.focus();
      return;
    }
    announce(`Rollout “${rollout.name}” started.`);
    location.hash = `#rollout=${rollout.id}`;
  }

  private emptyState(): HTMLElement {
    return h(
      'div',
      { class: 'state empty' },
      h('h2', {}, 'No rings yet'),
      h(
        'p',
        {},
        'A ring (deployment group) pins the WARP client version each operating system gets, for the devices ' +
          'under its policies. Start with a small ring for early adopters, then widen the rollout ring by ring.',
      ),
      this.writable
        ? h(
            'button',
            {
              type: 'button',
              class: 'button primary',
              onclick: (event) => this.create(event.currentTarget as HTMLElement),
            },
            'Create the first ring',
          )
        : null,
    );
  }

  /** Where the focus goes when what had it is gone: New ring, or the heading for a read-only token. */
  private focusToolbar(): void {
    if (this.writable) this.newButton.focus();
    else this.heading.focus();
  }

  private pager(total: number): HTMLElement | null {
    const pages = Math.max(1, this.info?.total_pages ?? 1);
    if (total <= (PER_PAGE_CHOICES[0] ?? 10)) return null;
    const first = (this.page - 1) * this.perPage + 1;
    const last = first + this.groups.length - 1;
    const previous = h(
      'button',
      { type: 'button', class: 'button', disabled: this.page <= 1, 'data-page': 'previous' },
      'Previous',
      hidden(' page'),
    );
    const next = h(
      'button',
      { type: 'button', class: 'button', disabled: this.page >= pages, 'data-page': 'next' },
      'Next',
      hidden(' page'),
    );
    previous.addEventListener('click', () => this.turn(this.page - 1, 'previous'));
    next.addEventListener('click', () => this.turn(this.page + 1, 'next'));
    const perPage = h(
      'select',
      { id: 'per-page' },
      PER_PAGE_CHOICES.map((n) => h('option', { value: n, selected: n === this.perPage }, String(n))),
    );
    perPage.addEventListener('change', () => {
      // Keep the first ring on screen in view: its page under the new size.
      const firstIndex = (this.page - 1) * this.perPage;
      this.perPage = Number(perPage.value);
      void this.load(Math.floor(firstIndex / this.perPage) + 1).then(() =>
        document.getElementById('per-page')?.focus(),
      );
    });
    return h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages' },
      previous,
      h(
        'p',
        { class: 'page-status', 'aria-live': 'polite' },
        `Page ${this.page} of ${pages}`,
        h('span', { class: 'range' }, ` · rings ${first}–${last} of ${total}`),
      ),
      next,
      h('label', { class: 'per-page', for: 'per-page' }, 'Per page', perPage),
    );
  }

  /** Keeps the keyboard focus on the pager button pressed, or on its sibling once it is disabled. */
  private async turn(page: number, from: 'previous' | 'next'): Promise<void> {
    if (!(await this.load(page))) return;
    const pressed = this.body.querySelector<HTMLButtonElement>(`[data-page="${from}"]`);
    const other = this.body.querySelector<HTMLButtonElement>(
      `[data-page="${from === 'next' ? 'previous' : 'next'}"]`,
    );
    (pressed && !pressed.disabled ? pressed : other)?.focus();
  }

  private refreshTimes(): void {
    for (const time of this.root.querySelectorAll<HTMLTimeElement>('time.relative')) {
      time.textContent = relativeTime(parseTimestamp(time.dateTime));
    }
  }

  private environments(): string[] {
    const seen = this.groups.flatMap((g) => g.version_config.map((v) => v.target_environment));
    return [...new Set([...DEFAULT_ENVIRONMENTS, ...seen.filter((e): e is string => e !== null)])];
  }

  private takeDraft(groupId: string | null): { values: FormValues; etag: string | null } | undefined {
    if (this.draft?.groupId !== groupId) return undefined;
    const { values, etag } = this.draft;
    this.draft = null;
    return { values, etag };
  }

  private async create(trigger: HTMLElement): Promise<void> {
    const result = await openRingDialog({
      api: this.api,
      environments: this.environments(),
      draft: this.takeDraft(null)?.values,
    });
    if (result.kind === 'saved') {
      announce(`Ring “${result.group.name}” created.`);
      await this.showGroup(result.group.id);
    } else if (result.kind === 'left') {
      this.draft = { groupId: null, values: result.draft, etag: null };
      await this.showGroup(result.toGroupId);
    } else if (trigger.isConnected) trigger.focus();
    else this.focusToolbar();
  }

  /**
   * The ring as it is now, with its ETag, read when a dialog opens; null when it is gone or unreadable
   * (then said, and the list reloaded).
   */
  private async current(shown: Group): Promise<{ group: Group; etag: string | null } | null> {
    const outcome = await this.api.getGroup(shown.id);
    if (outcome.ok) {
      // The card was out of date: bring the list up to date behind the dialog.
      if (outcome.result.updated_at !== shown.updated_at) void this.load(this.page);
      return { group: outcome.result, etag: outcome.etag };
    }
    if (isSignedOut(outcome))
      this.onSignedOut('Your session ended: the token is no longer valid. Sign in again.');
    else {
      announce(outcome.status === 404 ? 'That ring no longer exists.' : describeFailure(outcome));
      await this.load(this.page);
    }
    return null;
  }

  private async edit(group: Group): Promise<void> {
    const draft = this.takeDraft(group.id);
    const now = await this.current(group);
    if (!now) return;
    // Back from a conflict's link: the edit still answers to the state it was started from.
    const etag = draft ? draft.etag : now.etag;
    const result = await openRingDialog({
      api: this.api,
      group: now.group,
      etag,
      environments: this.environments(),
      draft: draft?.values,
    });
    if (result.kind === 'left') {
      this.draft = { groupId: group.id, values: result.draft, etag };
      await this.showGroup(result.toGroupId);
      return;
    }
    if (result.kind === 'reload') {
      await this.load(this.page);
      return this.edit(now.group);
    }
    if (result.kind === 'saved') {
      announce(`Ring “${result.group.name}” saved.`);
      await this.load(this.page);
    } else if (result.kind === 'unchanged') announce('Nothing to save: no changes.');
    this.cardButton(group.id, 'edit')?.focus();
  }

  private async remove(group: Group): Promise<void> {
    const index = this.groups.findIndex((g) => g.id === group.id);
    const now = await this.current(group);
    if (!now) return;
    const result = await confirmDelete(this.api, now.group, now.etag);
    if (result === 'reload') {
      await this.load(this.page);
      return this.remove(now.group);
    }
    if (result === 'cancelled') {
      this.cardButton(group.id, 'delete')?.focus();
      return;
    }
    announce(`Ring “${group.name}” deleted.`);
    await this.load(this.page);
    // Focus what took the deleted card's place, else the one before it, else the toolbar.
    const next = this.groups[Math.min(index, this.groups.length - 1)];
    const card = next && document.getElementById(`group-${next.id}`);
    if (card) card.focus();
    else this.focusToolbar();
  }

  private async history(group: Group): Promise<void> {
    await openHistory({
      api: this.api,
      groupId: group.id,
      name: group.name,
      writable: this.writable,
      onRestored: () => void this.load(this.page),
    });
    this.cardButton(group.id, 'history')?.focus();
  }

  private cardButton(
    groupId: string,
    action: 'edit' | 'delete' | 'history' | 'promote',
  ): HTMLButtonElement | null {
    const card = document.getElementById(`group-${groupId}`);
    return card?.querySelector<HTMLButtonElement>(`.card-actions button[data-action="${action}"]`) ?? null;
  }

  /** Brings a group's card on screen, loading the page that holds it, and gives it the focus. */
  async showGroup(groupId: string): Promise<void> {
    if (!this.groups.some((g) => g.id === groupId)) {
      const index = await this.locate(groupId);
      if (index === null) {
        announce('That ring no longer exists.');
        this.focusToolbar();
        return;
      }
      if (typeof index !== 'number') {
        this.showLoadError(index, this.page);
        return;
      }
      if (!(await this.load(Math.floor(index / this.perPage) + 1))) return;
    }
    const card = document.getElementById(`group-${groupId}`);
    if (!card) return;
    card.scrollIntoView({ block: 'center' });
    card.focus({ preventScroll: true });
    card.classList.remove('highlight');
    void card.offsetWidth; // restart the highlight animation
    card.classList.add('highlight');
  }

  /** The group's position in creation order, found by paging through the list as any client would. */
  private async locate(groupId: string): Promise<number | null | Failure> {
    for (let page = 1; ; page++) {
      const outcome = await this.api.listGroups(page, SCAN_PAGE_SIZE);
      if (!outcome.ok) return outcome;
      const i = outcome.result.findIndex((g) => g.id === groupId);
      if (i >= 0) return (page - 1) * SCAN_PAGE_SIZE + i;
      if (outcome.result.length < SCAN_PAGE_SIZE) return null;
    }
  }
}
