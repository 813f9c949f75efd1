// Child processes the bench drives: the real server (dist/cli/main.js serve), the node:http baseline,
// and their readiness, memory and shutdown. Everything listens on 127.0.0.1 only.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_MAIN = join(ROOT, 'dist/cli/main.js');
const BASELINE = join(ROOT, 'bench/baseline.ts');
const FASTIFY_CEILING = join(ROOT, 'bench/fastify-ceiling.ts');
const DUTIES_FLOOR = join(ROOT, 'bench/duties-floor.ts');

export interface Running {
  name: string;
  pid: number;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Milliseconds from spawn to the first 200 from /readyz. */
  readyMs: number;
  /** The operator token the server printed on its first start, if it printed one. */
  printedToken?: string;
  stderr(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  name: string;
  databaseUrl: string;
  logLevel: string;
  /** Where the server's stdout (its JSON log) goes. */
  logPath: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Wait for the first-start operator token on stderr. */
  expectToken?: boolean;
}

export function requireDist(): void {
  if (!existsSync(SERVER_MAIN)) {
    fail(`${SERVER_MAIN} is missing: build first with \`npm run build\` (npm run bench does this for you).`);
  }
}

export async function startServer(options: ServerOptions): Promise<Running> {
  const port = await freePort();
  const logFd = openSync(options.logPath, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER_MAIN, 'serve'], {
    cwd: ROOT,
    env: {
      ...cleanEnv(),
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      LOG_LEVEL: options.logLevel,
      ...serverEnv,
    },
    stdio: ['ignore', logFd, 'pipe'],
  });
  closeSync(logFd);
  const running = await whenReady(options.name, child, port, started);
  if (options.expectToken) {
    running.printedToken = await waitFor(() => /\b(rmt_[A-Za-z0-9_-]+)/.exec(running.stderr())?.[1], 5000);
    if (!running.printedToken) {
      await running.stop();
      fail(`${options.name}: the server did not print an operator token; stderr:\n${running.stderr()}`);
    }
  }
  return running;
}

export async function startBaseline(bodiesPath: string, nodeArgs: string[] = []): Promise<Running> {
  return startYardstick('baseline', BASELINE, bodiesPath, nodeArgs);
}

/** The minimal Fastify app (bench/fastify-ceiling.ts): one constant GET route, Fastify's own ceiling. */
export async function startFastifyCeiling(bodiesPath: string): Promise<Running> {
  return startYardstick('fastify', FASTIFY_CEILING, bodiesPath, []);
}

/** node:http plus the duties of every answer (bench/duties-floor.ts), its log lines to `logPath`. */
export async function startDutiesFloor(bodiesPath: string, logPath: string): Promise<Running> {
  return startYardstick('duties', DUTIES_FLOOR, bodiesPath, [], [logPath]);
}

async function startYardstick(
  name: string,
  script: string,
  bodiesPath: string,
  nodeArgs: string[],
  args: string[] = [],
) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, bodiesPath, ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return whenReady(name, child, port, started);
}

/** Extra variables for every server process (run.ts --env KEY=VALUE), e.g. DATABASE_POOL_SIZE. */
export const serverEnv: Record<string, string> = {};

/**
 * Only what a process needs to run: the server's own settings (RATE_LIMIT, REDIS_URL, NODE_OPTIONS…)
 * from the caller's shell must not change what is measured.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

async function whenReady(name: string, child: ChildProcess, port: number, started: number): Promise<Running> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  let exited: number | string | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? signal;
      resolve();
    }),
  );
  const origin = `http://127.0.0.1:${port}`;
  const deadline = started + 60_000;
  let readyMs = -1;
  while (performance.now() < deadline && exited === undefined) {
    try {
      const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) {
        readyMs = performance.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  if (readyMs < 0) {
    child.kill('SIGKILL');
    fail(`${name} did not become ready (exit: ${exited ?? 'still running'}); stderr:\n${stderr}`);
  }
  return {
    name,
    pid: child.pid as number,
    port,
    origin,
    readyMs,
    stderr: () => stderr,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** VmRSS (now) and VmHWM (peak) of a process, in MiB, from /proc. */
export function memory(pid: number): { rssMiB: number; peakMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: round(kb('VmRSS') / 1024, 1), peakMiB: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return undefined;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined || performance.now() > deadline) return value;
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export class BenchError extends Error {}

export function fail(message: string): never {
  throw new BenchError(message);
}
