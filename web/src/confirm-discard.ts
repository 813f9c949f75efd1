// "Discard your changes?" — asked when an edited ring dialog is about to close without saving. "Keep editing"
// has the focus, so a second Escape or a stray Enter loses nothing.
import { h, showModal } from './dom.ts';

/** Resolves to true when the user chose to discard. */
export function confirmDiscard(): Promise<boolean> {
  let discard = false;
  const keep = h(
    'button',
    { type: 'button', class: 'button', onclick: () => dialog.close() },
    'Keep editing',
  );
  const dialog = h(
    'dialog',
    {
      class: 'dialog small',
      role: 'alertdialog',
      'aria-labelledby': 'discard-title',
      'aria-describedby': 'discard-description',
    },
    h(
      'form',
      {
        method: 'post',
        onsubmit: (event) => {
          event.preventDefault();
          discard = true;
          dialog.close();
        },
      },
      h('h2', { id: 'discard-title' }, 'Discard your changes?'),
      h('p', { id: 'discard-description' }, 'What you changed in this ring has not been saved.'),
      h(
        'div',
        { class: 'dialog-actions' },
        keep,
        h('button', { type: 'submit', class: 'button danger' }, 'Discard'),
      ),
    ),
  );
  return showModal(
    dialog,
    keep,
    () => false,
    () => discard,
  );
}
