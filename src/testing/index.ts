// `ringmaster/testing`: Ringmaster as the Cloudflare of a JavaScript or TypeScript test suite
// (docs/testing.md, docs/contract.md §8.6). One call starts a server on an in-memory store, in test mode,
// with fresh credentials; each call is its own server, sharing nothing with any other.
//
//   const rm = await startRingmaster();
//   const client = new Cloudflare({ baseURL: rm.baseURL, apiToken: rm.apiToken });
//   …
//   await rm.stop();
import type { LogLevel } from '../config.ts';
import { openSqliteStore } from '../store/sqlite/store.ts';
import type { FaultRule, FaultRuleInput, Fixtures, JournalEntry, Seeded } from './model.ts';
import { DEFAULT_ACCOUNT_ID, RingmasterError, startTestServer } from './server.ts';

export type { FaultRule, FaultRuleInput, Fixtures, JournalEntry, Seeded };
export { DEFAULT_ACCOUNT_ID, RingmasterError };

export interface StartRingmasterOptions {
  /** Groups to create before the server answers: a fixtures document, or the path of a JSON file of one. */
  seed?: Fixtures | string;
  /** The port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** The address to listen on; default 127.0.0.1. */
  host?: string;
  /** The account ID handed out as `accountId` (any account works); default DEFAULT_ACCOUNT_ID. */
  accountId?: string;
  /** The values `target_environment` may take besides null; default windows, macos. */
  targetEnvironments?: string[];
  /** The server's log on stdout; default silent. */
  logLevel?: LogLevel;
  /** Rolls fault probabilities; default Math.random. Pass a seeded one for repeatable tests. */
  random?: () => number;
}

export interface Ringmaster {
  /** What the official SDKs take as `baseURL`: `http://127.0.0.1:<port>/client/v4`. */
  baseURL: string;
  /** The server's origin, for the `/ringmaster/v1` extensions and the dashboard. */
  origin: string;
  /** An API token with Zero Trust Write on every account. */
  apiToken: string;
  /** The legacy pair, with the same grant: X-Auth-Email and X-Auth-Key. */
  apiEmail: string;
  apiKey: string;
  /** An account ID to use (every account ID works; each is its own namespace). */
  accountId: string;
  /** Everything gone but the credentials: groups, the journal and the fault rules. */
  reset(): Promise<void>;
  /** Creates the fixtures' groups, all or none; resolves to them with their ids. */
  seed(fixtures: Fixtures | string): Promise<Seeded>;
  /** The API requests received so far, oldest first (at most the last 1000), secrets masked. */
  requests(): Promise<JournalEntry[]>;
  clearRequests(): Promise<void>;
  /** Adds a fault rule after the others; resolves to it with its id. */
  fault(rule: FaultRuleInput): Promise<FaultRule>;
  /** The fault rules, with how often each has applied. */
  faults(): Promise<FaultRule[]>;
  clearFaults(): Promise<void>;
  /** Stops listening and drops the store. */
  stop(): Promise<void>;
}

/** Starts a Ringmaster in test mode on a fresh in-memory store; resolves once it accepts connections. */
export async function startRingmaster(options: StartRingmasterOptions = {}): Promise<Ringmaster> {
  const store = openSqliteStore({ path: ':memory:' });
  let server: Awaited<ReturnType<typeof startTestServer>>;
  try {
    server = await startTestServer({
      store,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      accountId: options.accountId ?? DEFAULT_ACCOUNT_ID,
      targetEnvironments: options.targetEnvironments ?? ['windows', 'macos'],
      logLevel: options.logLevel ?? 'silent',
      seed: options.seed,
      random: options.random,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const { control } = server;
  let stopped: Promise<void> | undefined;
  return {
    baseURL: server.baseURL,
    origin: server.origin,
    apiToken: server.apiToken,
    apiEmail: server.apiEmail,
    apiKey: server.apiKey,
    accountId: server.accountId,
    reset: () => control<null>('POST', 'reset').then(() => undefined),
    seed: server.seed,
    requests: () => control<JournalEntry[]>('GET', 'requests'),
    clearRequests: () => control<null>('DELETE', 'requests').then(() => undefined),
    fault: (rule) => control<FaultRule>('POST', 'faults', rule),
    faults: () => control<FaultRule[]>('GET', 'faults'),
    clearFaults: () => control<null>('DELETE', 'faults').then(() => undefined),
    stop() {
      stopped ??= server.app.close().then(() => store.close());
      return stopped;
    },
  };
}
