// The ring dialog's "Client versions": one row (environment, version) per operating system, added and
// removed by the user, at most as many as the API accepts (MAX_VERSION_CONFIG_ENTRIES, from wire.ts).
import { h, hidden, setFieldError } from './dom.ts';
import type { RowErrors } from './error-placement.ts';
import type { FormValues } from './form-values.ts';
import { environmentLabel } from './format.ts';
import { MAX_VERSION_CONFIG_ENTRIES } from './wire.ts';

interface Row {
  element: HTMLFieldSetElement;
  legend: HTMLLegendElement;
  environment: HTMLInputElement;
  environmentError: HTMLElement;
  version: HTMLInputElement;
  versionError: HTMLElement;
  remove: HTMLButtonElement;
  removeLabel: HTMLSpanElement;
}

let nextRowId = 0;

export class VersionRows {
  readonly element: HTMLFieldSetElement;
  private readonly rows: Row[] = [];
  private readonly list = h('div', { class: 'version-rows' });
  private readonly error = h('p', { id: 'versions-error', class: 'field-error', hidden: true });
  private readonly addButton: HTMLButtonElement;

  constructor(start: FormValues['versions'], environments: string[]) {
    this.addButton = h(
      'button',
      { type: 'button', class: 'button subtle', onclick: () => this.add('', '').environment.focus() },
      'Add a version',
    );
    this.element = h(
      'fieldset',
      { class: 'versions', 'aria-describedby': 'versions-hint versions-error' },
      h('legend', {}, 'Client versions'),
      h(
        'p',
        { id: 'versions-hint', class: 'hint' },
        'One row per operating system. Leave Environment empty to cover all other environments.',
      ),
      this.error,
      this.list,
      this.addButton,
      h(
        'datalist',
        { id: 'environment-options' },
        environments.map((environment) => h('option', { value: environment }, environmentLabel(environment))),
      ),
    );
    for (const entry of start.length ? start : [{ environment: '', version: '' }]) {
      this.add(entry.environment, entry.version);
    }
  }

  values(): FormValues['versions'] {
    return this.rows.map((row) => ({ environment: row.environment.value, version: row.version.value }));
  }

  /** Every input, in screen order. */
  controls(): HTMLInputElement[] {
    return this.rows.flatMap((row) => [row.environment, row.version]);
  }

  /** Shows the errors for the list and for each row (by on-screen index); clears all others. */
  showErrors(list: string[], rows: Map<number, RowErrors>): void {
    this.error.hidden = list.length === 0;
    this.error.textContent = list.join(' ');
    this.rows.forEach((row, i) => {
      const slot = rows.get(i);
      setFieldError(
        row.environment,
        row.environmentError,
        slot?.environment.length ? slot.environment.join(' ') : null,
      );
      setFieldError(row.version, row.versionError, slot?.version.length ? slot.version.join(' ') : null);
    });
  }

  /** The first row, when the list as a whole has an error and no input does. */
  focusForListError(): boolean {
    if (this.error.hidden) return false;
    this.rows[0]?.environment.focus();
    return true;
  }

  private add(environment: string, version: string): Row {
    const row = newRow(environment, version);
    row.remove.addEventListener('click', () => this.remove(row));
    this.rows.push(row);
    this.list.append(row.element);
    this.renumber();
    return row;
  }

  private remove(row: Row): void {
    const index = this.rows.indexOf(row);
    this.rows.splice(index, 1);
    row.element.remove();
    this.renumber();
    (this.rows[index] ?? this.rows[index - 1])?.environment.focus();
  }

  private renumber(): void {
    this.rows.forEach((row, i) => {
      row.legend.textContent = `Version ${i + 1}`;
      row.removeLabel.textContent = ` version ${i + 1}`;
      row.remove.disabled = this.rows.length === 1;
    });
    this.addButton.disabled = this.rows.length >= MAX_VERSION_CONFIG_ENTRIES;
  }
}

function newRow(environment: string, version: string): Row {
  const n = ++nextRowId;
  const environmentId = `version-environment-${n}`;
  const versionId = `version-number-${n}`;
  const environmentInput = textInput(environmentId, environment, {
    list: 'environment-options',
    placeholder: 'all others',
  });
  const versionInput = textInput(versionId, version, { inputmode: 'decimal', placeholder: '2026.6.822.0' });
  const environmentError = h('p', { id: `${environmentId}-error`, class: 'field-error', hidden: true });
  const versionError = h('p', { id: `${versionId}-error`, class: 'field-error', hidden: true });
  const legend = h('legend', { class: 'visually-hidden' });
  const removeLabel = hidden('');
  const remove = h('button', { type: 'button', class: 'button subtle remove' }, 'Remove', removeLabel);
  const element = h(
    'fieldset',
    { class: 'version-row' },
    legend,
    h(
      'div',
      { class: 'field' },
      h('label', { for: environmentId }, 'Environment'),
      environmentInput,
      environmentError,
    ),
    h('div', { class: 'field' }, h('label', { for: versionId }, 'Version'), versionInput, versionError),
    remove,
  );
  return {
    element,
    legend,
    environment: environmentInput,
    environmentError,
    version: versionInput,
    versionError,
    remove,
    removeLabel,
  };
}

function textInput(id: string, value: string, attrs: Record<string, string>): HTMLInputElement {
  const input = h('input', {
    id,
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': `${id}-error`,
    ...attrs,
  });
  input.value = value;
  return input;
}
