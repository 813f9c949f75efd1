// "What does policy P get?": a policy ID and an environment → the version and the ring it comes from, or
// why there is none (docs/contract.md §8.4: no ring holds the policy; its ring has no entry for that
// environment). The answer is the API's; a refused request is shown beside the field it is about.
import { type Api, describeFailure, isSignedOut } from './api.ts';
import { h, replace, setFieldError } from './dom.ts';
import { environmentLabel } from './format.ts';
import type { VersionTarget } from './rollout-types.ts';
import { versionTarget } from './rollouts-api.ts';

/** Suggestions only (the server's TARGET_ENVIRONMENTS default); the API says when one is not accepted. */
const ENVIRONMENTS = ['windows', 'macos'];

/** The sentence for an answer: what the policy gets, or the API's reason it gets nothing. */
export function lookupAnswer(
  target: VersionTarget | null,
  messages: { message: string }[] | undefined,
  policyId: string,
  environment: string,
): string {
  if (target)
    return `Policy ${target.policy_id} on ${environmentLabel(target.target_environment)} gets ${target.version}, from the ring ${target.deployment_group.name}.`;
  const why = messages?.map((m) => m.message).join(' ');
  return `Policy ${policyId} on ${environmentLabel(environment)} gets no version${why ? `: ${why}` : '.'}`;
}

export class PolicyLookupView {
  readonly root: HTMLElement;
  private readonly heading = h('h1', { id: 'lookup-title', tabindex: '-1' }, 'Policy lookup');
  private readonly policy = h('input', {
    id: 'lookup-policy',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'lookup-policy-error',
  });
  private readonly policyError = h('p', { id: 'lookup-policy-error', class: 'field-error', hidden: true });
  private readonly environment = h('input', {
    id: 'lookup-environment',
    type: 'text',
    list: 'lookup-environments',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'lookup-environment-error',
  });
  private readonly environmentError = h('p', {
    id: 'lookup-environment-error',
    class: 'field-error',
    hidden: true,
  });
  private readonly answer = h('div', { class: 'lookup-answer', role: 'status', 'aria-live': 'polite' });
  private seq = 0;

  constructor(
    private readonly api: Api,
    private readonly onSignedOut: (reason: string) => void,
  ) {
    this.environment.value = 'windows';
    this.root = h(
      'section',
      { class: 'lookup', 'aria-labelledby': 'lookup-title' },
      h('div', { class: 'toolbar' }, h('div', { class: 'toolbar-title' }, this.heading)),
      h(
        'form',
        {
          class: 'panel lookup-form',
          method: 'get',
          novalidate: true,
          onsubmit: (event) => void this.lookUp(event),
        },
        h(
          'p',
          { class: 'lead' },
          'Which client version does a device under a policy get, and from which ring?',
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'lookup-policy' }, 'Policy ID'),
          this.policy,
          this.policyError,
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'lookup-environment' }, 'Environment'),
          this.environment,
          h(
            'datalist',
            { id: 'lookup-environments' },
            ENVIRONMENTS.map((e) => h('option', { value: e }, environmentLabel(e))),
          ),
          this.environmentError,
        ),
        h(
          'div',
          { class: 'form-actions' },
          h('button', { type: 'submit', class: 'button primary' }, 'Look up'),
        ),
        this.answer,
      ),
    );
  }

  dispose(): void {
    this.seq++;
  }

  focusHeading(): void {
    this.heading.focus();
  }

  async load(): Promise<boolean> {
    return true;
  }

  private async lookUp(event: Event): Promise<void> {
    event.preventDefault();
    const seq = ++this.seq;
    const policyId = this.policy.value.trim();
    const environment = this.environment.value.trim();
    setFieldError(this.policy, this.policyError, null);
    setFieldError(this.environment, this.environmentError, null);
    replace(this.answer, h('p', { class: 'loading' }, 'Looking up…'));
    const outcome = await versionTarget(this.api, policyId, environment);
    if (seq !== this.seq) return;
    if (outcome.ok) {
      const found = outcome.result;
      replace(
        this.answer,
        h(
          'p',
          { class: found ? 'answer found' : 'answer none' },
          lookupAnswer(found, outcome.messages, policyId, environment),
          found ? ' ' : null,
          found ? h('a', { href: `#group=${found.deployment_group.id}` }, 'Show the ring') : null,
        ),
      );
      return;
    }
    if (isSignedOut(outcome))
      return this.onSignedOut('Your session ended: the token is no longer valid. Sign in again.');
    replace(this.answer);
    const fields: [string, HTMLInputElement, HTMLElement][] = [
      ['policy_id', this.policy, this.policyError],
      ['target_environment', this.environment, this.environmentError],
    ];
    const rest = outcome.errors.filter((error) => {
      const field = fields.find(
        ([name]) => error.source?.parameter === name || error.source?.pointer?.endsWith(name),
      );
      if (field) setFieldError(field[1], field[2], error.message);
      return !field;
    });
    if (rest.length)
      replace(
        this.answer,
        h('p', { class: 'form-error', role: 'alert' }, describeFailure({ ...outcome, errors: rest })),
      );
    this.root.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }
}
