// Real headless Chromium (Debian's `chromium` package) driven by playwright-core, for the dashboard's
// end-to-end test and the screenshot script. Also builds the dashboard's scripts and starts a real server.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT, type RunningServer, startServer } from './server.ts';

/** Debian's package (what CI installs); RINGMASTER_TEST_CHROMIUM points elsewhere, e.g. on a laptop. */
export const CHROMIUM_PATH = process.env.RINGMASTER_TEST_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or null when they can. */
export async function browserUnavailable(): Promise<string | null> {
  if (!existsSync(CHROMIUM_PATH)) return `${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm ci installs it as a dev dependency)';
  }
  return null;
}

/**
 * Why a browser suite cannot run (it then prints that and is skipped), or null. CI sets
 * RINGMASTER_REQUIRE_BROWSER=1: there a missing browser is a failure, not a skipped suite.
 */
export async function browserSuiteUnavailable(suite: string): Promise<string | null> {
  const unavailable = await browserUnavailable();
  if (unavailable && process.env.RINGMASTER_REQUIRE_BROWSER)
    throw new Error(`${suite} cannot run: ${unavailable}`);
  if (unavailable) console.log(`# ${suite} did not run: ${unavailable}`);
  return unavailable;
}

export interface OpenedDashboard {
  context: BrowserContext;
  page: Page;
  /** Script errors and console errors (CSP violations among them) other than the API's 4xx answers. */
  problems: string[];
}

/** A fresh browser context on the dashboard at `origin`, collecting the page's problems. */
export async function openDashboard(
  browser: Browser,
  origin: string,
  viewport = { width: 1280, height: 900 },
): Promise<OpenedDashboard> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(message.text());
  });
  await page.goto(`${origin}/`);
  return { context, page, problems };
}

/** Chromium with a fresh temporary profile (Playwright creates one per launch and removes it on close). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Compiles web/src into dist/dashboard/, as `npm run build` does. The server always serves the built
 * scripts; building here (a few seconds) means a test never exercises a stale build of edited sources.
 */
export function buildDashboard(): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'web/tsconfig.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`building the dashboard failed:\n${result.stdout}${result.stderr}`);
}

export interface DashboardServer {
  server: RunningServer;
  /** e.g. http://127.0.0.1:43123 — the dashboard is at `${origin}/`. */
  origin: string;
  /** The operator token the first start printed: every account, Zero Trust Write. */
  token: string;
  /** The server's DATABASE_URL, for CLI commands such as `tokens create`. */
  databaseUrl: string;
  /**
   * Calls the public API with the operator token; returns the parsed envelope. A path is under
   * /client/v4 unless it starts with /ringmaster/ (Ringmaster's own routes).
   */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** A real `ringmaster serve` on a fresh SQLite file, on a free port. */
export async function startDashboardServer(env: Record<string, string> = {}): Promise<DashboardServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-dashboard-'));
  const databaseUrl = `sqlite:${join(dir, 'ringmaster.db')}`;
  const server = await startServer({ DATABASE_URL: databaseUrl, ...env });
  const token = server.operatorToken;
  if (!token) throw new Error(`the server printed no operator token:\n${server.stderr()}`);
  const origin = new URL(server.baseUrl).origin;
  return {
    server,
    origin,
    token,
    databaseUrl,
    async api(method, path, body) {
      const base = path.startsWith('/ringmaster/') ? origin : server.baseUrl;
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills in the sign-in form and waits for the rings view. */
export async function signIn(page: Page, token: string, account: string): Promise<void> {
  await page.getByLabel('API token').fill(token);
  await page.getByLabel('Account ID').fill(account);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Rings', level: 1 }).waitFor();
}
