// Building DOM without innerHTML: every string becomes a text node or an attribute value, so nothing the
// API returns (a group's name, an error message) can ever be parsed as markup.

export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

/** `h('button', { type: 'button', onclick: … }, 'Save')`; `on*` keys add listeners, `true` sets a bare attribute. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Text only screen readers announce, e.g. which ring an "Edit" button edits. */
export function hidden(text: string): HTMLSpanElement {
  return h('span', { class: 'visually-hidden' }, text);
}

/** Shows `message` in the field's error slot, or clears it; keeps aria-invalid in step. */
export function setFieldError(
  control: HTMLElement,
  slot: HTMLElement,
  message: string | Node | null | (string | Node)[],
): void {
  if (message === null || (Array.isArray(message) && message.length === 0)) {
    control.removeAttribute('aria-invalid');
    slot.hidden = true;
    slot.replaceChildren();
    return;
  }
  control.setAttribute('aria-invalid', 'true');
  slot.hidden = false;
  replace(slot, ...(Array.isArray(message) ? message : [message]));
}

let announcement = 0;

/** News like "Ring created": read by screen readers (a polite live region) and shown as a toast. */
export function announce(message: string): void {
  const region = document.getElementById('announcer');
  if (!region) return;
  const current = ++announcement;
  // Clearing first makes the same message announced twice in a row still be read.
  region.textContent = '';
  window.setTimeout(() => {
    if (announcement === current) region.textContent = message;
  }, 50);
  window.setTimeout(() => {
    if (announcement === current) region.textContent = '';
  }, 6000);
}

/** Takes the toast away now: news about the last action is stale once the next one starts. */
export function dismissAnnouncement(): void {
  announcement++;
  const region = document.getElementById('announcer');
  if (region) region.textContent = '';
}

/**
 * Shows `dialog` modally with the focus on `focus`, and resolves to `result()` once it has closed and
 * been removed. Escape is ignored while `busy()`: closing mid-request would hide whether it happened.
 */
export function showModal<T>(
  dialog: HTMLDialogElement,
  focus: HTMLElement,
  busy: () => boolean,
  result: () => T,
): Promise<T> {
  // The toast would otherwise stay on screen, under the dialog's backdrop, for its six seconds.
  dismissAnnouncement();
  document.body.append(dialog);
  dialog.addEventListener('cancel', (event) => {
    if (busy()) event.preventDefault();
  });
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result());
    });
    dialog.showModal();
    focus.focus();
  });
}
