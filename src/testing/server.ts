// One test-mode server, in this process: a store, fresh credentials, the app in test mode, listening. The
// in-process start (index.ts, startRingmaster) and `ringmaster serve --test-mode` (serve.ts) both build on
// it, so the two behave alike. Control calls go through the app's own routes, over its socket: one path,
// one validation, whichever way a test talks to it.
import { readFile } from 'node:fs/promises';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import type { LogLevel } from '../config.ts';
import { API_PREFIX } from '../http/envelope.ts';
import type { Store } from '../store/store.ts';
import { TokenService } from '../tokens/service.ts';
import { TESTING_PREFIX } from './journal.ts';
import { TestMode, type TestModeOptions } from './mode.ts';
import type { FaultRule, FaultRuleInput, Fixtures, JournalEntry, Seeded } from './model.ts';

/** Cloudflare's own example account ID (its API docs and SDK examples use it). */
export const DEFAULT_ACCOUNT_ID = '023e105f4ecef8ad9ca31a8372d0c353';
export const DEFAULT_API_EMAIL = 'test@ringmaster.example';

export interface TestServerOptions extends TestModeOptions {
  store: Store;
  host: string;
  port: number;
  accountId: string;
  targetEnvironments: string[];
  logLevel: LogLevel;
  logger?: FastifyBaseLogger;
  seed?: Fixtures | string;
}

/** A failed control call: the status and the envelope's errors (each with its `source.pointer`). */
export class RingmasterError extends Error {
  constructor(
    readonly status: number,
    readonly errors: { code: number; message: string; source?: { pointer?: string } }[],
  ) {
    const lines = errors.map((e) => `  ${e.code} ${e.source?.pointer ?? ''} ${e.message}`.trimEnd());
    super(`Ringmaster answered ${status}:\n${lines.join('\n')}`);
    this.name = 'RingmasterError';
  }
}

export interface TestServer {
  app: FastifyInstance;
  origin: string;
  baseURL: string;
  apiToken: string;
  apiKey: string;
  apiEmail: string;
  accountId: string;
  control<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  seed(fixtures: Fixtures | string): Promise<Seeded>;
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const { store } = options;
  const tokens = new TokenService(store);
  const everything = { accounts: null, permission: 'write' as const, name: 'test mode' };
  const token = await tokens.createToken(everything);
  const key = await tokens.createKey({ ...everything, email: DEFAULT_API_EMAIL });
  const app = buildApp({
    config: {
      logLevel: options.logLevel,
      targetEnvironments: options.targetEnvironments,
      // A test suite fails authentication on purpose; it must not lock itself out.
      authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
    },
    store,
    logger: options.logger,
    testMode: new TestMode({ random: options.random }),
  });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const origin = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;

  // Over the socket, not app.inject: light-my-request loads an ES module with require(), which Jest's
  // module runtime refuses, and a loopback round trip costs next to nothing.
  const control = async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => {
    const response = await fetch(`${origin}${TESTING_PREFIX}/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token.secret}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const envelope = await response.json();
    if (response.status !== 200) throw new RingmasterError(response.status, envelope.errors);
    return envelope.result as T;
  };
  const seed = async (fixtures: Fixtures | string) =>
    control<Seeded>('POST', 'seed', typeof fixtures === 'string' ? await readFixtures(fixtures) : fixtures);
  try {
    if (options.seed !== undefined) await seed(options.seed);
  } catch (error) {
    await app.close();
    throw error;
  }
  return {
    app,
    origin,
    baseURL: `${origin}${API_PREFIX}`,
    apiToken: token.secret,
    apiKey: key.secret,
    apiEmail: DEFAULT_API_EMAIL,
    accountId: options.accountId,
    control,
    seed,
  };
}

/** A fixtures file: JSON, in the format of docs/testing.md. */
async function readFixtures(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export type { FaultRule, FaultRuleInput, Fixtures, JournalEntry, Seeded };
