// Regenerates docs/screenshots/*.png: the dashboard's main views, in real headless Chromium against a real
// server seeded through the public API. Run: node --import tsx scripts/screenshots.ts
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  browserUnavailable,
  buildDashboard,
  type DashboardServer,
  launchChromium,
  signIn,
  startDashboardServer,
} from '../test/support/browser.ts';
import { ROOT, runCli } from '../test/support/server.ts';
import { shootRollouts } from './screenshots-rollouts.ts';

const OUT = join(ROOT, 'docs', 'screenshots');
const ACCOUNT = '0123456789abcdef0123456789abcdef';
const GROUPS = `/accounts/${ACCOUNT}/devices/deployment-groups`;
const policy = (n: number) => `8d3f0c4e-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const policies = (from: number, count: number) => Array.from({ length: count }, (_, i) => policy(from + i));

const RINGS = [
  {
    name: 'Ring 0 · IT canaries',
    version_config: [
      { target_environment: 'windows', version: '2026.6.822.1' },
      { target_environment: 'macos', version: '2026.6.822.1' },
    ],
    policy_ids: policies(1, 2),
  },
  {
    name: 'Ring 1 · Engineering',
    version_config: [
      { target_environment: 'windows', version: '2026.6.822.0' },
      { target_environment: 'macos', version: '2026.6.822.0' },
      { target_environment: null, version: '2026.5.711.0' },
    ],
    policy_ids: policies(10, 3),
  },
  {
    name: 'Ring 2 · Early adopters',
    version_config: [
      { target_environment: 'windows', version: '2026.5.711.0' },
      { target_environment: null, version: '2026.5.711.0' },
    ],
    policy_ids: policies(20, 5),
  },
  {
    name: 'Ring 3 · Everyone else',
    version_config: [{ target_environment: null, version: '2026.4.620.0' }],
    policy_ids: policies(30, 12),
  },
];

async function shoot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled', ...options });
  console.log(`wrote ${path}`);
}

/** The rings as a read-only token sees them: no New ring, Edit or Delete, and a note saying why. */
async function shootReadOnly(browser: Browser, server: DashboardServer): Promise<void> {
  const created = runCli(['tokens', 'create', '--account', ACCOUNT, '--permission', 'read'], {
    DATABASE_URL: server.databaseUrl,
  });
  if (created.status !== 0) throw new Error(`could not create a read-only token: ${created.stderr}`);
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await signIn(page, created.stdout.trim(), ACCOUNT);
  await page.getByText('Read only.').waitFor();
  await shoot(page, 'read-only');
  await context.close();
}

/** Another person's token, for a change made while the dashboard has a ring open. */
function colleagueToken(server: DashboardServer, name: string): string {
  const created = runCli(
    ['tokens', 'create', '--account', ACCOUNT, '--permission', 'write', '--name', name],
    {
      DATABASE_URL: server.databaseUrl,
    },
  );
  if (created.status !== 0) throw new Error(`could not create a token: ${created.stderr}`);
  return created.stdout.trim();
}

async function asColleague(
  server: DashboardServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
) {
  const response = await fetch(`${server.origin}/client/v4${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()).result;
}

/** Change control: an edit that lost a race, a ring's history, and the account's audit log. */
async function shootChangeControl(browser: Browser, server: DashboardServer): Promise<void> {
  const priya = colleagueToken(server, 'priya-laptop');
  const list = await server.api('GET', `${GROUPS}?per_page=100`);
  const engineering = list.body.result.find((g: { name: string }) => g.name.startsWith('Ring 1'));
  const context = await browser.newContext({ viewport: { width: 1200, height: 980 }, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await signIn(page, server.token, ACCOUNT);

  await page.getByRole('button', { name: 'Edit Ring 1 · Engineering' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit ring' });
  await dialog.getByRole('group', { name: 'Version 1' }).getByLabel('Version').fill('2026.6.822.1');
  await asColleague(server, priya, 'PATCH', `${GROUPS}/${engineering.id}`, {
    version_config: [
      { target_environment: 'windows', version: '2026.6.822.2' },
      { target_environment: 'macos', version: '2026.6.822.0' },
      { target_environment: null, version: '2026.5.711.0' },
    ],
    policy_ids: [...engineering.policy_ids, policy(13)],
  });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.getByRole('button', { name: 'Reload' }).waitFor();
  await shoot(page, 'changed-meanwhile');
  await dialog.getByRole('button', { name: 'Reload' }).click();
  await page.getByRole('dialog', { name: 'Edit ring' }).getByLabel('Name').fill('Ring 1 · Engineering + QA');
  await page.getByRole('button', { name: 'Save changes' }).click();

  await page.getByRole('button', { name: 'History Ring 1 · Engineering + QA' }).click();
  const history = page.getByRole('dialog', { name: 'History' });
  await history.getByRole('listitem', { name: 'Revision 1 · Created' }).waitFor();
  await shoot(page, 'history');
  await history.getByRole('button', { name: 'Close' }).click();

  const retired = list.body.result.find((g: { name: string }) => g.name.startsWith('Ring 0'));
  await asColleague(server, priya, 'DELETE', `${GROUPS}/${retired.id}`);
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByText(/entries, newest first/).waitFor();
  await page.getByRole('button', { name: `Restore ring ${retired.id}` }).waitFor();
  await shoot(page, 'audit-log');
  await context.close();
}

async function main(): Promise<void> {
  const unavailable = await browserUnavailable();
  if (unavailable) throw new Error(`cannot take screenshots: ${unavailable}`);
  mkdirSync(OUT, { recursive: true });
  buildDashboard();
  const server = await startDashboardServer();
  let browser: Browser | undefined;
  try {
    for (const ring of RINGS) {
      const created = await server.api('POST', GROUPS, ring);
      if (created.status !== 200) throw new Error(`seeding failed: ${JSON.stringify(created.body)}`);
    }
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1200, height: 760 },
      colorScheme: 'light',
    });
    const page = await context.newPage();
    await page.goto(`${server.origin}/`);
    await page.getByLabel('API token').waitFor();
    await shoot(page, 'signed-out');

    await signIn(page, server.token, ACCOUNT);
    await page.getByRole('article').first().waitFor();
    await shoot(page, 'rings', { fullPage: true });

    // Tall enough for the whole dialog.
    await page.setViewportSize({ width: 1200, height: 980 });

    await page.getByRole('button', { name: 'New ring' }).click();
    const dialog = page.getByRole('dialog', { name: 'New ring' });
    await dialog.getByLabel('Name').fill('Ring 4 · Windows beta');
    const row1 = dialog.getByRole('group', { name: 'Version 1' });
    await row1.getByLabel('Environment').fill('windows');
    await row1.getByLabel('Version').fill('2026.6');
    await dialog.getByRole('button', { name: 'Add a version' }).click();
    const row2 = dialog.getByRole('group', { name: 'Version 2' });
    await row2.getByLabel('Environment').fill('linux');
    await row2.getByLabel('Version').fill('2026.6.822.0');
    await dialog.getByRole('button', { name: 'Create ring' }).click();
    await row1.getByLabel('Version').and(page.locator('[aria-invalid="true"]')).waitFor();
    await shoot(page, 'create-validation-error');

    await row1.getByLabel('Version').fill('2026.6.822.1');
    await row2.getByRole('button', { name: 'Remove' }).click();
    await dialog.getByLabel('Policy IDs').fill([policy(11), policy(40)].join('\n'));
    await dialog.getByRole('button', { name: 'Create ring' }).click();
    await dialog.getByRole('link', { name: 'Ring 1 · Engineering' }).waitFor();
    await shoot(page, 'conflict');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await context.close();

    const narrow = await browser.newContext({
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      colorScheme: 'light',
    });
    const phone = await narrow.newPage();
    await phone.goto(`${server.origin}/`);
    await signIn(phone, server.token, ACCOUNT);
    await phone.getByRole('article').first().waitFor();
    await shoot(phone, 'rings-narrow');
    await narrow.close();

    await shootReadOnly(browser, server);
    await shootChangeControl(browser, server);
    await shootRollouts(browser, server, ACCOUNT, policy(10), shoot);
  } finally {
    await browser?.close();
    await server.stop();
  }
}

await main();
