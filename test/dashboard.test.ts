// The web dashboard, end to end: a real server, the built assets, real headless Chromium driving the page
// the way a person would. The dashboard only talks to the public API, so the API is also how these tests
// seed data and check results.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  browserSuiteUnavailable,
  buildDashboard,
  type DashboardServer,
  launchChromium,
  type OpenedDashboard,
  openDashboard,
  signIn,
  startDashboardServer,
} from './support/browser.ts';
import { runCli } from './support/server.ts';

const GROUPS = (account: string) => `/accounts/${account}/devices/deployment-groups`;
const account = (n: number) => n.toString(16).padStart(32, '0');
const policy = (n: number) => `8d3f0c4e-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const ring = (name: string, policyIds?: string[]) => ({
  name,
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  ...(policyIds ? { policy_ids: policyIds } : {}),
});

const unavailable = await browserSuiteUnavailable('dashboard e2e');

let server: DashboardServer;
before(async () => {
  buildDashboard();
  server = await startDashboardServer();
});
after(async () => {
  await server?.stop();
});

describe('dashboard assets', () => {
  test('serves the dashboard at / with a strict Content-Security-Policy', async () => {
    const response = await fetch(`${server.origin}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style');

    const script = await fetch(`${server.origin}/assets/main.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const etag = script.headers.get('etag') ?? '';
    const again = await fetch(`${server.origin}/assets/main.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  test('keeps answering the 404 envelope for paths that are not assets', async () => {
    for (const path of ['/nope', '/assets/nope.js', '/index.html', '/assets/tsconfig.json']) {
      const response = await fetch(`${server.origin}${path}`);
      assert.equal(response.status, 404, path);
      const body = await response.json();
      assert.equal(body.success, false);
      assert.equal(body.errors[0].code, 7003);
    }
  });
});

describe('dashboard in Chromium', { skip: unavailable ?? false }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  const open = (viewport?: { width: number; height: number }): Promise<OpenedDashboard> =>
    openDashboard(browser, server.origin, viewport);

  const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
  /** Waits (the page moves focus after async work) until the element with `id` has the focus. */
  async function expectFocus(page: Page, id: string | null, message?: string): Promise<void> {
    await page
      .waitForFunction((want) => (document.activeElement?.id ?? '') === want, id ?? '', { timeout: 5000 })
      .catch(() => undefined);
    assert.equal(await focusedId(page), id ?? '', message);
  }
  const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

  /** The error shown for a control: the element its aria-describedby names, which the page shows next to it. */
  async function errorBeside(control: Locator): Promise<string> {
    await control.and(control.page().locator('[aria-invalid="true"]')).waitFor();
    const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(' ');
    const errorId = ids.find((id) => id.endsWith('-error'));
    assert.ok(errorId, 'the control names its error element');
    const slot = control.page().locator(`[id="${errorId}"]`);
    await slot.waitFor({ state: 'visible' });
    return (await slot.textContent()) ?? '';
  }

  test('signs in with a token kept only in sessionStorage, and signs out keeping the account ID unless forgotten', async () => {
    const { context, page, problems } = await open();
    const token = page.getByLabel('API token');
    await expectFocus(page, 'token', 'the token field has the focus');

    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await errorBeside(token), /Paste an API token/);
    assert.match(await errorBeside(page.getByLabel('Account ID')), /32 hexadecimal digits/);

    await token.fill('rmt_not-a-real-token');
    await page.getByLabel('Account ID').fill(account(1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This token is unknown, expired or revoked.').waitFor();
    assert.match(await errorBeside(token), /unknown, expired or revoked/);

    await signIn(page, server.token, account(1));
    await page.getByRole('heading', { name: 'No rings yet' }).waitFor();
    await expectFocus(page, 'rings-title');
    assert.ok(!page.url().includes(server.token) && !page.url().includes(account(1)), 'nothing in the URL');
    assert.deepEqual(await context.cookies(), []);
    // Only the account ID, which is no secret, outlives the tab.
    const remembered = () => page.evaluate(() => ({ ...localStorage }));
    assert.deepEqual(await remembered(), { 'ringmaster.account': account(1) });
    const stored = await page.evaluate(() =>
      JSON.parse(sessionStorage.getItem('ringmaster.session') ?? '{}'),
    );
    assert.deepEqual(stored, { token: server.token, account: account(1) });

    await page.reload();
    await page.getByRole('heading', { name: 'No rings yet' }).waitFor();

    // Signing out forgets the token; the account ID is filled in for the next sign-in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await expectFocus(page, 'token');
    assert.equal(await token.inputValue(), '');
    assert.equal(await page.getByLabel('Account ID').inputValue(), account(1));
    await token.fill(server.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'No rings yet' }).waitFor();

    // Unless cleared: Forget empties the field and the browser's memory of it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Forget this account ID' }).click();
    assert.equal(await page.getByLabel('Account ID').inputValue(), '');
    await expectFocus(page, 'account');
    assert.deepEqual(await remembered(), {});
    await page.reload();
    await page.getByLabel('API token').waitFor();
    assert.equal(await page.getByLabel('Account ID').inputValue(), '');
    assert.equal(await page.getByRole('button', { name: 'Forget this account ID' }).count(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('creates a ring, shows validation errors and conflicts beside their fields, edits and deletes it', async () => {
    const acct = account(2);
    const holder = (await server.api('POST', GROUPS(acct), ring('Holder ring', [policy(1)]))).body.result;
    const { context, page, problems } = await open();
    await signIn(page, server.token, acct);
    await page.getByRole('article', { name: 'Holder ring' }).waitFor();

    // A version the API rejects: the message appears beside that row's version input, which gets the focus.
    await page.getByRole('button', { name: 'New ring' }).click();
    const dialog = page.getByRole('dialog', { name: 'New ring' });
    await dialog.getByLabel('Name').fill('Canary');
    const row1 = dialog.getByRole('group', { name: 'Version 1' });
    await row1.getByLabel('Environment').fill('windows');
    await row1.getByLabel('Version').fill('2026.13.1.0');
    await dialog.getByRole('button', { name: 'Add a version' }).click();
    const row2 = dialog.getByRole('group', { name: 'Version 2' });
    await row2.getByLabel('Version').fill('2026.6.822.0');
    await dialog.getByLabel('Policy IDs').fill(`${policy(1)}\n${policy(2)}`);
    await dialog.getByRole('button', { name: 'Create ring' }).click();
    assert.match(await errorBeside(row1.getByLabel('Version')), /must look like 2026\.6\.822\.0/);
    assert.equal(await row2.getByLabel('Version').getAttribute('aria-invalid'), null);
    await expectFocus(page, await row1.getByLabel('Version').getAttribute('id'));
    await dialog.getByText(/Not saved: 1 problem to fix/).waitFor();

    // A policy held by another ring: the conflict names that ring, with a link to its card.
    await row1.getByLabel('Version').fill('2026.6.822.0');
    await dialog.getByRole('button', { name: 'Create ring' }).click();
    const conflict = await errorBeside(dialog.getByLabel('Policy IDs'));
    assert.match(conflict, new RegExp(`Line 1: ${policy(1)} is held by Holder ring`));
    await dialog
      .getByText(
        'Not saved: a policy already belongs to another ring. Remove it from this ring, or from the ring that holds it.',
      )
      .waitFor();
    const link = dialog.getByRole('link', { name: 'Holder ring' });
    assert.equal(await link.getAttribute('href'), `#group=${holder.id}`);
    await link.click();
    await dialog.waitFor({ state: 'detached' });
    await expectFocus(page, `group-${holder.id}`, "the holder's card has the focus");
    assert.equal((await server.api('GET', GROUPS(acct))).body.result.length, 1, 'nothing was created');

    // Back in the dialog, the draft is still there; without the held policy the ring is created.
    await page.getByRole('button', { name: 'New ring' }).click();
    assert.equal(await dialog.getByLabel('Name').inputValue(), 'Canary');
    await dialog.getByLabel('Policy IDs').fill(policy(2));
    await dialog.getByRole('button', { name: 'Create ring' }).click();
    await dialog.waitFor({ state: 'detached' });
    const card = page.getByRole('article', { name: 'Canary' });
    await card.waitFor();
    const created = (await server.api('GET', GROUPS(acct))).body.result[1];
    assert.equal(created.name, 'Canary');
    assert.deepEqual(created.version_config, [
      { target_environment: 'windows', version: '2026.6.822.0' },
      { target_environment: null, version: '2026.6.822.0' },
    ]);
    await expectFocus(page, `group-${created.id}`, 'the new card has the focus');
    const text = (await card.textContent()) ?? '';
    assert.match(text, /Windows\s*2026\.6\.822\.0/);
    assert.match(text, /All other environments\s*2026\.6\.822\.0/);
    assert.match(text, /1 policy/);
    assert.match(text, /Updated just now/);
    assert.match((await card.locator('time').getAttribute('title')) ?? '', new RegExp(created.updated_at));
    const toast = page.locator('#announcer');
    await page.getByRole('status').filter({ hasText: 'Ring “Canary” created.' }).waitFor();
    const cards = await page.getByRole('article').evaluateAll((articles) => articles.map((a) => a.id));
    assert.deepEqual(cards, [`group-${holder.id}`, `group-${created.id}`], 'creation order');

    // Edit: only what changed is sent; the focus returns to the Edit button. The "created" toast does not
    // stay on under the new dialog (it would for six seconds).
    assert.equal(await toast.textContent(), 'Ring “Canary” created.');
    await card.getByRole('button', { name: 'Edit Canary' }).click();
    const editDialog = page.getByRole('dialog', { name: 'Edit ring' });
    await editDialog.waitFor();
    assert.equal(await toast.textContent(), '');
    assert.equal(await toast.isVisible(), false, 'no toast under the dialog');
    await editDialog.getByLabel('Name').fill('Canary (beta)');
    await editDialog.getByRole('group', { name: 'Version 1' }).getByLabel('Version').fill('2026.6.822.1');
    await editDialog.getByRole('button', { name: 'Save changes' }).click();
    await editDialog.waitFor({ state: 'detached' });
    const edited = page.getByRole('article', { name: 'Canary (beta)' });
    await edited.waitFor();
    assert.match((await edited.textContent()) ?? '', /Windows\s*2026\.6\.822\.1/);
    assert.equal(await focusedText(page), 'Edit Canary (beta)');
    const stored = (await server.api('GET', `${GROUPS(acct)}/${created.id}`)).body.result;
    assert.equal(stored.name, 'Canary (beta)');
    assert.deepEqual(stored.policy_ids, [policy(2)]);

    // Delete: a confirmation whose default is Cancel, then the card is gone.
    await edited.getByRole('button', { name: 'Delete Canary (beta)' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete ring?' });
    await confirm.waitFor();
    assert.equal(await focusedText(page), 'Cancel');
    await confirm.getByRole('button', { name: 'Delete ring' }).click();
    await edited.waitFor({ state: 'detached' });
    assert.equal((await server.api('GET', `${GROUPS(acct)}/${created.id}`)).status, 404);
    await expectFocus(page, `group-${holder.id}`, 'the focus moves to the remaining card');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('pages through many rings and follows a conflict link to a ring on another page', async () => {
    const acct = account(3);
    for (let i = 1; i <= 30; i++) {
      const name = `Ring ${String(i).padStart(2, '0')}`;
      await server.api('POST', GROUPS(acct), ring(name, i === 3 ? [policy(3)] : undefined));
    }
    const { context, page, problems } = await open();
    await signIn(page, server.token, acct);
    const cards = page.getByRole('article');
    await page.getByText('Page 1 of 2').waitFor();
    assert.equal(await cards.count(), 25);
    await page.getByText('30 rings, oldest first').waitFor();

    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    assert.equal(await cards.count(), 5);
    assert.equal(await cards.first().getByRole('heading').textContent(), 'Ring 26');
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    assert.equal(await focusedText(page), 'Previous page', 'the focus stays in the pager');

    await page.getByRole('button', { name: 'New ring' }).click();
    const dialog = page.getByRole('dialog', { name: 'New ring' });
    await dialog.getByLabel('Name').fill('Late ring');
    await dialog.getByRole('group', { name: 'Version 1' }).getByLabel('Version').fill('2026.6.822.0');
    await dialog.getByLabel('Policy IDs').fill(policy(3));
    await dialog.getByRole('button', { name: 'Create ring' }).click();
    await dialog.getByRole('link', { name: 'Ring 03' }).click();
    await page.getByText('Page 1 of 2').waitFor();
    assert.match(await focusedId(page), /^group-/);
    assert.equal(await page.locator(':focus').getByRole('heading').textContent(), 'Ring 03');

    await page.getByLabel('Per page').selectOption('10');
    await page.getByText('Page 1 of 3').waitFor();
    assert.equal(await cards.count(), 10);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('says "2 policies … remove them" when two policies are held, each line linking to its ring', async () => {
    const acct = account(8);
    const holder = (await server.api('POST', GROUPS(acct), ring('Holder', [policy(81), policy(82)]))).body
      .result;
    const { context, page, problems } = await open();
    await signIn(page, server.token, acct);
    await page.getByRole('button', { name: 'New ring' }).click();
    const dialog = page.getByRole('dialog', { name: 'New ring' });
    await dialog.getByLabel('Name').fill('Greedy');
    await dialog.getByRole('group', { name: 'Version 1' }).getByLabel('Version').fill('2026.6.822.0');
    await dialog.getByLabel('Policy IDs').fill(`${policy(80)}\n${policy(81)}\n${policy(82)}`);
    await dialog.getByRole('button', { name: 'Create ring' }).click();
    await dialog
      .getByText(
        'Not saved: 2 policies already belong to another ring. Remove them from this ring, or from the ring that holds them.',
      )
      .waitFor();
    const lines = await errorBeside(dialog.getByLabel('Policy IDs'));
    assert.match(
      lines,
      new RegExp(`Line 2: ${policy(81)} is held by Holder\\.Line 3: ${policy(82)} is held by Holder\\.`),
    );
    const links = dialog.getByRole('link', { name: 'Holder' });
    assert.deepEqual(await links.evaluateAll((all) => all.map((a) => a.getAttribute('href'))), [
      `#group=${holder.id}`,
      `#group=${holder.id}`,
    ]);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('creates a ring with the keyboard alone, with the focus always visible', async () => {
    const acct = account(4);
    const { context, page, problems } = await open();
    await page.keyboard.type(server.token);
    await page.keyboard.press('Tab');
    await page.keyboard.type(acct);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'No rings yet' }).waitFor();

    let steps = 0;
    while ((await focusedText(page)) !== 'New ring') {
      assert.ok(++steps < 10, 'New ring is reachable with Tab');
      await page.keyboard.press('Tab');
    }
    const outline = () =>
      page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    assert.notEqual(await outline(), 'none', 'focused button shows a focus ring');

    // Escape closes an untouched dialog and gives the focus back to the button that opened it.
    await page.keyboard.press('Enter');
    await expectFocus(page, 'ring-name');
    await page.keyboard.press('Escape');
    assert.equal(await focusedText(page), 'New ring');

    // On an edited one it asks first, every time; "Keep editing" has the focus and keeps what was typed.
    const discard = page.getByRole('alertdialog', { name: 'Discard your changes?' });
    await page.keyboard.press('Enter');
    await expectFocus(page, 'ring-name');
    await page.keyboard.type('Half-typed');
    for (const answer of ['Escape', 'Enter']) {
      await page.keyboard.press('Escape');
      await discard.waitFor();
      assert.equal(await focusedText(page), 'Keep editing');
      await page.keyboard.press(answer);
      await discard.waitFor({ state: 'detached' });
      await expectFocus(page, 'ring-name', `back in the form after ${answer}`);
    }
    assert.equal(await page.getByLabel('Name').inputValue(), 'Half-typed');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    assert.equal(await focusedText(page), 'Discard');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'New ring' }).waitFor({ state: 'detached' });
    assert.equal(await focusedText(page), 'New ring');
    assert.equal((await server.api('GET', GROUPS(acct))).body.result.length, 0, 'nothing was created');

    await page.keyboard.press('Enter');
    await page.keyboard.type('Keyboard ring');
    await page.keyboard.press('Tab');
    await page.keyboard.type('macos');
    await page.keyboard.press('Tab');
    assert.match(await focusedId(page), /^version-number-/);
    await page.keyboard.type('2026.6.822.0');
    await page.keyboard.press('Enter');
    const card = page.getByRole('article', { name: 'Keyboard ring' });
    await card.waitFor();
    assert.match(await focusedId(page), /^group-/);
    assert.notEqual(await outline(), 'none', 'the focused card shows a focus ring');
    assert.match((await card.textContent()) ?? '', /macOS\s*2026\.6\.822\.0/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('shows a read-only token no button that would be refused, and recovers from a failed load', async () => {
    const acct = account(6);
    const empty = account(7);
    await server.api('POST', GROUPS(acct), ring('Read me'));
    const created = runCli(
      ['tokens', 'create', '--account', acct, '--account', empty, '--permission', 'read'],
      { DATABASE_URL: server.databaseUrl },
    );
    assert.equal(created.status, 0, created.stderr);
    const reader = created.stdout.trim();
    const { context, page, problems } = await open();
    await signIn(page, reader, acct);
    const card = page.getByRole('article', { name: 'Read me' });
    await card.waitFor();
    await page.getByText('Read only. This token can look at rings but not change them').waitFor();
    assert.equal(await page.getByRole('button', { name: 'New ring' }).count(), 0);
    assert.equal(await card.getByRole('button', { name: /Edit|Delete/ }).count(), 0, 'no Edit or Delete');
    assert.equal(await card.getByRole('button', { name: 'History Read me' }).count(), 1, 'History only');
    assert.equal(await page.getByRole('button', { name: 'Refresh' }).count(), 1);
    await expectFocus(page, 'rings-title');

    // The same after a reload (the view asks the API again), and for an empty account.
    await page.reload();
    await card.waitFor();
    assert.equal(await page.getByRole('button', { name: /New ring|Edit|Delete/ }).count(), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, reader, empty);
    await page.getByRole('heading', { name: 'No rings yet' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Create the first ring|New ring/ }).count(), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, reader, acct);
    await card.waitFor();
    assert.deepEqual(problems, []);

    // The error state, and recovering from it (the failed fetch logs a console error of its own).
    await context.setOffline(true);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not load rings' }).waitFor();
    await context.setOffline(false);
    await page.getByRole('button', { name: 'Try again' }).click();
    await card.waitFor();
    await context.close();
  });

  test('shows names from the API as text, never as markup', async () => {
    const acct = account(5);
    const name = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
    await server.api('POST', GROUPS(acct), ring(name));
    const { context, page, problems } = await open();
    await signIn(page, server.token, acct);
    const card = page.getByRole('article', { name });
    await card.waitFor();
    assert.equal(await card.getByRole('heading').textContent(), name);
    assert.equal(await card.locator('img, b').count(), 0);
    assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('fits a 360px-wide screen without sideways scrolling', async () => {
    const { context, page, problems } = await open({ width: 360, height: 740 });
    await signIn(page, server.token, account(3));
    await page.getByText('Page 1 of').waitFor();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok((await overflow()) <= 0, 'the list fits');
    await page.getByRole('button', { name: 'New ring' }).click();
    const dialog = page.getByRole('dialog', { name: 'New ring' });
    const box = await dialog.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 360, 'the dialog fits');
    assert.equal(
      await dialog.evaluate((d) => d.scrollWidth <= d.clientWidth),
      true,
      'nothing inside overflows',
    );
    assert.deepEqual(problems, []);
    await context.close();
  });
});
