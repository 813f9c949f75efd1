// The create / edit dialog. The API is the only validator: its errors come back with a JSON Pointer into
// the body we sent (docs/contract.md §4), and error-placement.ts decides which control shows each. The parts:
// version-rows.ts (the versions), policy-list.ts (the policy IDs and conflict links), form-values.ts (the
// values and the body made from them). Closing an edited dialog without saving asks first. A save sends the
// ETag the dialog was opened with; if the ring changed since, stale-notice.ts says who did it, and when.
import { type Api, type Failure, isStale, type Outcome } from './api.ts';
import { confirmDiscard } from './confirm-discard.ts';
import { h, setFieldError, showModal } from './dom.ts';
import { placeErrors } from './error-placement.ts';
import {
  blankValues,
  createBody,
  type FormValues,
  isEdited,
  type Sent,
  updateBody,
  valuesOf,
} from './form-values.ts';
import { conflictLines, PolicyField } from './policy-list.ts';
import { staleNotice } from './stale-notice.ts';
import { VersionRows } from './version-rows.ts';
import type { Group } from './wire.ts';

export type { FormValues } from './form-values.ts';

export type DialogResult =
  | { kind: 'saved'; group: Group; created: boolean }
  | { kind: 'unchanged' }
  | { kind: 'cancelled' }
  /** The ring changed since the dialog opened and the user chose to reload it, discarding the edit. */
  | { kind: 'reload' }
  /** The user followed a conflict's link; the caller shows that group and may keep the draft. */
  | { kind: 'left'; toGroupId: string; draft: FormValues };

export interface RingDialogOptions {
  api: Api;
  /** The group to edit; a new one is created without it. */
  group?: Group;
  /** The ETag of `group` as read (its `If-Match` on save); null sends none. */
  etag?: string | null;
  /** Suggestions for the environment inputs. */
  environments: string[];
  /** Unsaved values to start from instead of the group's. */
  draft?: FormValues;
}

export function openRingDialog(options: RingDialogOptions): Promise<DialogResult> {
  return new RingDialog(options).open();
}

class RingDialog {
  private result: DialogResult = { kind: 'cancelled' };
  private busy = false;
  /** What closing without saving would keep: the stored group, or nothing. */
  private readonly baseline: FormValues;
  private readonly formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  private readonly nameInput: HTMLInputElement;
  private readonly nameError = h('p', { id: 'ring-name-error', class: 'field-error', hidden: true });
  private readonly versions: VersionRows;
  private readonly policies: PolicyField;
  private readonly submitButton: HTMLButtonElement;
  private readonly form: HTMLFormElement;
  private readonly dialog: HTMLDialogElement;

  constructor(private readonly options: RingDialogOptions) {
    const { group } = options;
    this.baseline = group ? valuesOf(group) : blankValues();
    const start = options.draft ?? this.baseline;
    this.nameInput = h('input', {
      id: 'ring-name',
      name: 'name',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'ring-name-error',
    });
    this.nameInput.value = start.name;
    this.versions = new VersionRows(start.versions, options.environments);
    this.policies = new PolicyField(start.policies);
    this.submitButton = h('button', { type: 'submit', class: 'button primary' }, this.submitLabel());
    this.form = this.buildForm();
    this.dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'ring-dialog-title' }, this.form);
  }

  open(): Promise<DialogResult> {
    // Escape is taken before the browser turns it into a close request: browsers may let a page refuse
    // such a request only once without a click or keypress in between, and the question must come every time.
    this.dialog.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      event.preventDefault();
      void this.close();
    });
    // Other close requests (a phone's back gesture) ask too.
    this.dialog.addEventListener('cancel', (event) => {
      if (!this.edited()) return;
      event.preventDefault();
      void this.close();
    });
    return showModal(
      this.dialog,
      this.nameInput,
      () => this.busy,
      () => this.result,
    );
  }

  private buildForm(): HTMLFormElement {
    const { group, draft } = this.options;
    return h(
      'form',
      { method: 'post', novalidate: true, onsubmit: (event) => this.submit(event) },
      h(
        'header',
        { class: 'dialog-header' },
        h('h2', { id: 'ring-dialog-title' }, group ? 'Edit ring' : 'New ring'),
        group ? h('p', { class: 'dialog-subtitle' }, group.name) : null,
      ),
      draft
        ? h('p', { class: 'notice' }, 'Your unsaved changes were kept while you looked at the other ring.')
        : null,
      this.formError,
      h('div', { class: 'field' }, h('label', { for: 'ring-name' }, 'Name'), this.nameInput, this.nameError),
      this.versions.element,
      this.policies.element,
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'button', onclick: () => this.close() }, 'Cancel'),
        this.submitButton,
      ),
    );
  }

  private submitLabel(): string {
    if (this.busy) return 'Saving…';
    return this.options.group ? 'Save changes' : 'Create ring';
  }

  private read(): FormValues {
    return { name: this.nameInput.value, versions: this.versions.values(), policies: this.policies.value() };
  }

  private edited(): boolean {
    return isEdited(this.read(), this.baseline);
  }

  /** Cancel and Escape: closes at once when nothing was changed, else after asking. */
  private async close(): Promise<void> {
    if (this.busy) return;
    if (!this.edited()) {
      this.dialog.close();
      return;
    }
    const back = document.activeElement;
    if (await confirmDiscard()) this.dialog.close();
    else if (back instanceof HTMLElement) back.focus();
  }

  private async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const { api, group } = this.options;
    const values = this.read();
    if (!group) {
      const sent = createBody(values);
      await this.save(sent, () => api.createGroup(sent.input));
      return;
    }
    const sent = updateBody(values, group);
    if (Object.keys(sent.input).length === 0) this.finish({ kind: 'unchanged' });
    else await this.save(sent, () => api.updateGroup(group.id, sent.input, this.options.etag ?? null));
  }

  private async save(sent: Sent, request: () => Promise<Outcome<Group>>): Promise<void> {
    this.setBusy(true);
    const outcome = await request();
    if (!outcome.ok) await this.showErrors(outcome, sent);
    this.setBusy(false);
    if (outcome.ok) this.finish({ kind: 'saved', group: outcome.result, created: !this.options.group });
    else this.focusFirstInvalid();
  }

  private finish(result: DialogResult): void {
    this.result = result;
    this.dialog.close();
  }

  private setBusy(value: boolean): void {
    this.busy = value;
    this.submitButton.disabled = value;
    this.form.setAttribute('aria-busy', String(value));
    this.submitButton.textContent = this.submitLabel();
  }

  private async showErrors(failure: Failure, sent: Sent): Promise<void> {
    const { api, group } = this.options;
    if (group && isStale(failure)) {
      const notice = await staleNotice(api, group.id, 'Your changes were not saved.', () =>
        this.finish({ kind: 'reload' }),
      );
      this.formError.hidden = false;
      this.formError.replaceChildren(notice);
      return;
    }
    const placement = placeErrors(failure, sent);
    const conflicts = await conflictLines(this.options.api, placement.conflicts, (groupId) =>
      this.finish({ kind: 'left', toGroupId: groupId, draft: this.read() }),
    );
    setFieldError(this.nameInput, this.nameError, placement.name.length ? placement.name.join(' ') : null);
    this.versions.showErrors(placement.versions, placement.rows);
    this.policies.showErrors([...placement.policies, ...conflicts]);
    this.formError.hidden = false;
    this.formError.replaceChildren(...placement.summary.map((text) => h('p', {}, text)));
  }

  private focusFirstInvalid(): void {
    const controls: HTMLElement[] = [this.nameInput, ...this.versions.controls(), this.policies.input];
    const first = controls.find((control) => control.getAttribute('aria-invalid') === 'true');
    const reload = this.formError.querySelector<HTMLButtonElement>('.stale button');
    if (reload) reload.focus();
    else if (first) first.focus();
    else if (!this.versions.focusForListError()) this.submitButton.focus();
  }
}
