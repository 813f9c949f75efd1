// `ringmaster serve --test-mode`: the out-of-process start, for test suites in any language and for
// Terraform or Pulumi runs (docs/testing.md). With --print-env, stdout carries only `export NAME=value`
// lines a shell can source — the log goes to stderr — and then the server runs until SIGTERM or SIGINT.
import { pino } from 'pino';
import type { Config } from '../config.ts';
import { claimServerLock, openStore } from '../store/open.ts';
import { DEFAULT_ACCOUNT_ID, startTestServer, type TestServer } from './server.ts';

export interface TestModeFlags {
  /** A fixtures file to seed before serving. */
  seed?: string;
  printEnv: boolean;
}

export async function serveTestMode(config: Config, flags: TestModeFlags): Promise<void> {
  const logger = pino({ level: config.logLevel }, flags.printEnv ? pino.destination(2) : undefined);
  claimServerLock(config.database);
  const store = await openStore(config.database);
  let server: TestServer;
  try {
    server = await startTestServer({
      store,
      host: config.host,
      port: config.port,
      accountId: DEFAULT_ACCOUNT_ID,
      targetEnvironments: config.targetEnvironments,
      logLevel: config.logLevel,
      logger,
      seed: flags.seed,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  if (flags.printEnv) process.stdout.write(environment(server));
  server.app.log.info(
    { url: server.baseURL, backend: store.backend, test_mode: true },
    'listening in test mode',
  );
  const stop = async () => {
    await server.app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The variables the official SDKs, Terraform and Pulumi read, quoted for any POSIX shell. */
export function environment(server: TestServer): string {
  const variables: [string, string][] = [
    ['CLOUDFLARE_BASE_URL', server.baseURL],
    ['CLOUDFLARE_API_TOKEN', server.apiToken],
    ['CLOUDFLARE_ACCOUNT_ID', server.accountId],
    ['CLOUDFLARE_EMAIL', server.apiEmail],
    ['CLOUDFLARE_API_KEY', server.apiKey],
    // To stop it later: kill "$RINGMASTER_PID".
    ['RINGMASTER_PID', String(process.pid)],
  ];
  return variables.map(([name, value]) => `export ${name}='${value.replaceAll("'", `'\\''`)}'\n`).join('');
}
