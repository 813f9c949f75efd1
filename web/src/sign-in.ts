// Signing in: an API token and an account ID, checked against the API before they are kept. The account ID
// of the last sign-in is filled in (session.ts) until the user clears it with "Forget".
import { Api, describeFailure, type Failure } from './api.ts';
import { h, setFieldError } from './dom.ts';
import { forgetAccount, rememberedAccount, type Session } from './session.ts';
import { ACCOUNT_ID_PATTERN, type Access } from './wire.ts';

const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);

export interface SignInOptions {
  /** Shown above the form, e.g. why the previous session ended. */
  notice?: string;
  /** Called with the session and what its token may do in that account. */
  onSignedIn(session: Session, access: Access): void;
}

export function signInView(options: SignInOptions): HTMLElement {
  return new SignInForm(options).form;
}

class SignInForm {
  readonly form: HTMLFormElement;
  private readonly token = input('token', 'password', 'token-hint token-error');
  private readonly tokenError = h('p', { id: 'token-error', class: 'field-error', hidden: true });
  private readonly account = input('account', 'text', 'account-hint account-error');
  private readonly accountError = h('p', { id: 'account-error', class: 'field-error', hidden: true });
  private readonly forget: HTMLButtonElement;
  private readonly formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  private readonly submitButton = h('button', { type: 'submit', class: 'button primary' }, 'Sign in');

  constructor(private readonly options: SignInOptions) {
    this.account.placeholder = '0123456789abcdef0123456789abcdef';
    this.account.value = rememberedAccount();
    this.forget = h(
      'button',
      {
        type: 'button',
        class: 'button subtle',
        hidden: !this.account.value,
        onclick: () => this.forgetAccount(),
      },
      'Forget',
      h('span', { class: 'visually-hidden' }, ' this account ID'),
    );
    this.form = this.build();
  }

  private build(): HTMLFormElement {
    const { notice } = this.options;
    return h(
      'form',
      { class: 'panel sign-in', method: 'post', novalidate: true, onsubmit: (event) => this.submit(event) },
      h('h1', { id: 'sign-in-title' }, 'Sign in'),
      h(
        'p',
        { class: 'lead' },
        'See and change the rollout rings (deployment groups) of an account on this Ringmaster server.',
      ),
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
      this.formError,
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'token' }, 'API token'),
        this.token,
        h(
          'p',
          { id: 'token-hint', class: 'hint' },
          'The server prints an operator token on its first start; make more with ',
          h('code', {}, 'ringmaster tokens create'),
          '.',
        ),
        this.tokenError,
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'account' }, 'Account ID'),
        h('div', { class: 'input-with-action' }, this.account, this.forget),
        h('p', { id: 'account-hint', class: 'hint' }, '32 hexadecimal digits, as on Cloudflare.'),
        this.accountError,
      ),
      h(
        'p',
        { class: 'hint' },
        'The token stays in this browser tab only (session storage), until you sign out or close the tab. ' +
          'The account ID is remembered in this browser for the next sign-in until you forget it.',
      ),
      h('div', { class: 'form-actions' }, this.submitButton),
    );
  }

  private forgetAccount(): void {
    forgetAccount();
    this.account.value = '';
    this.forget.hidden = true;
    this.account.focus();
  }

  private async submit(event: Event): Promise<void> {
    event.preventDefault();
    const token = this.token.value.trim();
    const account = this.account.value.trim().toLowerCase();
    this.formError.hidden = true;
    setFieldError(this.token, this.tokenError, token ? null : 'Paste an API token.');
    const accountProblem = ACCOUNT_ID.test(account)
      ? null
      : 'An account ID is 32 hexadecimal digits (0–9, a–f).';
    setFieldError(this.account, this.accountError, accountProblem);
    if (!token || accountProblem) return this.focusFirstInvalid();

    this.submitButton.disabled = true;
    this.submitButton.textContent = 'Signing in…';
    try {
      const access = await this.check(new Api({ token, account }));
      if (access) this.options.onSignedIn({ token, account }, access);
      else this.focusFirstInvalid();
    } finally {
      this.submitButton.disabled = false;
      this.submitButton.textContent = 'Sign in';
    }
  }

  /** Asks the API whether the token works and may read the account: what it may do there, or null. */
  private async check(api: Api): Promise<Access | null> {
    const verified = await api.verifyToken();
    if (!verified.ok) {
      if (verified.status === 400 || verified.status === 401 || verified.status === 403) {
        const message =
          verified.status === 400
            ? 'This is not an API token: tokens are letters, digits, "-" and "_", and start with rmt_.'
            : 'This token is unknown, expired or revoked.';
        setFieldError(this.token, this.tokenError, message);
      } else this.showFormError(verified);
      return null;
    }
    const access = await api.getAccess();
    if (access.ok) return access.result;
    if (access.status === 403) {
      setFieldError(this.account, this.accountError, 'This token has no access to this account.');
    } else this.showFormError(access);
    return null;
  }

  private showFormError(failure: Failure): void {
    this.formError.hidden = false;
    this.formError.replaceChildren(h('p', {}, `Could not sign in: ${describeFailure(failure)}`));
  }

  private focusFirstInvalid(): void {
    const invalid = [this.token, this.account].find(
      (control) => control.getAttribute('aria-invalid') === 'true',
    );
    (invalid ?? this.submitButton).focus();
  }
}

function input(id: string, type: string, describedBy: string): HTMLInputElement {
  return h('input', {
    id,
    name: id,
    type,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': describedBy,
  });
}
