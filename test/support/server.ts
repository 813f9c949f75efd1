// Runs the real `ringmaster` CLI as a child process (through tsx, on the source), for tests that need a
// real socket, a real process to kill, or the CLI's own output.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACCOUNT } from './accounts.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

export interface RunningServer {
  process: ChildProcess;
  /** e.g. http://127.0.0.1:43123/client/v4 */
  baseUrl: string;
  /** The operator token printed on first start, if this start created one. */
  operatorToken?: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM and wait for exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** runCli without blocking the event loop, so that several commands can run side by side. */
export function runCliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { stdout, stderr } = collectOutput(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout: stdout(), stderr: stderr() }));
  });
}

/** Everything a child process has written so far, stdout and stderr apart. */
function collectOutput(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  return { stdout: () => out, stderr: () => err };
}

const TOKEN = /(rmt_[A-Za-z0-9_-]{43})/;

export interface ServeProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves to the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** Spawns `ringmaster serve` on 127.0.0.1 (a random port unless `PORT` says otherwise), collecting its output. */
export function spawnServe(env: Record<string, string>): ServeProcess {
  const child = spawn(process.execPath, [...CLI, 'serve'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ...collectOutput(child), exited };
}

/** Starts `ringmaster serve` on a free port and resolves once it logs that it is listening. */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const { child, stdout, stderr, exited } = spawnServe(env);
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Do not leave the child running: its open pipes would keep the test process alive.
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${stdout()}\n${stderr()}`));
    }, 20_000);
    const check = () => {
      const line = stdout()
        .split('\n')
        .find((l) => l.includes('"msg":"listening"'));
      if (!line) return;
      const listening = JSON.parse(line);
      // stdout and stderr are separate pipes: when a banner was printed, wait until its token is in.
      if (listening.operator_token && !TOKEN.test(stderr())) return;
      clearTimeout(timer);
      resolve(listening.url);
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening:\n${stdout()}\n${stderr()}`));
    });
  });

  return {
    process: child,
    baseUrl,
    operatorToken: TOKEN.exec(stderr())?.[1],
    stdout,
    stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CliServer {
  server: RunningServer;
  /** What the CLI's API commands read to reach the server as its operator, on ACCOUNT. */
  env: Record<string, string>;
  /** The server's scratch folder (its SQLite file lives there); files a test writes may go there too. */
  dir: string;
  stop(): Promise<void>;
}

/** A server on a fresh SQLite file, for driving the CLI's API commands (`groups`, `rollouts`) against it. */
export async function startCliServer(name: string): Promise<CliServer> {
  const dir = mkdtempSync(join(tmpdir(), `ringmaster-cli-${name}-`));
  const server = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` });
  const env = {
    CLOUDFLARE_BASE_URL: server.baseUrl,
    CLOUDFLARE_API_TOKEN: server.operatorToken as string,
    CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
  };
  return {
    server,
    env,
    dir,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
