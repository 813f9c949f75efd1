// The account's audit log (Cloudflare's version 2 route, docs/contract.md §8.2), newest first, filtered by
// ring, person, action and days, with "Load more" following the API's cursor (audit-query.ts says why v2).
// A ring's deletion can be undone from here: the ring comes back, with its ID, as it was just before.
import { type Api, describeFailure, type Failure, isSignedOut } from './api.ts';
import {
  type AuditFilters,
  auditActor,
  auditInterface,
  auditQuery,
  auditRingName,
  defaultFilters,
  isRingDeletion,
} from './audit-query.ts';
import { confirmRestore } from './confirm-restore.ts';
import { announce, h, hidden, replace } from './dom.ts';
import { exactTime, parseTimestamp, relativeTime } from './format.ts';
import { revisionBeforeDeletion } from './history-text.ts';
import type { AuditLog } from './wire.ts';

/** Enough revisions to find the one before a deletion (a ring changed more often is rare: see the history). */
const HISTORY_SCAN = 100;

const ACTIONS: [value: string, label: string][] = [
  ['', 'Any'],
  ['create', 'Created'],
  ['update', 'Updated or restored'],
  ['delete', 'Deleted'],
];

export class AuditView {
  readonly root: HTMLElement;
  private filters: AuditFilters = defaultFilters();
  private cursor: string | null = null;
  private writable = false;
  /** Token names by credential ID, as entries have shown them. */
  private readonly names = new Map<string, string>();
  private loadSeq = 0;
  private readonly heading = h('h1', { id: 'audit-title', tabindex: '-1' }, 'Audit log');
  private readonly status = h('p', { class: 'summary', role: 'status' });
  private readonly list = h('ol', { class: 'audit-list', 'aria-label': 'Audit log entries, newest first' });
  private readonly more = h('button', { type: 'button', class: 'button', hidden: true }, 'Load more');
  private readonly form: HTMLFormElement;

  constructor(
    private readonly api: Api,
    private readonly onSignedOut: (reason: string) => void,
  ) {
    this.more.addEventListener('click', () => void this.load(false));
    this.form = this.filterForm();
    this.root = h(
      'section',
      { class: 'audit', 'aria-labelledby': 'audit-title' },
      h(
        'div',
        { class: 'toolbar' },
        h('div', { class: 'toolbar-title' }, this.heading, this.status),
        h('div', { class: 'toolbar-actions' }, h('a', { class: 'button', href: '#' }, 'Rings')),
      ),
      this.form,
      this.list,
      h('div', { class: 'pager' }, this.more),
    );
  }

  focusHeading(): void {
    this.heading.focus();
  }

  private filterForm(): HTMLFormElement {
    const field = (id: string, label: string, control: HTMLElement) =>
      h('div', { class: 'field' }, h('label', { for: id }, label), control);
    const input = (id: string, type: string, value: string, extra: Record<string, string> = {}) =>
      h('input', { id, name: id, type, value, autocomplete: 'off', spellcheck: 'false', ...extra });
    const action = h(
      'select',
      { id: 'audit-action', name: 'audit-action' },
      ACTIONS.map(([value, label]) => h('option', { value }, label)),
    );
    return h(
      'form',
      { class: 'filters', 'aria-label': 'Filters', onsubmit: (event) => this.apply(event) },
      field('audit-ring', 'Ring ID', input('audit-ring', 'text', '')),
      field(
        'audit-person',
        'Person',
        input('audit-person', 'text', '', { placeholder: 'email, token name or credential ID' }),
      ),
      field('audit-action', 'Action', action),
      field('audit-from', 'From', input('audit-from', 'date', this.filters.from)),
      field('audit-to', 'To', input('audit-to', 'date', this.filters.to)),
      h(
        'div',
        { class: 'filter-actions' },
        h('button', { type: 'submit', class: 'button primary' }, 'Apply filters'),
      ),
    );
  }

  private read(): AuditFilters {
    const value = (id: string) => (this.form.elements.namedItem(id) as HTMLInputElement | null)?.value ?? '';
    const fallback = defaultFilters();
    return {
      ring: value('audit-ring'),
      person: value('audit-person'),
      action: value('audit-action'),
      from: value('audit-from') || fallback.from,
      to: value('audit-to') || fallback.to,
    };
  }

  /** Sets filters from outside (a "Deleted rings" link, "Only this person") and loads. */
  async show(changes: Partial<AuditFilters>): Promise<void> {
    for (const [key, value] of Object.entries(changes)) {
      const control = this.form.elements.namedItem(`audit-${key}`) as HTMLInputElement | null;
      if (control) control.value = value;
    }
    this.filters = this.read();
    await this.load(true);
  }

  private apply(event: Event): void {
    event.preventDefault();
    this.filters = this.read();
    void this.load(true);
  }

  /** The first page (`fresh`) or the next one. */
  async load(fresh: boolean): Promise<void> {
    const seq = ++this.loadSeq;
    if (fresh) this.cursor = null;
    this.status.textContent = 'Loading entries…';
    const [outcome, access] = await Promise.all([
      this.api.auditLogs(auditQuery(this.filters, this.cursor)),
      fresh ? this.api.getAccess() : null,
    ]);
    if (seq !== this.loadSeq) return;
    if (!outcome.ok) return this.failed(outcome);
    if (access?.ok) this.writable = access.result.write;
    if (fresh) this.list.replaceChildren();
    for (const entry of outcome.result) this.list.append(this.entry(entry));
    this.nameActors(outcome.result);
    this.cursor = outcome.resultInfo?.cursor ?? null;
    this.more.hidden = this.cursor === null;
    const shown = this.list.childElementCount;
    this.status.textContent = shown
      ? `${shown} ${shown === 1 ? 'entry' : 'entries'}${this.cursor ? ' so far' : ''}, newest first`
      : 'No entries match these filters.';
  }

  private failed(failure: Failure): void {
    if (isSignedOut(failure)) {
      this.onSignedOut('Your session ended: the token is no longer valid. Sign in again.');
      return;
    }
    this.status.textContent = `Could not load the audit log: ${describeFailure(failure)}`;
  }

  private entry(entry: AuditLog): HTMLElement {
    const ring = entry.resource.type === 'deployment_group';
    const recorded = auditRingName(entry);
    const name = h('span', { class: 'audit-name' }, recorded === null ? '' : `“${recorded}”`);
    if (isRingDeletion(entry)) void this.fillDeletedName(name, entry.resource.id);
    const through = auditInterface(entry);
    return h(
      'li',
      { class: 'audit-entry' },
      h(
        'p',
        { class: 'audit-what' },
        h('strong', {}, entry.action.description),
        ' ',
        name,
        ' ',
        h('code', { class: 'audit-id' }, entry.resource.id),
      ),
      h(
        'p',
        { class: 'meta' },
        'By ',
        h('strong', { class: 'audit-actor', 'data-actor-id': entry.actor.id ?? '' }, auditActor(entry)),
        through ? ` through ${through}, ` : ', ',
        h(
          'time',
          { datetime: entry.action.time, title: exactTime(entry.action.time) },
          relativeTime(parseTimestamp(entry.action.time)),
        ),
      ),
      this.entryActions(entry, ring),
    );
  }

  private entryActions(entry: AuditLog, ring: boolean): HTMLElement {
    const person = entry.actor.id;
    return h(
      'p',
      { class: 'audit-actions' },
      ring && !isRingDeletion(entry)
        ? h(
            'a',
            { class: 'button', href: `#group=${entry.resource.id}` },
            'Show ring',
            hidden(` ${entry.resource.id}`),
          )
        : null,
      person
        ? h(
            'button',
            { type: 'button', class: 'button', onclick: () => void this.show({ person }) },
            'Only this person',
          )
        : null,
      this.writable && isRingDeletion(entry)
        ? h(
            'button',
            {
              type: 'button',
              class: 'button primary',
              onclick: () => void this.restoreDeleted(entry.resource.id),
            },
            'Restore ring',
            hidden(` ${entry.resource.id}`),
          )
        : null,
    );
  }

  /**
   * Version 2 names a token only on its API changes; its dashboard changes give the ID alone. Once an
   * entry loaded so far has named an ID, every entry of that ID shows the name.
   */
  private nameActors(entries: AuditLog[]): void {
    for (const { actor } of entries)
      if (actor.id && actor.token_name) this.names.set(actor.id, actor.token_name);
    for (const slot of this.list.querySelectorAll<HTMLElement>('.audit-actor[data-actor-id]')) {
      const name = this.names.get(slot.dataset.actorId ?? '');
      if (name && slot.textContent !== name) slot.textContent = name;
    }
  }

  /** A deletion records no name: the ring's history has it. */
  private async fillDeletedName(slot: HTMLElement, groupId: string): Promise<void> {
    const outcome = await this.api.groupHistory(groupId, 1, HISTORY_SCAN);
    const before = outcome.ok ? revisionBeforeDeletion(outcome.result) : null;
    const name = outcome.ok
      ? outcome.result.find((e) => e.deployment_group)?.deployment_group?.name
      : undefined;
    if (name) replace(slot, `“${name}”`, before ? '' : ' (restored since)');
  }

  private async restoreDeleted(groupId: string): Promise<void> {
    const outcome = await this.api.groupHistory(groupId, 1, HISTORY_SCAN);
    if (!outcome.ok) return announce(`Could not read the ring's history: ${describeFailure(outcome)}`);
    const before = revisionBeforeDeletion(outcome.result);
    if (!before?.deployment_group) return announce('That ring is not deleted any more.');
    const result = await confirmRestore(this.api, {
      groupId,
      name: before.deployment_group.name,
      revision: before.revision,
      at: before.at,
      etag: null,
    });
    if (result.kind !== 'restored') return;
    announce(`Ring “${result.group.name}” restored.`);
    await this.load(true);
    this.heading.focus();
  }
}
