// The signed-in token and account live in this tab's sessionStorage only: never in a URL (history,
// logs, Referer) and never in a cookie (sent without asking). Closing the tab or signing out forgets them.
// The account ID alone — a name, not a secret — is also remembered in localStorage, so the next sign-in
// (after signing out, or in a new tab) starts with it filled in, until the user clears it.

export interface Session {
  token: string;
  account: string;
}

const KEY = 'ringmaster.session';
const ACCOUNT_KEY = 'ringmaster.account';

export function loadSession(): Session | null {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    if (value !== null && typeof value === 'object') {
      const { token, account } = value as Record<string, unknown>;
      if (typeof token === 'string' && typeof account === 'string') return { token, account };
    }
  } catch {
    // Unreadable storage is the same as no session.
  }
  return null;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  rememberAccount(session.account);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** The account ID of the last sign-in in this browser, or '' when none is remembered. */
export function rememberedAccount(): string {
  try {
    return localStorage.getItem(ACCOUNT_KEY) ?? '';
  } catch {
    return '';
  }
}

function rememberAccount(account: string): void {
  try {
    localStorage.setItem(ACCOUNT_KEY, account);
  } catch {
    // Storage may be disabled; then the account is simply typed again next time.
  }
}

export function forgetAccount(): void {
  try {
    localStorage.removeItem(ACCOUNT_KEY);
  } catch {
    // Nothing could have been remembered.
  }
}
