// The rollout views end to end (docs/dashboard.md "Rollouts"): a real server, the built dashboard, real
// headless Chromium. Promote… creates a rollout, the Rollouts page shows its rings as a timeline with the
// buttons its state allows (none for a read-only token), a ring card names the rollout moving it, and the
// policy lookup answers. Stages apply through the real scheduler: a wait of 0s is due at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import {
  browserSuiteUnavailable,
  buildDashboard,
  type DashboardServer,
  launchChromium,
  openDashboard,
  signIn,
  startDashboardServer,
} from './support/browser.ts';
import { runCli } from './support/server.ts';

const GROUPS = (account: string) => `/accounts/${account}/devices/deployment-groups`;
const ROLLOUTS = (account: string) => `/ringmaster/v1/accounts/${account}/rollouts`;
const account = (n: number) => `ab${n.toString(16).padStart(30, '0')}`;
const policy = (n: number) => `5e1f0c4e-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const NEW = '2026.6.822.1';
const OLD = '2026.5.711.0';

const unavailable = await browserSuiteUnavailable('dashboard rollouts e2e');

let server: DashboardServer;
before(async () => {
  buildDashboard();
  server = await startDashboardServer();
});
after(async () => {
  await server?.stop();
});

/** Three rings: Ring 0 already on the new build, Rings 1 and 2 on the old one. */
async function seedRings(acct: string): Promise<{ id: string; name: string }[]> {
  const rings = [
    {
      name: 'Ring 0',
      version_config: [
        { target_environment: 'windows', version: NEW },
        { target_environment: 'macos', version: NEW },
      ],
      policy_ids: [policy(1)],
    },
    {
      name: 'Ring 1',
      version_config: [{ target_environment: 'windows', version: OLD }],
      policy_ids: [policy(2)],
    },
    { name: 'Ring 2', version_config: [{ target_environment: null, version: OLD }], policy_ids: [policy(3)] },
  ];
  const created = [];
  for (const ring of rings) {
    const response = await server.api('POST', GROUPS(acct), ring);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    created.push(response.body.result);
  }
  return created;
}

describe('rollouts in the dashboard', { skip: unavailable ?? false }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  const open = () => openDashboard(browser, server.origin, { width: 1280, height: 1000 });

  /** The rollout's card once its text matches `pattern` (the page refreshes itself every few seconds). */
  async function cardSays(card: Locator, pattern: RegExp): Promise<string> {
    await card.filter({ hasText: pattern }).waitFor({ timeout: 30_000 });
    return (await card.textContent()) ?? '';
  }

  const buttonsOf = (card: Locator) =>
    card
      .locator('.card-actions button')
      .evaluateAll((buttons) => buttons.map((b) => b.firstChild?.textContent));

  test('Promote… previews the plan and starts a rollout; its timeline and buttons follow its state', async () => {
    const acct = account(1);
    const [ring0, ring1, ring2] = await seedRings(acct);
    const { context, page, problems } = await open();
    await signIn(page, server.token, acct);
    await page
      .getByRole('article', { name: 'Ring 0' })
      .getByRole('button', { name: 'Promote… Ring 0' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Promote' });
    await dialog.getByText('From Ring 0').waitFor();
    await dialog.getByLabel('Rollout name').fill('Windows 822.1');
    await dialog.getByRole('checkbox', { name: /macOS/ }).uncheck();
    const waits = [dialog.getByLabel('Wait before Ring 1'), dialog.getByLabel('Wait before Ring 2')];
    assert.deepEqual(
      [await waits[0]?.inputValue(), await waits[1]?.inputValue()],
      ['0s', '24h'],
      'default waits',
    );
    const plan = dialog.locator('#promote-plan');
    assert.match(
      (await plan.textContent()) ?? '',
      /Ring 1 gets Windows 2026\.6\.822\.1 — no wait after the start/,
    );
    assert.match(
      (await plan.textContent()) ?? '',
      /Ring 2 gets Windows 2026\.6\.822\.1 — 1 day after the ring before/,
    );
    // A wait the API refuses is shown beside its ring's field.
    await waits[1]?.fill('tomorrow');
    assert.match((await plan.textContent()) ?? '', /not a valid wait/);
    await dialog.getByRole('button', { name: 'Start rollout' }).click();
    await waits[1]?.and(page.locator('[aria-invalid="true"]')).waitFor();
    assert.match(
      (await dialog.locator('#promote-wait-1-error').textContent()) ?? '',
      /must be a number of s, m, h or d/,
    );
    await waits[1]?.fill('24h');
    await dialog.getByRole('button', { name: 'Start rollout' }).click();
    await dialog.waitFor({ state: 'detached' });

    const list = (await server.api('GET', ROLLOUTS(acct))).body.result;
    assert.equal(list.length, 1);
    const rollout = list[0];
    assert.deepEqual(rollout.version_config, [{ target_environment: 'windows', version: NEW }]);
    assert.deepEqual(
      rollout.stages.map((s: { deployment_group_id: string; wait: string }) => [
        s.deployment_group_id,
        s.wait,
      ]),
      [
        [ring1?.id, '0s'],
        [ring2?.id, '24h'],
      ],
    );
    // The new rollout opens on the Rollouts page (the address changes once the dialog has closed).
    await page.waitForURL(new RegExp(`#rollout=${rollout.id}$`));
    const card = page.getByRole('article', { name: 'Windows 822.1' });
    // The scheduler applies the first stage within seconds; the page shows it without a reload.
    const text = await cardSays(card, /Ring 1Applied/);
    assert.match(text, /Running/);
    assert.match(text, /Ring 2Due (tomorrow|in 1 day)/);
    assert.deepEqual(await buttonsOf(card), ['Pause', 'Abort', 'Roll back']);
    const applied = (await server.api('GET', `${GROUPS(acct)}/${ring1?.id}`)).body.result;
    assert.deepEqual(applied.version_config, [{ target_environment: 'windows', version: NEW }]);

    // The ring card names the rollout moving it, with a link to it.
    await page.getByRole('link', { name: 'Rings' }).click();
    const ring2Card = page.getByRole('article', { name: 'Ring 2' });
    await ring2Card.getByRole('link', { name: 'Windows 822.1' }).waitFor();
    assert.match((await ring2Card.textContent()) ?? '', /\(running\), stage 2 of 2: Due/);
    assert.equal(await page.getByRole('article', { name: 'Ring 0' }).locator('.ring-rollout').count(), 0);
    await ring2Card.getByRole('link', { name: 'Windows 822.1' }).click();
    await card.waitFor();

    // Pause → Resume; each button only while its transition is allowed.
    await card.getByRole('button', { name: 'Pause Windows 822.1' }).click();
    await cardSays(card, /Paused/);
    assert.deepEqual(await buttonsOf(card), ['Resume', 'Abort', 'Roll back']);
    await card.getByRole('button', { name: 'Resume Windows 822.1' }).click();
    await cardSays(card, /Running/);
    assert.deepEqual(await buttonsOf(card), ['Pause', 'Abort', 'Roll back']);

    // Roll back asks first; Cancel changes nothing.
    await card.getByRole('button', { name: 'Roll back Windows 822.1' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Roll back rollout?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await server.api('GET', `${ROLLOUTS(acct)}/${rollout.id}`)).body.result.state, 'running');
    await card.getByRole('button', { name: 'Roll back Windows 822.1' }).click();
    await confirm.getByRole('button', { name: 'Roll back' }).click();
    const rolledBack = await cardSays(card, /Rolled back/);
    assert.match(rolledBack, /Ring 1Rolled back/);
    assert.deepEqual(await buttonsOf(card), []);
    const restored = (await server.api('GET', `${GROUPS(acct)}/${ring1?.id}`)).body.result;
    assert.deepEqual(restored.version_config, [{ target_environment: 'windows', version: OLD }]);
    assert.ok(ring0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('abort asks first; a refused action is shown in the card; the filter lists one state', async () => {
    const acct = account(2);
    const [, ring1, ring2] = await seedRings(acct);
    const body = (name: string, env: string) => ({
      name,
      version_config: [{ target_environment: env, version: NEW }],
      stages: [
        { deployment_group_id: ring1?.id, wait: '24h' },
        { deployment_group_id: ring2?.id, wait: '24h' },
      ],
    });
    const created = await server.api('POST', ROLLOUTS(acct), body('Later', 'windows'));
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const { context, page, problems } = await open();
    await signIn(page, server.token, acct);
    // Promoting Windows to the same rings again is a 409: said above the form, each ring marked.
    await page.getByRole('button', { name: 'Promote… Ring 0' }).click();
    const promote = page.getByRole('dialog', { name: 'Promote' });
    await promote.getByRole('button', { name: 'Start rollout' }).click();
    await promote.getByText(/Not started: another rollout that has not finished/).waitFor();
    await promote.getByLabel('Wait before Ring 1').and(page.locator('[aria-invalid="true"]')).waitFor();
    await promote.getByRole('button', { name: 'Cancel' }).click();
    await promote.waitFor({ state: 'detached' });
    assert.equal((await server.api('GET', ROLLOUTS(acct))).body.result.length, 1);

    await page.getByRole('link', { name: 'Rollouts' }).click();
    const card = page.getByRole('article', { name: 'Later' });
    const text = await cardSays(card, /Scheduled/);
    assert.match(text, /Ring 1Due (tomorrow|in 1 day)/);
    assert.match(text, /Ring 2Pending: 1 day after the ring before/);
    assert.deepEqual(await buttonsOf(card), ['Pause', 'Abort']);

    // Someone else pauses it meanwhile: Pause is refused, and the refusal is shown in this card.
    await server.api('POST', `${ROLLOUTS(acct)}/${created.body.result.id}/pause`);
    await card.getByRole('button', { name: 'Pause Later' }).click();
    await card
      .getByRole('alert')
      .filter({ hasText: /Pause failed: .*cannot be paused/ })
      .waitFor();

    await page.reload();
    await cardSays(card, /Paused/);
    await card.getByRole('button', { name: 'Abort Later' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Abort rollout?' });
    await confirm.getByRole('button', { name: 'Abort rollout' }).click();
    const aborted = await cardSays(card, /Aborted/);
    assert.match(aborted, /Ring 1Skipped/);
    assert.deepEqual(await buttonsOf(card), []);

    await server.api('POST', ROLLOUTS(acct), body('Mac too', 'macos'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('article', { name: 'Mac too' }).waitFor();
    await page.getByLabel('State').selectOption('aborted');
    await page.getByRole('article', { name: 'Mac too' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('article').count(), 1);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a read-only token sees rollouts and ring notes without a button; Promote is not offered', async () => {
    const acct = account(3);
    const [, ring1] = await seedRings(acct);
    await server.api('POST', ROLLOUTS(acct), {
      name: 'Readable',
      version_config: [{ target_environment: 'windows', version: NEW }],
      stages: [{ deployment_group_id: ring1?.id, wait: '7d' }],
    });
    const created = runCli(['tokens', 'create', '--account', acct, '--permission', 'read'], {
      DATABASE_URL: server.databaseUrl,
    });
    assert.equal(created.status, 0, created.stderr);
    const { context, page, problems } = await open();
    await signIn(page, created.stdout.trim(), acct);
    const ring1Card = page.getByRole('article', { name: 'Ring 1' });
    await ring1Card.getByRole('link', { name: 'Readable' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Promote/ }).count(), 0);
    await page.getByRole('link', { name: 'Rollouts' }).click();
    const card = page.getByRole('article', { name: 'Readable' });
    await cardSays(card, /Scheduled/);
    await page.getByText('Read only.').waitFor();
    assert.equal(await card.getByRole('button').count(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the policy lookup answers: the version and its ring, or why none', async () => {
    const acct = account(4);
    await seedRings(acct);
    const { context, page, problems } = await open();
    await signIn(page, server.token, acct);
    await page.getByRole('link', { name: 'Policy lookup' }).click();
    await page.getByRole('heading', { name: 'Policy lookup' }).waitFor();
    const answer = page.locator('.lookup-answer');
    const ask = async (policyId: string, environment: string): Promise<string> => {
      await page.getByLabel('Policy ID').fill(policyId);
      await page.getByLabel('Environment').fill(environment);
      await page.getByRole('button', { name: 'Look up' }).click();
      await answer.locator('.answer, .form-error').waitFor();
      const text = (await answer.textContent()) ?? '';
      await page.evaluate(() => document.querySelector('.lookup-answer')?.replaceChildren());
      return text;
    };
    assert.match(
      await ask(policy(2), 'windows'),
      new RegExp(`gets ${OLD.replaceAll('.', '\\.')}, from the ring Ring 1`),
    );
    // Ring 2 has only the catch-all entry: every environment gets it.
    assert.match(await ask(policy(3), 'macos'), /on macOS gets 2026\.5\.711\.0, from the ring Ring 2/);
    // No ring holds the policy; its ring has no entry for the environment (nor one for every other).
    assert.match(await ask(policy(9), 'windows'), /gets no version: .*policy/i);
    assert.match(await ask(policy(2), 'macos'), /on macOS gets no version: .*macos/i);
    // An environment this server does not know: the API's refusal beside the field.
    const environment = page.getByLabel('Environment');
    await environment.fill('linux');
    await page.getByRole('button', { name: 'Look up' }).click();
    await environment.and(page.locator('[aria-invalid="true"]')).waitFor();
    assert.match((await page.locator('#lookup-environment-error').textContent()) ?? '', /.+/);
    // Found: a link to the ring's card.
    await environment.fill('windows');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByRole('link', { name: 'Show the ring' }).click();
    await page.getByRole('article', { name: 'Ring 1' }).and(page.locator(':focus')).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });
});
