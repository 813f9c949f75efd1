// The rollout views' screenshots (docs/screenshots/promote.png, rollouts.png, rings-rollout.png,
// policy-lookup.png), taken by scripts/screenshots.ts after its own on the same seeded server: a finished
// rollout made through the API, then a Promote… from the first ring, the Rollouts page once the scheduler
// applied its first stage, the rings it is moving, and a lookup for a device in the ring that stage changed.
import type { Browser, Page } from 'playwright-core';
import { type DashboardServer, signIn } from '../test/support/browser.ts';

type Shoot = (page: Page, name: string, options?: { fullPage?: boolean }) => Promise<void>;

async function ringmaster(server: DashboardServer, method: string, path: string, body?: unknown) {
  const { status, body: envelope } = await server.api(method, `/ringmaster/v1${path}`, body);
  if (status !== 200) throw new Error(`${method} ${path}: ${JSON.stringify(envelope)}`);
  return envelope.result;
}

/** An earlier rollout, already completed: the second ring to 2026.6.822.0 on Windows, no wait. */
async function finishedRollout(server: DashboardServer, account: string): Promise<void> {
  const groups = await server.api('GET', `/accounts/${account}/devices/deployment-groups`);
  const second = groups.body.result[1];
  const created = await ringmaster(server, 'POST', `/accounts/${account}/rollouts`, {
    name: `Windows 2026.6.822.0 to ${second.name}`,
    version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    stages: [{ deployment_group_id: second.id, wait: '0s' }],
  });
  for (let i = 0; i < 300; i++) {
    const rollout = await ringmaster(server, 'GET', `/accounts/${account}/rollouts/${created.id}`);
    if (rollout.state === 'completed') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the seeded rollout did not complete within 30 s');
}

const dismissToast = (page: Page) =>
  page.evaluate(() => {
    const toast = document.getElementById('announcer');
    if (toast) toast.textContent = '';
  });

export async function shootRollouts(
  browser: Browser,
  server: DashboardServer,
  account: string,
  ring1Policy: string,
  shoot: Shoot,
): Promise<void> {
  await finishedRollout(server, account);
  const context = await browser.newContext({ viewport: { width: 1200, height: 1180 }, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await signIn(page, server.token, account);
  const first = page.getByRole('article').first();
  await first.getByRole('button', { name: /^Promote…/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Promote' });
  await dialog
    .getByLabel(/^Wait before /)
    .first()
    .fill('0s');
  await shoot(page, 'promote');
  await dialog.getByRole('button', { name: 'Start rollout' }).click();
  await dialog.waitFor({ state: 'detached' });
  // The scheduler applies the first stage (a wait of 0s) within seconds; the page refreshes itself.
  await page.locator('.rollout.state-running .stage-applied').first().waitFor({ timeout: 30_000 });
  await page.setViewportSize({ width: 1200, height: 760 });
  await dismissToast(page);
  await shoot(page, 'rollouts', { fullPage: true });

  await page.getByRole('link', { name: 'Rings' }).click();
  await page.locator('.ring-rollout').first().waitFor();
  await dismissToast(page);
  await shoot(page, 'rings-rollout');

  await page.getByRole('link', { name: 'Policy lookup' }).click();
  await page.getByLabel('Policy ID').fill(ring1Policy);
  await page.getByLabel('Environment').fill('windows');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.locator('.lookup-answer .answer').waitFor();
  await dismissToast(page);
  await shoot(page, 'policy-lookup');
  await context.close();
}
