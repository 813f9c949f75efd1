// The dashboard's entry point: signed out → the sign-in form; signed in → the account's rings.
// A `#group=<id>` address (the links a conflict shows) brings that group's card on screen; `#audit` is the
// account's audit log.
import { Api } from './api.ts';
import { AuditView } from './audit-view.ts';
import { h, replace } from './dom.ts';
import { RingsView } from './rings.ts';
import { clearSession, loadSession, type Session, saveSession } from './session.ts';
import { signInView } from './sign-in.ts';
import type { Access } from './wire.ts';

const main = document.getElementById('main') as HTMLElement;
const sessionArea = document.getElementById('session') as HTMLElement;
let rings: RingsView | null = null;
let audit: AuditView | null = null;

function showSignIn(notice?: string): void {
  rings?.dispose();
  rings = null;
  audit = null;
  replace(sessionArea);
  replace(main, signInView({ notice, onSignedIn: (session, access) => signIn(session, access) }));
  document.getElementById('token')?.focus();
}

function signIn(session: Session, access: Access): void {
  saveSession(session);
  void showRings(session, true, access);
}

function signOut(notice = 'You signed out; the token was removed from this tab.'): void {
  clearSession();
  showSignIn(notice);
}

async function showRings(session: Session, focusHeading: boolean, access?: Access): Promise<void> {
  showSessionArea(session);
  if (location.hash === '#audit') return showAudit(session);
  rings?.dispose();
  audit = null;
  const view = new RingsView(new Api(session), (reason) => signOut(reason), access);
  rings = view;
  replace(main, view.root);
  if (!(await view.load(1)) || rings !== view) return;
  const target = groupInAddress();
  if (target) await view.showGroup(target);
  else if (focusHeading) view.focusHeading();
}

async function showAudit(session: Session): Promise<void> {
  rings?.dispose();
  rings = null;
  const view = new AuditView(new Api(session), (reason) => signOut(reason));
  audit = view;
  replace(main, view.root);
  view.focusHeading();
  await view.load(true);
}

function showSessionArea(session: Session): void {
  replace(
    sessionArea,
    h(
      'span',
      { class: 'account' },
      h('span', { class: 'account-label' }, 'Account '),
      h('code', { title: session.account }, session.account),
    ),
    h('button', { type: 'button', class: 'button', onclick: () => signOut() }, 'Sign out'),
  );
}

function groupInAddress(): string | null {
  return /^#group=([0-9a-f-]{36})$/i.exec(location.hash)?.[1] ?? null;
}

window.addEventListener('hashchange', () => {
  const session = loadSession();
  if (!session) return;
  const target = groupInAddress();
  if (location.hash === '#audit') void showAudit(session);
  else if (target && rings) void rings.showGroup(target);
  else if (audit) void showRings(session, true);
});

const session = loadSession();
if (session) void showRings(session, false);
else showSignIn();
