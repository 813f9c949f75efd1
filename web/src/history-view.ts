// A ring's history (docs/contract.md §8.3) as a dialog: each revision newest first — who, when, through
// what, the action and what changed (history-text.ts) — paged with "Load more". A token that may write gets
// "Restore this version" on every revision but the current one and deletions (confirm-restore.ts).
import { type Api, describeFailure, type HistoryEntry } from './api.ts';
import { confirmRestore } from './confirm-restore.ts';
import { announce, h, hidden, showModal } from './dom.ts';
import { exactTime, parseTimestamp, relativeTime } from './format.ts';
import { actionLabel, actorName, type DiffLine, diffLines, interfaceLabel } from './history-text.ts';
import type { Group } from './wire.ts';

const PAGE_SIZE = 10;
const KIND_WORDS: Record<DiffLine['kind'], string> = {
  added: 'Added',
  removed: 'Removed',
  changed: 'Changed',
};

export interface HistoryOptions {
  api: Api;
  groupId: string;
  name: string;
  writable: boolean;
  /** A revision was restored: the caller shows the ring as it is now. */
  onRestored(group: Group): void;
}

export function openHistory(options: HistoryOptions): Promise<void> {
  return new HistoryDialog(options).open();
}

class HistoryDialog {
  private entries: HistoryEntry[] = [];
  private page = 0;
  private total = 0;
  /** The ring's current ETag (for a restore's If-Match); null once it is deleted. */
  private etag: string | null = null;
  private readonly heading = h('h2', { id: 'history-title', tabindex: '-1' }, 'History');
  private readonly status = h('p', { class: 'summary', role: 'status' });
  private readonly list = h('ol', { class: 'revisions', 'aria-label': 'Revisions, newest first' });
  private readonly more = h(
    'button',
    { type: 'button', class: 'button', hidden: true },
    'Load more revisions',
  );
  private readonly dialog: HTMLDialogElement;
  private readonly close = h('button', { type: 'button', class: 'button' }, 'Close');

  constructor(private readonly options: HistoryOptions) {
    this.more.addEventListener('click', () => void this.loadPage());
    this.close.addEventListener('click', () => this.dialog.close());
    this.dialog = h(
      'dialog',
      { class: 'dialog history', 'aria-labelledby': 'history-title' },
      h(
        'header',
        { class: 'dialog-header' },
        this.heading,
        h('p', { class: 'dialog-subtitle' }, options.name),
        this.status,
      ),
      this.list,
      h('div', { class: 'dialog-actions' }, this.more, this.close),
    );
  }

  open(): Promise<void> {
    const shown = showModal(
      this.dialog,
      this.heading,
      () => false,
      () => undefined,
    );
    void this.reload();
    return shown;
  }

  /** From the first page again, with the ring's current ETag. */
  private async reload(): Promise<void> {
    const { api, groupId } = this.options;
    const current = await api.getGroup(groupId);
    // 404: deleted, and its history still there; anything else and a restore could not be made safely.
    if (!current.ok && current.status !== 404) {
      this.status.textContent = `Could not load the ring: ${describeFailure(current)}`;
      return;
    }
    this.etag = current.ok ? current.etag : null;
    this.entries = [];
    this.page = 0;
    this.list.replaceChildren();
    await this.loadPage();
  }

  private async loadPage(): Promise<void> {
    this.status.textContent = 'Loading history…';
    const outcome = await this.options.api.groupHistory(this.options.groupId, this.page + 1, PAGE_SIZE);
    if (!outcome.ok) {
      this.status.textContent = `Could not load the history: ${describeFailure(outcome)}`;
      return;
    }
    this.page++;
    this.total = outcome.resultInfo?.total_count ?? outcome.result.length;
    this.entries.push(...outcome.result);
    for (const entry of outcome.result) this.list.append(this.revision(entry));
    this.more.hidden = this.entries.length >= this.total;
    this.status.textContent = `${this.total} ${this.total === 1 ? 'revision' : 'revisions'}${
      this.etag === null ? ' · this ring is deleted' : ''
    }`;
  }

  /** The newest revision of a ring that still exists is what it is now: nothing to restore. */
  private isCurrent(entry: HistoryEntry): boolean {
    return this.etag !== null && entry.revision === this.entries[0]?.revision;
  }

  private revision(entry: HistoryEntry): HTMLElement {
    const titleId = `revision-${entry.revision}-title`;
    const current = this.isCurrent(entry);
    const restorable = this.options.writable && !current && entry.action !== 'delete';
    return h(
      'li',
      { class: 'revision', 'aria-labelledby': titleId },
      h(
        'h3',
        { id: titleId },
        `Revision ${entry.revision} · ${actionLabel(entry.action)}`,
        current ? h('span', { class: 'badge' }, 'Current') : null,
      ),
      h(
        'p',
        { class: 'meta' },
        'By ',
        h('strong', {}, actorName(entry.actor)),
        ` through ${interfaceLabel(entry.actor.interface)}, `,
        h('time', { datetime: entry.at, title: exactTime(entry.at) }, relativeTime(parseTimestamp(entry.at))),
      ),
      diffList(entry),
      restorable
        ? h(
            'button',
            { type: 'button', class: 'button', onclick: () => void this.restore(entry) },
            'Restore this version',
            hidden(` (revision ${entry.revision})`),
          )
        : null,
    );
  }

  private async restore(entry: HistoryEntry): Promise<void> {
    const { api, groupId } = this.options;
    const name = entry.deployment_group?.name ?? this.options.name;
    const result = await confirmRestore(api, {
      groupId,
      name,
      revision: entry.revision,
      at: entry.at,
      etag: this.etag,
    });
    if (result.kind === 'cancelled') return;
    if (result.kind === 'restored') {
      announce(`Ring “${result.group.name}” restored to revision ${entry.revision}.`);
      this.options.onRestored(result.group);
    }
    await this.reload();
    this.heading.focus();
  }
}

/** What changed, one line each; the kind is said in words for screen readers and shown as a mark. */
export function diffList(entry: HistoryEntry): HTMLElement {
  const lines = diffLines(entry.changes);
  if (!lines.length) return h('p', { class: 'diff none' }, 'No field changed.');
  return h(
    'ul',
    { class: 'diff', 'aria-label': 'Changes' },
    lines.map((line) =>
      h('li', { class: `diff-${line.kind}` }, hidden(`${KIND_WORDS[line.kind]}: `), line.text),
    ),
  );
}
