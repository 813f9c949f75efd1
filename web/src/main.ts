// The dashboard's entry point: signed out → the sign-in form; signed in → the account's rings.
// A `#group=<id>` address (the links a conflict shows) brings that group's card on screen; `#audit` is the
// account's audit log; `#rollouts`, `#rollout=<id>` and `#lookup` are the pages of rollouts-pages.ts.
import { Api } from './api.ts';
import { AuditView } from './audit-view.ts';
import { h, replace } from './dom.ts';
import { RingsView } from './rings.ts';
import { otherPage, type PageName, type PageView, pageNav, placeInAddress } from './rollouts-pages.ts';
import { clearSession, loadSession, type Session, saveSession } from './session.ts';
import { signInView } from './sign-in.ts';
import type { Access } from './wire.ts';

const main = document.getElementById('main') as HTMLElement;
const sessionArea = document.getElementById('session') as HTMLElement;
let rings: RingsView | null = null;
let audit: AuditView | null = null;
/** The page on screen when it is not the rings (rollouts-pages.ts), and which page is shown. */
let other: PageView | null = null;
let shownPage: PageName | null = null;

/** Stops whatever signed-in view is on screen. */
function leaveView(): void {
  rings?.dispose();
  other?.dispose();
  rings = null;
  other = null;
  audit = null;
  shownPage = null;
}

function showSignIn(notice?: string): void {
  leaveView();
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
  leaveView();
  const place = placeInAddress(location.hash);
  shownPage = place.page;
  const page = otherPage(place, new Api(session), (reason) => signOut(reason), access);
  if (page) {
    other = page;
    replace(main, pageNav(place.page), page.root);
    if ((await page.load()) && other === page) page.focusHeading();
    return;
  }
  const view = new RingsView(new Api(session), (reason) => signOut(reason), access);
  rings = view;
  replace(main, pageNav('rings'), view.root);
  if (!(await view.load(1)) || rings !== view) return;
  const target = groupInAddress();
  if (target) await view.showGroup(target);
  else if (focusHeading) view.focusHeading();
}

async function showAudit(session: Session): Promise<void> {
  leaveView();
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
  if (location.hash === '#audit') {
    void showAudit(session);
    return;
  }
  const place = placeInAddress(location.hash);
  if (audit || place.page !== shownPage || place.rollout) {
    void showRings(session, true);
    return;
  }
  const target = groupInAddress();
  if (target && rings) void rings.showGroup(target);
});

const session = loadSession();
if (session) void showRings(session, false);
else showSignIn();
