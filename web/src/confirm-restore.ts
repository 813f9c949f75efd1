// "Restore this version?" — for a revision in a ring's history, and for a deleted ring (which comes back with
// its ID). POST …/revert (docs/contract.md §8.3) with the ETag of the ring as the history showed it, so a
// change made meanwhile is not overwritten (412: who changed it, and Reload). A deleted ring has no ETag.
import type { Api } from './api.ts';
import { h, showModal } from './dom.ts';
import { exactTime } from './format.ts';
import { showRefusal } from './stale-notice.ts';
import type { Group } from './wire.ts';

export interface RestoreTarget {
  groupId: string;
  /** The ring's name at that revision. */
  name: string;
  revision: number;
  at: string;
  /** The current state's ETag; null for a deleted ring. */
  etag: string | null;
}

export type RestoreResult = { kind: 'restored'; group: Group } | { kind: 'reload' } | { kind: 'cancelled' };

export function confirmRestore(api: Api, target: RestoreTarget): Promise<RestoreResult> {
  let result: RestoreResult = { kind: 'cancelled' };
  let busy = false;
  const deleted = target.etag === null;
  const label = deleted ? 'Restore ring' : `Restore revision ${target.revision}`;
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel');
  const confirm = h('button', { type: 'submit', class: 'button primary' }, label);
  const dialog = h(
    'dialog',
    {
      class: 'dialog small',
      role: 'alertdialog',
      'aria-labelledby': 'restore-title',
      'aria-describedby': 'restore-description',
    },
    h(
      'form',
      { method: 'post', onsubmit: (event) => void submit(event) },
      h('h2', { id: 'restore-title' }, deleted ? 'Restore deleted ring?' : 'Restore this version?'),
      h(
        'div',
        { id: 'restore-description' },
        h(
          'p',
          {},
          deleted ? 'The ring ' : 'The ring will be made what it was at revision ',
          deleted ? h('strong', {}, target.name) : String(target.revision),
          deleted
            ? ` comes back with its ID, as it was at revision ${target.revision} (${exactTime(target.at)}).`
            : ` (${exactTime(target.at)}).`,
        ),
        h('p', {}, 'This is saved as a new revision: nothing in the history is lost.'),
      ),
      error,
      h('div', { class: 'dialog-actions' }, cancel, confirm),
    ),
  );

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (busy) return;
    busy = true;
    confirm.disabled = true;
    confirm.textContent = 'Restoring…';
    const outcome = await api.revertGroup(target.groupId, target.revision, target.etag);
    confirm.textContent = label;
    if (outcome.ok) {
      busy = false;
      result = { kind: 'restored', group: outcome.result };
      dialog.close();
      return;
    }
    const words = { stale: 'Nothing was restored.', other: 'Not restored' };
    const stale = await showRefusal(api, target.groupId, outcome, error, words, () => {
      result = { kind: 'reload' };
      dialog.close();
    });
    busy = false;
    confirm.disabled = stale;
    if (!stale) cancel.focus();
  }

  return showModal(
    dialog,
    cancel,
    () => busy,
    () => result,
  );
}
