// The rollout views' screenshots (docs/screenshots/promote.png, rollouts.png, policy-lookup.png), taken by
// scripts/screenshots.ts after its own, on the same seeded server: a Promote… from the first ring, the
// Rollouts page once the scheduler applied the first stage, and a policy lookup's answer.
import type { Browser, Page } from 'playwright-core';
import { type DashboardServer, signIn } from '../test/support/browser.ts';

type Shoot = (page: Page, name: string, options?: { fullPage?: boolean }) => Promise<void>;

export async function shootRollouts(
  browser: Browser,
  server: DashboardServer,
  account: string,
  firstPolicy: string,
  shoot: Shoot,
): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 980 }, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await signIn(page, server.token, account);
  const first = page.getByRole('article').first();
  await first.getByRole('button', { name: /^Promote…/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Promote' });
  await dialog.getByLabel('Rollout name').fill('Windows and macOS 2026.6.822.1');
  await dialog
    .getByLabel(/^Wait before /)
    .first()
    .fill('0s');
  await shoot(page, 'promote');
  await dialog.getByRole('button', { name: 'Start rollout' }).click();
  await dialog.waitFor({ state: 'detached' });
  // The scheduler applies the first stage (a wait of 0s) within seconds; the page refreshes itself.
  await page.locator('.stage-applied').first().waitFor({ timeout: 30_000 });
  await page.setViewportSize({ width: 1200, height: 760 });
  await shoot(page, 'rollouts', { fullPage: true });

  await page.getByRole('link', { name: 'Policy lookup' }).click();
  await page.getByLabel('Policy ID').fill(firstPolicy);
  await page.getByLabel('Environment').fill('windows');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.locator('.lookup-answer .answer').waitFor();
  await shoot(page, 'policy-lookup');
  await context.close();
}
