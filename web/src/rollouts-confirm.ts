// "Abort this rollout?" / "Roll back this rollout?" — Cancel has the focus, so a stray Enter changes nothing.
// Resolves to true when the user confirmed; the caller sends the request and shows its outcome in place.
import { h, showModal } from './dom.ts';
import type { Rollout } from './rollout-types.ts';
import type { RolloutAction } from './rollouts-logic.ts';

const WORDING: Partial<Record<RolloutAction, { title: string; text: string; button: string }>> = {
  abort: {
    title: 'Abort rollout?',
    text: 'No further ring will be changed. Rings already changed keep the new versions; roll back to restore them.',
    button: 'Abort rollout',
  },
  rollback: {
    title: 'Roll back rollout?',
    text: 'Every ring this rollout changed gets back the versions it had before, the last ring first. The rollout stops.',
    button: 'Roll back',
  },
};

export function confirmRolloutAction(rollout: Rollout, action: RolloutAction): Promise<boolean> {
  const wording = WORDING[action];
  if (!wording) return Promise.resolve(true);
  let confirmed = false;
  const cancel = h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel');
  const dialog = h(
    'dialog',
    {
      class: 'dialog small',
      role: 'alertdialog',
      'aria-labelledby': 'rollout-confirm-title',
      'aria-describedby': 'rollout-confirm-description',
    },
    h(
      'form',
      {
        method: 'post',
        onsubmit: (event) => {
          event.preventDefault();
          confirmed = true;
          dialog.close();
        },
      },
      h('h2', { id: 'rollout-confirm-title' }, wording.title),
      h(
        'div',
        { id: 'rollout-confirm-description' },
        h('p', {}, 'Rollout ', h('strong', {}, rollout.name), '.'),
        h('p', {}, wording.text),
      ),
      h(
        'div',
        { class: 'dialog-actions' },
        cancel,
        h('button', { type: 'submit', class: 'button danger' }, wording.button),
      ),
    ),
  );
  return showModal(
    dialog,
    cancel,
    () => false,
    () => confirmed,
  );
}
