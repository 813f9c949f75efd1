// "Delete this ring?" — Cancel has the focus, so a stray Enter deletes nothing. The delete sends the ETag of
// the state shown; if the ring changed since, the dialog says who changed it and offers Reload instead.
import type { Api } from './api.ts';
import { h, showModal } from './dom.ts';
import { plural } from './format.ts';
import { showRefusal } from './stale-notice.ts';
import type { Group } from './wire.ts';

/** 'deleted' once the group is gone (now, or already by someone else); 'reload': it changed, show it anew. */
export type DeleteResult = 'deleted' | 'cancelled' | 'reload';

export function confirmDelete(api: Api, group: Group, etag: string | null): Promise<DeleteResult> {
  let result: DeleteResult = 'cancelled';
  let busy = false;
  const policies = group.policy_ids?.length ?? 0;
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel');
  const confirm = h('button', { type: 'submit', class: 'button danger' }, 'Delete ring');
  const dialog = h(
    'dialog',
    {
      class: 'dialog small',
      role: 'alertdialog',
      'aria-labelledby': 'delete-title',
      'aria-describedby': 'delete-description',
    },
    h(
      'form',
      { method: 'post', onsubmit: (event) => submit(event) },
      h('h2', { id: 'delete-title' }, 'Delete ring?'),
      h(
        'div',
        { id: 'delete-description' },
        h('p', {}, 'The ring ', h('strong', {}, group.name), ' will be deleted. This cannot be undone.'),
        h(
          'p',
          {},
          policies
            ? `Its ${plural(policies, 'policy', 'policies')} will belong to no ring and can join another one.`
            : 'It holds no policies.',
        ),
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
    confirm.textContent = 'Deleting…';
    const outcome = await api.deleteGroup(group.id, etag);
    // 404: someone else deleted it first; either way it is gone.
    if (outcome.ok || outcome.status === 404) {
      busy = false;
      result = 'deleted';
      dialog.close();
      return;
    }
    confirm.textContent = 'Delete ring';
    const words = { stale: 'It was not deleted.', other: 'Not deleted' };
    const stale = await showRefusal(api, group.id, outcome, error, words, () => {
      result = 'reload';
      dialog.close();
    });
    busy = false;
    // After a lost race only Reload: deleting a state nobody has seen would be the silent overwrite.
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
