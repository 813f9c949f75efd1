// The dashboard's change control, end to end in headless Chromium against a real server (docs/dashboard.md):
// edits and deletes that lost a race say who won and offer Reload, a ring's history with its diff and
// "Restore this version", the account's audit page with its filters, and bringing back a deleted ring.
// Another person's changes are made through the public API with a token of their own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
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

const GROUPS = (account: string) => `/client/v4/accounts/${account}/devices/deployment-groups`;
const account = (n: number) => `a${n.toString(16).padStart(31, '0')}`;
const policy = (n: number) => `8d3f0c4e-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const ring = (name: string, policyIds: string[] = []) => ({
  name,
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  policy_ids: policyIds,
});

const unavailable = await browserSuiteUnavailable('dashboard change-control e2e');

let server: DashboardServer;
before(async () => {
  buildDashboard();
  server = await startDashboardServer();
});
after(async () => {
  await server?.stop();
});

/** A token made at the command line, as an operator would hand one to a colleague. */
function makeToken(acct: string, permission: 'read' | 'write', name: string): string {
  const created = runCli(
    ['tokens', 'create', '--account', acct, '--permission', permission, '--name', name],
    {
      DATABASE_URL: server.databaseUrl,
    },
  );
  assert.equal(created.status, 0, created.stderr);
  return created.stdout.trim();
}

/** The public API as someone else (a token), outside the browser. */
async function as(token: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${server.origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const envelope = await response.json();
  assert.equal(response.status, 200, JSON.stringify(envelope));
  return envelope.result;
}

describe('dashboard change control in Chromium', { skip: unavailable ?? false }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function open(token: string, acct: string): Promise<OpenedDashboard> {
    const opened = await openDashboard(browser, server.origin);
    await signIn(opened.page, token, acct);
    return opened;
  }

  test('an edit that lost a race says who changed the ring and when, keeps the edit, and reloads on request', async () => {
    const acct = account(1);
    const alice = makeToken(acct, 'write', 'alice');
    const group = await as(server.token, 'POST', GROUPS(acct), ring('Alpha'));
    const { context, page, problems } = await open(server.token, acct);

    await page.getByRole('button', { name: 'Edit Alpha' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit ring' });
    await dialog.getByLabel('Name').fill('Alpha (mine)');
    await as(alice, 'PATCH', `${GROUPS(acct)}/${group.id}`, { name: 'Alpha (theirs)' });
    await dialog.getByRole('button', { name: 'Save changes' }).click();

    const alert = dialog.getByRole('alert');
    await alert.getByText('Someone else changed this ring after you opened it.').waitFor();
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /Your changes were not saved\./);
    assert.match(text, /Updated by alice through the API, just now \(revision 2\)/);
    assert.equal(await dialog.getByLabel('Name').inputValue(), 'Alpha (mine)', 'the edit is still there');
    assert.equal((await as(server.token, 'GET', `${GROUPS(acct)}/${group.id}`)).name, 'Alpha (theirs)');

    await dialog.getByRole('button', { name: 'Reload' }).click();
    const reloaded = page.getByRole('dialog', { name: 'Edit ring' });
    await reloaded.getByText('Alpha (theirs)').first().waitFor();
    assert.equal(await reloaded.getByLabel('Name').inputValue(), 'Alpha (theirs)');
    await reloaded.getByLabel('Name').fill('Alpha (agreed)');
    await reloaded.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('article', { name: 'Alpha (agreed)' }).waitFor();

    // The dashboard says it is the dashboard: the audit trail records the interface.
    const history = await as(
      server.token,
      'GET',
      `/ringmaster/v1/accounts/${acct}/deployment-groups/${group.id}/history`,
    );
    assert.deepEqual(
      history.map((e: any) => `${e.revision} ${e.actor.interface}`),
      ['3 dashboard', '2 API', '1 API'],
    );
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a delete that lost a race deletes nothing, says who changed the ring, and reloads on request', async () => {
    const acct = account(2);
    const alice = makeToken(acct, 'write', 'alice');
    const group = await as(server.token, 'POST', GROUPS(acct), ring('Beta', [policy(1)]));
    const { context, page, problems } = await open(server.token, acct);

    await page.getByRole('button', { name: 'Delete Beta' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete ring?' });
    await confirm.waitFor();
    await as(alice, 'PATCH', `${GROUPS(acct)}/${group.id}`, { policy_ids: [policy(1), policy(2)] });
    await confirm.getByRole('button', { name: 'Delete ring' }).click();
    const alert = confirm.getByRole('alert');
    await alert.getByText('Someone else changed this ring after you opened it.').waitFor();
    assert.match(
      (await alert.textContent()) ?? '',
      /It was not deleted\..*Updated by alice through the API/s,
    );
    assert.equal(await confirm.getByRole('button', { name: 'Delete ring' }).isDisabled(), true);
    assert.equal((await as(server.token, 'GET', `${GROUPS(acct)}/${group.id}`)).policy_ids.length, 2);

    await confirm.getByRole('button', { name: 'Reload' }).click();
    const again = page.getByRole('alertdialog', { name: 'Delete ring?' });
    await again.getByText('Its 2 policies will belong to no ring').waitFor();
    await again.getByRole('button', { name: 'Delete ring' }).click();
    await page.getByRole('article', { name: 'Beta' }).waitFor({ state: 'detached' });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('shows a ring’s history as a diff per field, and restores an earlier version', async () => {
    const acct = account(3);
    const group = await as(server.token, 'POST', GROUPS(acct), ring('Gamma', [policy(1)]));
    await as(server.token, 'PATCH', `${GROUPS(acct)}/${group.id}`, {
      name: 'Gamma 2',
      version_config: [
        { target_environment: 'windows', version: '2026.6.822.1' },
        { target_environment: 'macos', version: '2026.6.822.1' },
      ],
      policy_ids: [policy(2)],
    });
    const { context, page, problems } = await open(server.token, acct);

    await page.getByRole('button', { name: 'History Gamma 2' }).click();
    const dialog = page.getByRole('dialog', { name: 'History' });
    const newest = dialog.getByRole('listitem', { name: 'Revision 2 · Updated' });
    await newest.waitFor();
    const changes = await newest
      .getByRole('list', { name: 'Changes' })
      .getByRole('listitem')
      .allTextContents();
    assert.deepEqual(changes, [
      'Changed: Name: “Gamma” → “Gamma 2”',
      `Changed: Windows: 2026.6.822.0 → 2026.6.822.1`,
      'Added: macOS: 2026.6.822.1',
      `Added: Policy added: ${policy(2)}`,
      `Removed: Policy removed: ${policy(1)}`,
    ]);
    assert.match((await newest.textContent()) ?? '', /Current.*By operator through the API, just now/s);
    assert.equal(await newest.getByRole('button', { name: /Restore/ }).count(), 0, 'the current one');
    const first = dialog.getByRole('listitem', { name: 'Revision 1 · Created' });
    assert.match((await first.textContent()) ?? '', /Added: Name: “Gamma”/);

    await first.getByRole('button', { name: 'Restore this version (revision 1)' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Restore this version?' });
    await confirm.getByRole('button', { name: 'Restore revision 1' }).click();
    await dialog.getByRole('listitem', { name: 'Revision 3 · Restored an earlier version' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    const card = page.getByRole('article', { name: 'Gamma' });
    await card.waitFor();
    assert.match((await card.textContent()) ?? '', /Windows\s*2026\.6\.822\.0/);
    const stored = await as(server.token, 'GET', `${GROUPS(acct)}/${group.id}`);
    assert.deepEqual(stored.policy_ids, [policy(1)]);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a restore that lost a race restores nothing, says who changed the ring, and reloads the history', async () => {
    const acct = account(7);
    const alice = makeToken(acct, 'write', 'alice');
    const group = await as(server.token, 'POST', GROUPS(acct), ring('Theta'));
    await as(server.token, 'PATCH', `${GROUPS(acct)}/${group.id}`, { name: 'Theta 2' });
    const { context, page, problems } = await open(server.token, acct);
    await page.getByRole('button', { name: 'History Theta 2' }).click();
    const dialog = page.getByRole('dialog', { name: 'History' });
    await dialog.getByRole('button', { name: 'Restore this version (revision 1)' }).click();
    await as(alice, 'PATCH', `${GROUPS(acct)}/${group.id}`, { name: 'Theta 3' });
    const confirm = page.getByRole('alertdialog', { name: 'Restore this version?' });
    await confirm.getByRole('button', { name: 'Restore revision 1' }).click();
    const alert = confirm.getByRole('alert');
    await alert.getByText('Someone else changed this ring after you opened it.').waitFor();
    assert.match(
      (await alert.textContent()) ?? '',
      /Nothing was restored\..*Updated by alice through the API/s,
    );
    assert.equal((await as(server.token, 'GET', `${GROUPS(acct)}/${group.id}`)).name, 'Theta 3');
    await confirm.getByRole('button', { name: 'Reload' }).click();
    await dialog.getByRole('listitem', { name: 'Revision 3 · Updated' }).getByText('Current').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a read-only token sees the history but no Restore', async () => {
    const acct = account(4);
    const reader = makeToken(acct, 'read', 'auditor');
    const group = await as(server.token, 'POST', GROUPS(acct), ring('Delta'));
    await as(server.token, 'PATCH', `${GROUPS(acct)}/${group.id}`, { name: 'Delta 2' });
    const gone = await as(server.token, 'POST', GROUPS(acct), ring('Zeta'));
    await as(server.token, 'DELETE', `${GROUPS(acct)}/${gone.id}`);
    const { context, page, problems } = await open(reader, acct);
    await page.getByRole('button', { name: 'History Delta 2' }).click();
    const dialog = page.getByRole('dialog', { name: 'History' });
    await dialog.getByRole('listitem', { name: 'Revision 1 · Created' }).waitFor();
    assert.equal(await dialog.getByRole('listitem', { name: /^Revision/ }).count(), 2);
    assert.equal(await dialog.getByRole('button', { name: /Restore/ }).count(), 0);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByText('6 entries, newest first').waitFor();
    const deletion = page.getByRole('listitem').filter({ hasText: 'Delete deployment group' });
    await deletion.getByText('“Zeta”').waitFor();
    assert.equal(await page.getByRole('button', { name: /Restore/ }).count(), 0, 'not even for a deletion');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the audit page filters by ring, person, action and days, newest first, and loads more', async () => {
    const acct = account(5);
    const alice = makeToken(acct, 'write', 'alice');
    const mine = await as(server.token, 'POST', GROUPS(acct), ring('Mine'));
    const hers = await as(alice, 'POST', GROUPS(acct), ring('Hers'));
    await as(alice, 'PATCH', `${GROUPS(acct)}/${hers.id}`, { name: 'Hers 2' });
    for (let i = 0; i < 25; i++)
      await as(server.token, 'PATCH', `${GROUPS(acct)}/${mine.id}`, { name: `Mine ${i}` });
    const { context, page, problems } = await open(server.token, acct);
    await page.getByRole('link', { name: 'Audit log' }).click();
    const entries = page.getByRole('list', { name: 'Audit log entries, newest first' }).getByRole('listitem');
    await page.getByText('25 entries so far, newest first').waitFor();
    assert.match((await entries.first().textContent()) ?? '', /Update deployment group “Mine 24”/);
    await page.getByRole('button', { name: 'Load more' }).click();
    // 28 changes of rings, and the creation of alice's token and of the operator's (which grants every account).
    await page.getByText('30 entries, newest first').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Load more' }).isVisible(), false);
    assert.match((await entries.nth(27).textContent()) ?? '', /Create deployment group “Mine”/);
    assert.match((await entries.last().textContent()) ?? '', /Create API token.*through the command line/s);

    const defaultFrom = await page.getByLabel('From').inputValue();
    const defaultTo = await page.getByLabel('To').inputValue();
    await page.getByLabel('Ring ID').fill(hers.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('2 entries, newest first').waitFor();
    assert.match((await entries.first().textContent()) ?? '', /“Hers 2”.*By alice through the API/s);

    await page.getByLabel('Ring ID').fill('');
    await page.getByLabel('Person').fill('alice');
    await page.getByLabel('Action').selectOption({ label: 'Created' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('1 entry, newest first').waitFor();
    assert.match((await entries.first().textContent()) ?? '', /Create deployment group “Hers”/);

    await page.getByLabel('Person').fill('');
    await page.getByLabel('Action').selectOption({ label: 'Any' });
    await page.getByLabel('From').fill('2020-01-01');
    await page.getByLabel('To').fill('2020-01-31');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No entries match these filters.').waitFor();

    // "Only this person" filters by the credential's ID: its dashboard changes too, which version 2 does
    // not name (the page names them once an entry of the same ID has).
    await page.getByLabel('From').fill(defaultFrom);
    await page.getByLabel('To').fill(defaultTo);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('25 entries so far, newest first').waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText('30 entries, newest first').waitFor();
    await entries
      .filter({ hasText: 'By alice' })
      .first()
      .getByRole('button', { name: 'Only this person' })
      .click();
    await page.getByText('2 entries, newest first').waitFor();
    assert.match(await page.getByLabel('Person').inputValue(), /^[0-9a-f]{32}$/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('finds a deleted ring on the audit page and restores it with its ID', async () => {
    const acct = account(6);
    const group = await as(server.token, 'POST', GROUPS(acct), ring('Epsilon', [policy(7)]));
    await as(server.token, 'PATCH', `${GROUPS(acct)}/${group.id}`, { name: 'Epsilon 2' });
    await as(server.token, 'DELETE', `${GROUPS(acct)}/${group.id}`);
    const { context, page, problems } = await open(server.token, acct);
    await page.getByRole('heading', { name: 'No rings yet' }).waitFor();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Action').selectOption({ label: 'Deleted' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('1 entry, newest first').waitFor();
    await page.getByText('“Epsilon 2”').waitFor();

    await page.getByRole('button', { name: `Restore ring ${group.id}` }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Restore deleted ring?' });
    assert.match(
      (await confirm.textContent()) ?? '',
      /Epsilon 2 comes back with its ID, as it was at revision 2/,
    );
    await confirm.getByRole('button', { name: 'Restore ring' }).click();
    await page.getByRole('status').filter({ hasText: 'Ring “Epsilon 2” restored.' }).waitFor();
    const restored = await as(server.token, 'GET', `${GROUPS(acct)}/${group.id}`);
    assert.equal(restored.name, 'Epsilon 2');
    assert.equal(restored.created_at, group.created_at);
    assert.deepEqual(restored.policy_ids, [policy(7)]);

    await page.getByRole('link', { name: 'Rings' }).click();
    await page.getByRole('article', { name: 'Epsilon 2' }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });
});
