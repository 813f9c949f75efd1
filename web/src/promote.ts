// "Promote…" on a ring card: a rollout of that ring's versions (the environments chosen) to the rings
// after it (the ones chosen, in the API's order), each after its wait, starting now or at a time. The plan
// is previewed as it is edited; the API validates what is sent, and its errors appear beside their fields.
import { type Api, describeFailure, type Failure } from './api.ts';
import { h, setFieldError, showModal } from './dom.ts';
import { environmentLabel } from './format.ts';
import type { Rollout } from './rollout-types.ts';
import { createRollout } from './rollouts-api.ts';
import {
  chosenVersions,
  defaultWait,
  describeWait,
  parseLocalTime,
  planStages,
  promoteBody,
  ringsAfter,
  suggestedName,
} from './rollouts-logic.ts';
import type { Group } from './wire.ts';

interface StageRow {
  group: Group;
  include: HTMLInputElement;
  wait: HTMLInputElement;
  error: HTMLElement;
}

/** The banner when every error is beside a field. */
function summary(failure: Failure): string {
  return failure.status === 409
    ? 'another rollout that has not finished already sets the same environment of a ring marked below.'
    : 'fix the marked fields.';
}

const planTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Resolves to the created rollout, or null when cancelled. */
export function openPromoteDialog(api: Api, source: Group, groups: Group[]): Promise<Rollout | null> {
  return new PromoteDialog(api, source, groups).open();
}

class PromoteDialog {
  private created: Rollout | null = null;
  private busy = false;
  private readonly name: HTMLInputElement;
  private readonly nameError = h('p', { id: 'promote-name-error', class: 'field-error', hidden: true });
  private readonly versions: { entry: Group['version_config'][number]; box: HTMLInputElement }[];
  private readonly versionsError = h('p', {
    id: 'promote-versions-error',
    class: 'field-error',
    hidden: true,
  });
  private readonly stages: StageRow[];
  private readonly startNow: HTMLInputElement;
  private readonly startAt: HTMLInputElement;
  private readonly startError = h('p', { id: 'promote-start-error', class: 'field-error', hidden: true });
  private readonly plan = h('ol', { class: 'plan', id: 'promote-plan' });
  private readonly formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  private readonly submit = h('button', { type: 'submit', class: 'button primary' }, 'Start rollout');
  private readonly dialog: HTMLDialogElement;

  constructor(
    private readonly api: Api,
    private readonly source: Group,
    groups: Group[],
  ) {
    this.name = h('input', {
      id: 'promote-name',
      type: 'text',
      autocomplete: 'off',
      'aria-describedby': 'promote-name-error',
    });
    this.name.value = suggestedName(source, source.version_config);
    this.versions = source.version_config.map((entry) => ({
      entry,
      box: h('input', { type: 'checkbox', checked: true, onchange: () => this.preview() }),
    }));
    this.stages = ringsAfter(groups, source.id).map((group, index) => this.stageRow(group, index));
    this.startNow = h('input', {
      type: 'radio',
      name: 'promote-start',
      value: 'now',
      checked: true,
      onchange: () => this.preview(),
    });
    this.startAt = h('input', {
      id: 'promote-start-at',
      type: 'datetime-local',
      'aria-describedby': 'promote-start-error',
      oninput: () => this.preview(),
    });
    this.dialog = h('dialog', { class: 'dialog promote', 'aria-labelledby': 'promote-title' }, this.form());
    this.preview();
  }

  open(): Promise<Rollout | null> {
    return showModal(
      this.dialog,
      this.name,
      () => this.busy,
      () => this.created,
    );
  }

  private stageRow(group: Group, index: number): StageRow {
    const id = `promote-wait-${index}`;
    const wait = h('input', {
      id,
      type: 'text',
      class: 'wait',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': `${id}-error`,
      oninput: () => this.preview(),
    });
    wait.value = defaultWait(index);
    const include = h('input', { type: 'checkbox', checked: true, onchange: () => this.preview() });
    return { group, include, wait, error: h('p', { id: `${id}-error`, class: 'field-error', hidden: true }) };
  }

  private form(): HTMLFormElement {
    return h(
      'form',
      { method: 'post', novalidate: true, onsubmit: (event) => void this.send(event) },
      h(
        'header',
        { class: 'dialog-header' },
        h('h2', { id: 'promote-title' }, 'Promote'),
        h('p', { class: 'dialog-subtitle' }, `From ${this.source.name}`),
      ),
      this.formError,
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'promote-name' }, 'Rollout name'),
        this.name,
        this.nameError,
      ),
      h(
        'fieldset',
        { class: 'choices', 'aria-describedby': 'promote-versions-error' },
        h('legend', {}, 'Versions to take'),
        this.versions.map(({ entry, box }) =>
          h(
            'label',
            { class: 'choice' },
            box,
            `${environmentLabel(entry.target_environment)} `,
            h('code', {}, entry.version),
          ),
        ),
        this.versionsError,
      ),
      this.ringsFieldset(),
      h(
        'fieldset',
        { class: 'choices' },
        h('legend', {}, 'Start'),
        h('label', { class: 'choice' }, this.startNow, 'Now'),
        h(
          'label',
          { class: 'choice' },
          h('input', { type: 'radio', name: 'promote-start', value: 'at', onchange: () => this.preview() }),
          'At',
        ),
        h('label', { class: 'visually-hidden', for: 'promote-start-at' }, 'Start time'),
        this.startAt,
        this.startError,
      ),
      h(
        'section',
        { class: 'plan-preview', 'aria-labelledby': 'promote-plan-title' },
        h('h3', { id: 'promote-plan-title' }, 'Plan'),
        this.plan,
      ),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'button', onclick: () => this.dialog.close() }, 'Cancel'),
        this.submit,
      ),
    );
  }

  private ringsFieldset(): HTMLElement {
    if (!this.stages.length)
      return h('p', { class: 'notice' }, 'No ring comes after this one: create the next ring first.');
    return h(
      'fieldset',
      { class: 'choices stages' },
      h('legend', {}, 'Rings, in order, and the wait before each'),
      h(
        'p',
        { class: 'hint' },
        'A wait like 0s, 30m, 24h or 7d, counted from when the ring before was changed (the first ring: from the start).',
      ),
      this.stages.map((row, index) =>
        h(
          'div',
          { class: 'stage-choice' },
          h('label', { class: 'choice' }, row.include, row.group.name),
          h(
            'label',
            { for: `promote-wait-${index}` },
            'Wait',
            h('span', { class: 'visually-hidden' }, ` before ${row.group.name}`),
          ),
          row.wait,
          row.error,
        ),
      ),
    );
  }

  private chosen(): StageRow[] {
    return this.stages.filter((row) => row.include.checked);
  }

  private start(): Date | null {
    return this.startNow.checked ? null : parseLocalTime(this.startAt.value);
  }

  private preview(): void {
    const rows = this.chosen();
    const start = this.start() ?? new Date();
    const planned = planStages(
      start,
      rows.map((row) => ({ group: row.group, wait: row.wait.value })),
    );
    const versions = chosenVersions(this.source.version_config, this.environments());
    const items = planned.map((stage, index) =>
      h(
        'li',
        {},
        h('strong', {}, stage.group.name),
        ` gets ${versions.map((v) => `${environmentLabel(v.target_environment)} ${v.version}`).join(', ') || 'nothing'}`,
        ` — ${describeWait(stage.wait)} after ${index === 0 ? 'the start' : 'the ring before'}`,
        stage.dueAt ? `, about ${planTime.format(stage.dueAt)}` : ' (not a valid wait)',
      ),
    );
    this.plan.replaceChildren(...(items.length ? items : [h('li', {}, 'Choose at least one ring.')]));
  }

  private environments(): (string | null)[] {
    return this.versions.filter((v) => v.box.checked).map((v) => v.entry.target_environment);
  }

  private async send(event: Event): Promise<void> {
    event.preventDefault();
    if (this.busy) return;
    const rows = this.chosen();
    if (!this.startNow.checked && !this.start()) {
      setFieldError(this.startAt, this.startError, 'Choose the start time, or start now.');
      this.startAt.focus();
      return;
    }
    const body = promoteBody({
      name: this.name.value,
      versions: chosenVersions(this.source.version_config, this.environments()),
      stages: rows.map((row) => ({ groupId: row.group.id, wait: row.wait.value })),
      startAt: this.start(),
    });
    this.setBusy(true);
    const outcome = await createRollout(this.api, body);
    this.setBusy(false);
    if (outcome.ok) {
      this.created = outcome.result;
      this.dialog.close();
      return;
    }
    this.showErrors(outcome, rows);
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.submit.disabled = busy;
    this.submit.textContent = busy ? 'Starting…' : 'Start rollout';
  }

  /** Each error beside the field its pointer names; the rest, and a summary, above the form. */
  private showErrors(failure: Failure, rows: StageRow[]): void {
    const at = new Map<HTMLElement, string[]>();
    const general: Failure['errors'] = [];
    for (const error of failure.errors) {
      const pointer = error.source?.pointer ?? '';
      const stage = /^\/stages\/(\d+)/.exec(pointer);
      const row = stage ? rows[Number(stage[1])] : undefined;
      const target = row
        ? row.wait
        : pointer.startsWith('/name')
          ? this.name
          : pointer.startsWith('/version_config')
            ? (this.versions[0]?.box ?? null)
            : pointer.startsWith('/start_at')
              ? this.startAt
              : null;
      if (target) at.set(target, [...(at.get(target) ?? []), error.message]);
      else general.push(error);
    }
    setFieldError(this.name, this.nameError, at.get(this.name)?.join(' ') ?? null);
    setFieldError(this.startAt, this.startError, at.get(this.startAt)?.join(' ') ?? null);
    const first = this.versions[0]?.box;
    if (first) setFieldError(first, this.versionsError, at.get(first)?.join(' ') ?? null);
    for (const row of this.stages) setFieldError(row.wait, row.error, at.get(row.wait)?.join(' ') ?? null);
    this.formError.hidden = false;
    this.formError.replaceChildren(
      h(
        'p',
        {},
        `Not started: ${general.length ? describeFailure({ ...failure, errors: general }) : summary(failure)}`,
      ),
    );
    const invalid = this.dialog.querySelector<HTMLElement>('[aria-invalid="true"]');
    (invalid ?? this.submit).focus();
  }
}
