// The ring dialog's policy IDs: a text box, one ID per line, with its errors beside it; a conflict names the
// ring holding the policy (from the error's meta.deployment_group_id) and links to that ring's card.
import type { Api } from './api.ts';
import { h, setFieldError } from './dom.ts';
import type { Conflict } from './error-placement.ts';
import { MAX_POLICY_IDS } from './wire.ts';

export class PolicyField {
  readonly element: HTMLDivElement;
  readonly input: HTMLTextAreaElement;
  private readonly error = h('div', { id: 'ring-policies-error', class: 'field-error', hidden: true });

  constructor(text: string) {
    this.input = h('textarea', {
      id: 'ring-policies',
      name: 'policy_ids',
      rows: 4,
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-describedby': 'ring-policies-hint ring-policies-error',
    });
    this.input.value = text;
    this.element = h(
      'div',
      { class: 'field' },
      h('label', { for: 'ring-policies' }, 'Policy IDs'),
      h(
        'p',
        { id: 'ring-policies-hint', class: 'hint' },
        `Device profile IDs, one per line (at most ${MAX_POLICY_IDS.toLocaleString()}). `,
        'A policy belongs to at most one ring.',
      ),
      this.input,
      this.error,
    );
  }

  value(): string {
    return this.input.value;
  }

  /** One paragraph per item; none clears the errors. */
  showErrors(items: (string | Node)[]): void {
    setFieldError(
      this.input,
      this.error,
      items.map((item) => (typeof item === 'string' ? h('p', {}, item) : item)),
    );
  }
}

/**
 * One line per conflicting policy: "Line 2: <id> is held by <link to that ring>". The rings' names are
 * fetched (once each); `follow` is called with the ring's ID when the user follows a link.
 */
export async function conflictLines(
  api: Api,
  conflicts: Conflict[],
  follow: (groupId: string) => void,
): Promise<Node[]> {
  const names = await ringNames(api, conflicts);
  return conflicts.map(({ policy, groupId, message }) => {
    if (!policy || !groupId) return h('p', {}, message);
    const link = h(
      'a',
      {
        href: `#group=${groupId}`,
        class: 'conflict-link',
        onclick: (event) => {
          event.preventDefault();
          follow(groupId);
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

async function ringNames(api: Api, conflicts: Conflict[]): Promise<Map<string, string>> {
  const ids = [...new Set(conflicts.map((c) => c.groupId).filter((id): id is string => id !== null))];
  const names = new Map<string, string>();
  await Promise.all(
    ids.map(async (id) => {
      const found = await api.getGroup(id);
      if (found.ok) names.set(id, found.result.name);
    }),
  );
  return names;
}
