// The create / edit dialog. The API is the only validator: its errors come back with a JSON Pointer into
// the body we sent (docs/contract.md §4), and each is shown beside the control that produced that part of the
// body. A 409 names the group holding each policy; the dialog links to that group's card.
import {
  type Api,
  describeFailure,
  type Failure,
  type Group,
  type GroupInput,
  type VersionConfig,
} from './api.ts';
import { h, hidden, setFieldError, showModal } from './dom.ts';
import { environmentLabel, plural } from './format.ts';

/** What the user typed, kept when they leave the dialog to look at a conflicting group. */
export interface FormValues {
  name: string;
  versions: { environment: string; version: string }[];
  policies: string;
}

export type DialogResult =
  | { kind: 'saved'; group: Group; created: boolean }
  | { kind: 'unchanged' }
  | { kind: 'cancelled' }
  /** The user followed a conflict's link; the caller shows that group and may keep the draft. */
  | { kind: 'left'; toGroupId: string; draft: FormValues };

export interface RingDialogOptions {
  api: Api;
  /** The group to edit; a new one is created without it. */
  group?: Group;
  /** Suggestions for the environment inputs. */
  environments: string[];
  /** Unsaved values to start from instead of the group's. */
  draft?: FormValues;
}

/** Same as the API's limit (MAX_VERSION_CONFIG_ENTRIES). */
const MAX_VERSION_ROWS = 16;
const UUID_AT_END = /deployment group ([0-9a-f-]{36})\b/i;

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

interface SentPolicy {
  id: string;
  line: number;
}

let nextRowId = 0;

export function valuesOf(group: Group): FormValues {
  return {
    name: group.name,
    versions: group.version_config.map((entry) => ({
      environment: entry.target_environment ?? '',
      version: entry.version,
    })),
    policies: (group.policy_ids ?? []).join('\n'),
  };
}

export function openRingDialog(options: RingDialogOptions): Promise<DialogResult> {
  const { api, group } = options;
  const start: FormValues =
    options.draft ??
    (group ? valuesOf(group) : { name: '', versions: [{ environment: '', version: '' }], policies: '' });
  let result: DialogResult = { kind: 'cancelled' };
  let busy = false;

  const formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const restored = options.draft
    ? h('p', { class: 'notice' }, 'Your unsaved changes were kept while you looked at the other ring.')
    : null;

  const nameInput = h('input', {
    id: 'ring-name',
    name: 'name',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'ring-name-error',
  });
  nameInput.value = start.name;
  const nameError = h('p', { id: 'ring-name-error', class: 'field-error', hidden: true });

  const rows: Row[] = [];
  const rowList = h('div', { class: 'version-rows' });
  const versionsError = h('p', { id: 'versions-error', class: 'field-error', hidden: true });
  const addButton = h(
    'button',
    { type: 'button', class: 'button subtle', onclick: () => addRow('', '').environment.focus() },
    'Add a version',
  );
  const environmentOptions = h(
    'datalist',
    { id: 'environment-options' },
    options.environments.map((environment) =>
      h('option', { value: environment }, environmentLabel(environment)),
    ),
  );

  const policiesInput = h('textarea', {
    id: 'ring-policies',
    name: 'policy_ids',
    rows: 4,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': 'ring-policies-hint ring-policies-error',
  });
  policiesInput.value = start.policies;
  const policiesError = h('div', { id: 'ring-policies-error', class: 'field-error', hidden: true });

  const submitButton = h(
    'button',
    { type: 'submit', class: 'button primary' },
    group ? 'Save changes' : 'Create ring',
  );
  const title = h('h2', { id: 'ring-dialog-title' }, group ? 'Edit ring' : 'New ring');

  const form = h(
    'form',
    { method: 'post', novalidate: true, onsubmit: (event) => submit(event) },
    h(
      'header',
      { class: 'dialog-header' },
      title,
      group ? h('p', { class: 'dialog-subtitle' }, group.name) : null,
    ),
    restored,
    formError,
    h('div', { class: 'field' }, h('label', { for: 'ring-name' }, 'Name'), nameInput, nameError),
    h(
      'fieldset',
      { class: 'versions', 'aria-describedby': 'versions-hint versions-error' },
      h('legend', {}, 'Client versions'),
      h(
        'p',
        { id: 'versions-hint', class: 'hint' },
        'One row per operating system. Leave Environment empty to cover all other environments.',
      ),
      versionsError,
      rowList,
      addButton,
      environmentOptions,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'ring-policies' }, 'Policy IDs'),
      h(
        'p',
        { id: 'ring-policies-hint', class: 'hint' },
        'Device profile IDs, one per line. A policy belongs to at most one ring.',
      ),
      policiesInput,
      policiesError,
    ),
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel'),
      submitButton,
    ),
  );
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'ring-dialog-title' }, form);

  for (const entry of start.versions.length ? start.versions : [{ environment: '', version: '' }]) {
    addRow(entry.environment, entry.version);
  }

  function addRow(environment: string, version: string): Row {
    const n = ++nextRowId;
    const environmentId = `version-environment-${n}`;
    const versionId = `version-number-${n}`;
    const environmentInput = h('input', {
      id: environmentId,
      type: 'text',
      list: 'environment-options',
      placeholder: 'all others',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': `${environmentId}-error`,
    });
    environmentInput.value = environment;
    const versionInput = h('input', {
      id: versionId,
      type: 'text',
      inputmode: 'decimal',
      placeholder: '2026.6.822.0',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': `${versionId}-error`,
    });
    versionInput.value = version;
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
    const row: Row = {
      element,
      legend,
      environment: environmentInput,
      environmentError,
      version: versionInput,
      versionError,
      remove,
      removeLabel,
    };
    remove.addEventListener('click', () => removeRow(row));
    rows.push(row);
    rowList.append(element);
    renumber();
    return row;
  }

  function removeRow(row: Row): void {
    const index = rows.indexOf(row);
    rows.splice(index, 1);
    row.element.remove();
    renumber();
    (rows[index] ?? rows[index - 1])?.environment.focus();
  }

  function renumber(): void {
    rows.forEach((row, i) => {
      row.legend.textContent = `Version ${i + 1}`;
      row.removeLabel.textContent = ` version ${i + 1}`;
      row.remove.disabled = rows.length === 1;
    });
    addButton.disabled = rows.length >= MAX_VERSION_ROWS;
  }

  function read(): FormValues {
    return {
      name: nameInput.value,
      versions: rows.map((row) => ({ environment: row.environment.value, version: row.version.value })),
      policies: policiesInput.value,
    };
  }

  /** The request body, and which row / line produced each array entry (to place the API's errors). */
  function body(): { input: GroupInput; sentRows: Row[]; sentPolicies: SentPolicy[] } {
    const sentRows = rows.filter(
      (row) => row.environment.value.trim() !== '' || row.version.value.trim() !== '',
    );
    const versionConfig: VersionConfig[] = sentRows.map((row) => ({
      target_environment: row.environment.value.trim() === '' ? null : row.environment.value.trim(),
      version: row.version.value.trim(),
    }));
    const sentPolicies = parsePolicies(policiesInput.value);
    const policyIds = sentPolicies.map((p) => p.id);
    if (!group) {
      const input: GroupInput = { name: nameInput.value, version_config: versionConfig };
      if (policyIds.length) input.policy_ids = policyIds;
      return { input, sentRows, sentPolicies };
    }
    // An update sends only what changed: fields left alone keep their stored value and updated_at.
    const input: GroupInput = {};
    if (nameInput.value !== group.name) input.name = nameInput.value;
    if (JSON.stringify(versionConfig) !== JSON.stringify(group.version_config))
      input.version_config = versionConfig;
    if (JSON.stringify(policyIds) !== JSON.stringify(group.policy_ids ?? [])) {
      input.policy_ids = policyIds.length ? policyIds : null;
    }
    return { input, sentRows, sentPolicies };
  }

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (busy) return;
    const { input, sentRows, sentPolicies } = body();
    if (group && Object.keys(input).length === 0) {
      result = { kind: 'unchanged' };
      dialog.close();
      return;
    }
    setBusy(true);
    const outcome = group ? await api.updateGroup(group.id, input) : await api.createGroup(input);
    if (outcome.ok) {
      result = { kind: 'saved', group: outcome.result, created: !group };
      setBusy(false);
      dialog.close();
      return;
    }
    await showErrors(outcome, sentRows, sentPolicies);
    setBusy(false);
    focusFirstInvalid();
  }

  function setBusy(value: boolean): void {
    busy = value;
    submitButton.disabled = value;
    form.setAttribute('aria-busy', String(value));
    submitButton.textContent = value ? 'Saving…' : group ? 'Save changes' : 'Create ring';
  }

  function clearErrors(): void {
    formError.hidden = true;
    formError.replaceChildren();
    versionsError.hidden = true;
    versionsError.replaceChildren();
    setFieldError(nameInput, nameError, null);
    for (const row of rows) {
      setFieldError(row.environment, row.environmentError, null);
      setFieldError(row.version, row.versionError, null);
    }
    setFieldError(policiesInput, policiesError, null);
  }

  async function showErrors(failure: Failure, sentRows: Row[], sentPolicies: SentPolicy[]): Promise<void> {
    clearErrors();
    const name: string[] = [];
    const versions: string[] = [];
    const rowErrors = new Map<Row, { environment: string[]; version: string[] }>();
    const policies: (string | Node)[] = [];
    const general: string[] = [];
    const conflicts: { policy: SentPolicy | undefined; groupId: string | null; message: string }[] = [];

    for (const error of failure.errors) {
      const pointer = error.source?.pointer;
      const [field, index, key] = pointer === undefined ? [] : pointer.split('/').slice(1);
      if (field === 'name') name.push(error.message);
      else if (field === 'version_config') {
        const row = index === undefined ? undefined : sentRows[Number(index)];
        if (!row) {
          versions.push(error.message);
          continue;
        }
        const slot = rowErrors.get(row) ?? { environment: [], version: [] };
        rowErrors.set(row, slot);
        // "the same as in entry 0" names a 0-based array index; the rows on screen count from 1.
        const message = error.message.replace(
          /in entry (\d+)/,
          (_, i: string) => `in version ${rows.indexOf(sentRows[Number(i)] ?? row) + 1}`,
        );
        (key === 'target_environment' ? slot.environment : slot.version).push(message);
      } else if (field === 'policy_ids') {
        const policy = index === undefined ? undefined : sentPolicies[Number(index)];
        if (failure.status === 409) {
          conflicts.push({
            policy,
            groupId: UUID_AT_END.exec(error.message)?.[1] ?? null,
            message: error.message,
          });
        } else {
          policies.push(
            h('p', {}, policy ? `Line ${policy.line} (${policy.id}): ${error.message}` : error.message),
          );
        }
      } else general.push(describeFailure({ ...failure, errors: [error] }));
    }

    if (conflicts.length) policies.push(...(await conflictItems(conflicts)));

    setFieldError(nameInput, nameError, name.length ? name.join(' ') : null);
    versionsError.hidden = versions.length === 0;
    versionsError.textContent = versions.join(' ');
    for (const [row, slot] of rowErrors) {
      setFieldError(
        row.environment,
        row.environmentError,
        slot.environment.length ? slot.environment.join(' ') : null,
      );
      setFieldError(row.version, row.versionError, slot.version.length ? slot.version.join(' ') : null);
    }
    setFieldError(policiesInput, policiesError, policies);

    const summary: string[] = [];
    if (conflicts.length) {
      summary.push(
        conflicts.length === 1
          ? 'Not saved: a policy already belongs to another ring.'
          : `Not saved: ${conflicts.length} policies already belong to other rings.`,
      );
      summary.push('Remove them from this ring, or from the ring that holds them.');
    } else if (failure.status === 400 && general.length === 0) {
      const count = failure.errors.length;
      summary.push(`Not saved: ${plural(count, 'problem', 'problems')} to fix, marked below.`);
    }
    summary.push(...general);
    if (!summary.length) summary.push(describeFailure(failure));
    formError.hidden = false;
    formError.replaceChildren(...summary.map((text) => h('p', {}, text)));
  }

  /** One line per conflicting policy, naming the ring that holds it with a link to its card. */
  async function conflictItems(
    conflicts: { policy: SentPolicy | undefined; groupId: string | null; message: string }[],
  ): Promise<Node[]> {
    const ids = [...new Set(conflicts.map((c) => c.groupId).filter((id): id is string => id !== null))];
    const names = new Map<string, string>();
    await Promise.all(
      ids.map(async (id) => {
        const found = await api.getGroup(id);
        if (found.ok) names.set(id, found.result.name);
      }),
    );
    return conflicts.map(({ policy, groupId, message }) => {
      if (!policy || !groupId) return h('p', {}, message);
      const link = h(
        'a',
        {
          href: `#group=${groupId}`,
          class: 'conflict-link',
          onclick: (event) => {
            event.preventDefault();
            result = { kind: 'left', toGroupId: groupId, draft: read() };
            dialog.close();
          },
        },
        names.get(groupId) ?? groupId,
      );
      return h(
        'p',
        { class: 'conflict' },
        `Line ${policy.line}: `,
        h('code', {}, policy.id),
        ' is held by ',
        link,
        '.',
      );
    });
  }

  function focusFirstInvalid(): void {
    const controls: HTMLElement[] = [
      nameInput,
      ...rows.flatMap((row) => [row.environment, row.version]),
      policiesInput,
    ];
    const first = controls.find((control) => control.getAttribute('aria-invalid') === 'true');
    if (first) first.focus();
    else if (versionsError.hidden === false) rows[0]?.environment.focus();
    else submitButton.focus();
  }

  return showModal(
    dialog,
    nameInput,
    () => busy,
    () => result,
  );
}

/** Policy IDs as typed: one per line (commas and spaces separate too), blank lines ignored. */
function parsePolicies(text: string): SentPolicy[] {
  const policies: SentPolicy[] = [];
  text.split('\n').forEach((line, i) => {
    for (const id of line.split(/[\s,]+/)) if (id) policies.push({ id, line: i + 1 });
  });
  return policies;
}
