// Process entry for `ringmaster serve`: load config → open store → build app → listen.
// SIGTERM/SIGINT stop accepting, answer in-flight and arriving requests, close idle connections cleanly
// (http/draining.ts), close the store and exit.
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { API_PREFIX } from './http/envelope.ts';
import { RedisCounters } from './http/rate-limit.ts';
import { createLogger } from './logging/logger.ts';
import { claimServerLock, openStore } from './store/open.ts';
import { TokenService } from './tokens/service.ts';
import { VERSION } from './version.ts';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, config.logFormat);
  claimServerLock(config.database);
  const store = await openStore(config.database);
  const counters = config.redisUrl ? await RedisCounters.connect(config.redisUrl, logger) : undefined;
  const operator = await new TokenService(store).createOperatorTokenIfNone();
  const app = buildApp({ config, store, logger, counters });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const origin = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const baseUrl = `${origin}${API_PREFIX}`;
  if (operator) printOperatorToken(operator.secret, origin);
  // operator_token says whether the banner above was printed (never the token itself).
  app.log.info(
    {
      version: VERSION,
      url: baseUrl,
      dashboard: `${origin}/`,
      backend: store.backend,
      operator_token: operator !== undefined,
    },
    'listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    await app.close();
    await store.close();
    await counters?.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The first start's bootstrap secret: shown once on stderr, never logged, stored only as a hash. */
function printOperatorToken(secret: string, origin: string): void {
  process.stderr.write(
    [
      '',
      'Ringmaster created an operator token (all accounts, Zero Trust Write).',
      'It is shown only this once and stored only as a hash; keep it somewhere safe:',
      '',
      `    ${secret}`,
      '',
      'Try it:',
      `    curl -H "Authorization: Bearer ${secret}" ${origin}${API_PREFIX}/user/tokens/verify`,
      '',
      `or sign in with it to the dashboard at ${origin}/`,
      '',
      '',
    ].join('\n'),
  );
}
