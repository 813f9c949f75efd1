// Builds the real app on a real SQLite file in a temp directory, with one credential of every kind the
// tests need. Requests are injected in-process; every 200 is checked against Cloudflare's schemas.
// createAdminApp() builds it over a store of either backend the test opened, with one admin token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { formatTimestamp, nowNanos } from '../../src/clock.ts';
import type { Counters, RateLimit } from '../../src/http/rate-limit.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/store.ts';
import { TestMode } from '../../src/testing/mode.ts';
import { TokenService } from '../../src/tokens/service.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './accounts.ts';
import { assertCloudflareShape } from './cloudflare-spec.ts';

export { ACCOUNT, OTHER_ACCOUNT } from './accounts.ts';
export const KEY_EMAIL = 'ops@example.com';

export const groupsUrl = (account = ACCOUNT) => `/client/v4/accounts/${account}/devices/deployment-groups`;
export const groupUrl = (id: string, account = ACCOUNT) => `${groupsUrl(account)}/${id}`;

export const validGroup = (overrides: Record<string, unknown> = {}) => ({
  name: 'Engineering Ring 0',
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  ...overrides,
});

export interface Secrets {
  /** Write on every account. */
  admin: string;
  /** Read on every account. */
  allReader: string;
  /** Write on ACCOUNT only. */
  writer: string;
  /** Read on ACCOUNT only. */
  reader: string;
  /** Write on OTHER_ACCOUNT only. */
  otherWriter: string;
  expired: string;
  revoked: string;
  /** Legacy API key (with KEY_EMAIL), write on ACCOUNT. */
  key: string;
  /** Version Targets Read on ACCOUNT only (docs/contract.md §8.4). */
  targets: string;
}

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  secrets: Secrets;
  dir: string;
  request(options: RequestOptions): Promise<LightMyRequestResponse & { json(): any }>;
  close(): Promise<void>;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT' | 'HEAD' | 'OPTIONS';
  url: string;
  /** A Bearer token; `null` sends no credentials. Defaults to the admin token. */
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestAppOptions {
  targetEnvironments?: string[];
  rateLimit?: RateLimit;
  /** Defaults to a limit no test reaches, so the auth matrix can fail authentication freely. */
  authFailureLimit?: RateLimit;
  counters?: Counters;
  trustProxy?: boolean | string[];
  /** Build the app in test mode (docs/contract.md §8.6). */
  testMode?: boolean;
  /** An SQLite file to open (a bench's seeded copy) instead of a new one; its directory is removed on close. */
  path?: string;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir =
    options.path === undefined ? mkdtempSync(join(tmpdir(), 'ringmaster-test-')) : dirname(options.path);
  const store = openSqliteStore({ path: options.path ?? join(dir, 'test.db') });
  const tokens = new TokenService(store);
  const secret = async (promise: Promise<{ secret: string }>) => (await promise).secret;
  const past = formatTimestamp(nowNanos() - 1_000_000_000n);
  const revokedToken = await tokens.createToken({ accounts: [ACCOUNT], permission: 'write' });
  await tokens.revoke(revokedToken.credential.id);
  const secrets: Secrets = {
    admin: await secret(tokens.createToken({ accounts: null, permission: 'write' })),
    allReader: await secret(tokens.createToken({ accounts: null, permission: 'read' })),
    writer: await secret(tokens.createToken({ accounts: [ACCOUNT], permission: 'write' })),
    reader: await secret(tokens.createToken({ accounts: [ACCOUNT], permission: 'read' })),
    otherWriter: await secret(tokens.createToken({ accounts: [OTHER_ACCOUNT], permission: 'write' })),
    expired: await secret(tokens.createToken({ accounts: [ACCOUNT], permission: 'write', expires_at: past })),
    revoked: revokedToken.secret,
    key: await secret(tokens.createKey({ accounts: [ACCOUNT], permission: 'write', email: KEY_EMAIL })),
    targets: await secret(tokens.createToken({ accounts: [ACCOUNT], permission: 'targets' })),
  };
  const app = buildApp({
    config: {
      logLevel: 'silent',
      targetEnvironments: options.targetEnvironments ?? ['windows', 'macos'],
      rateLimit: options.rateLimit,
      authFailureLimit: options.authFailureLimit ?? { limit: 1_000_000, windowSeconds: 60 },
      trustProxy: options.trustProxy,
    },
    store,
    counters: options.counters,
    testMode: options.testMode ? new TestMode() : undefined,
  });
  await app.ready();

  return {
    app,
    store,
    secrets,
    dir,
    async request({ method = 'GET', url, token, body, headers = {} }) {
      const bearer = token === undefined ? secrets.admin : token;
      const response = await app.inject({
        method,
        url,
        headers: {
          ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      if (response.statusCode === 200 && url.startsWith('/client/v4/')) {
        assertCloudflareShape(method, url, response.json());
      }
      return response;
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface AdminApp {
  app: FastifyInstance;
  /** A token named `admin` that writes on every account. */
  admin: { secret: string; id: string };
  /** Injects a request as `admin`, with `body` as JSON when given. */
  call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<LightMyRequestResponse>;
}

/**
 * The real app over a store the test opened (either backend, support/stores.ts), with one admin token; the
 * rollout scheduler ticks only when the test calls `app.rolloutScheduler.tick()`.
 */
export async function createAdminApp(store: Store, targetEnvironments: string[]): Promise<AdminApp> {
  const token = await new TokenService(store).createToken({
    accounts: null,
    permission: 'write',
    name: 'admin',
  });
  const app = buildApp({
    config: {
      logLevel: 'silent',
      targetEnvironments,
      authFailureLimit: { limit: 1_000_000, windowSeconds: 60 },
    },
    store,
    rolloutTickMs: 3_600_000,
  });
  await app.ready();
  return {
    app,
    admin: { secret: token.secret, id: token.credential.id },
    call: (method, url, body) =>
      app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token.secret}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
  };
}
