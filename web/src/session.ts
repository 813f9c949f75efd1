// The signed-in token and account live in this tab's sessionStorage only: never in a URL (history,
// logs, Referer) and never in a cookie (sent without asking). Closing the tab or signing out forgets them.

export interface Session {
  token: string;
  account: string;
}

const KEY = 'ringmaster.session';

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
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
