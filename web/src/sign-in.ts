// Signing in: an API token and an account ID, checked against the API before they are kept.
import { Api, describeFailure } from './api.ts';
import { h, setFieldError } from './dom.ts';
import type { Session } from './session.ts';

const ACCOUNT_ID = /^[0-9a-f]{32}$/;

export interface SignInOptions {
  /** Shown above the form, e.g. why the previous session ended. */
  notice?: string;
  onSignedIn(session: Session): void;
}

export function signInView({ notice, onSignedIn }: SignInOptions): HTMLElement {
  const tokenInput = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'token-hint token-error',
  });
  const tokenError = h('p', { id: 'token-error', class: 'field-error', hidden: true });
  const accountInput = h('input', {
    id: 'account',
    name: 'account',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: '0123456789abcdef0123456789abcdef',
    'aria-describedby': 'account-hint account-error',
  });
  const accountError = h('p', { id: 'account-error', class: 'field-error', hidden: true });
  const formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const submitButton = h('button', { type: 'submit', class: 'button primary' }, 'Sign in');

  const form = h(
    'form',
    { class: 'panel sign-in', method: 'post', novalidate: true, onsubmit: (event) => submit(event) },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h(
      'p',
      { class: 'lead' },
      'See and change the rollout rings (deployment groups) of an account on this Ringmaster server.',
    ),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    formError,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'token' }, 'API token'),
      tokenInput,
      h(
        'p',
        { id: 'token-hint', class: 'hint' },
        'The server prints an operator token on its first start; make more with ',
        h('code', {}, 'ringmaster tokens create'),
        '.',
      ),
      tokenError,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'account' }, 'Account ID'),
      accountInput,
      h('p', { id: 'account-hint', class: 'hint' }, '32 hexadecimal digits, as on Cloudflare.'),
      accountError,
    ),
    h(
      'p',
      { class: 'hint' },
      'Both stay in this browser tab only (session storage), until you sign out or close the tab.',
    ),
    h('div', { class: 'form-actions' }, submitButton),
  );

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const token = tokenInput.value.trim();
    const account = accountInput.value.trim().toLowerCase();
    formError.hidden = true;
    setFieldError(tokenInput, tokenError, token ? null : 'Paste an API token.');
    setFieldError(
      accountInput,
      accountError,
      ACCOUNT_ID.test(account) ? null : 'An account ID is 32 hexadecimal digits (0–9, a–f).',
    );
    if (!token || !ACCOUNT_ID.test(account)) return focusFirstInvalid();

    submitButton.disabled = true;
    submitButton.textContent = 'Signing in…';
    try {
      const api = new Api({ token, account });
      const verified = await api.verifyToken();
      if (!verified.ok) {
        if (verified.status === 400 || verified.status === 401 || verified.status === 403) {
          setFieldError(
            tokenInput,
            tokenError,
            verified.status === 400
              ? 'This is not an API token: tokens are letters, digits, "-" and "_", and start with rmt_.'
              : 'This token is unknown, expired or revoked.',
          );
        } else showFormError(describeFailure(verified));
        return focusFirstInvalid();
      }
      const listed = await api.listGroups(1, 1);
      if (!listed.ok) {
        if (listed.status === 403) {
          setFieldError(accountInput, accountError, 'This token has no access to this account.');
        } else showFormError(describeFailure(listed));
        return focusFirstInvalid();
      }
      onSignedIn({ token, account });
    } finally {
      submitButton.disabled = false;
      submitButton.textContent = 'Sign in';
    }
  }

  function showFormError(message: string): void {
    formError.hidden = false;
    formError.replaceChildren(h('p', {}, `Could not sign in: ${message}`));
  }

  function focusFirstInvalid(): void {
    const invalid = [tokenInput, accountInput].find((input) => input.getAttribute('aria-invalid') === 'true');
    (invalid ?? submitButton).focus();
  }

  return form;
}
