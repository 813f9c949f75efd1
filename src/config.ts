// The only reader of process.env. Validates everything once and fails fast, naming every bad variable.
import { isProxyAddress, type TrustProxy } from './http/client-address.ts';
import { parseRateLimit, type RateLimit } from './http/rate-limit.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  /** `poolSize`: connections one process may hold at most (DATABASE_POOL_SIZE). */
  | { kind: 'postgres'; url: string; poolSize: number };

export interface Config {
  host: string;
  port: number;
  database: DatabaseConfig;
  logLevel: LogLevel;
  /** The values `version_config[].target_environment` may take besides null (docs/contract.md §4). */
  targetEnvironments: string[];
  /** Requests per credential and window (`RATE_LIMIT=1200/5m`); undefined = no limit (the default). */
  rateLimit?: RateLimit;
  /** Failed authentications per client address and window; always on (brute-force protection). */
  authFailureLimit: RateLimit;
  /** Share rate-limit counters across replicas through Redis; in-process counters otherwise. */
  redisUrl?: string;
  /**
   * Which X-Forwarded-For entries to believe for the client address (rate limits, logs): false (the
   * default: the TCP peer), true (one proxy), a number of proxies, or a list of proxy addresses/CIDRs.
   */
  trustProxy: TrustProxy;
  /** Days an audit entry is kept (AUDIT_RETENTION_DAYS); older ones are pruned in small batches. */
  auditRetentionDays: number;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/ringmaster.db';
export const DEFAULT_DATABASE_POOL_SIZE = 10;
const MAX_DATABASE_POOL_SIZE = 1000;
export const DEFAULT_AUTH_FAILURE_LIMIT = '60/1m';
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
const MAX_AUDIT_RETENTION_DAYS = 36_500;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];

  const host = env.HOST || '127.0.0.1';

  const port = Number(env.PORT || '8787');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(env.PORT)}`);
  }

  // Checked whichever backend is selected: a bad value is a mistake even where it is not used yet.
  const poolSize = Number(env.DATABASE_POOL_SIZE || DEFAULT_DATABASE_POOL_SIZE);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > MAX_DATABASE_POOL_SIZE) {
    problems.push(
      `DATABASE_POOL_SIZE must be an integer from 1 to ${MAX_DATABASE_POOL_SIZE}, got ${JSON.stringify(env.DATABASE_POOL_SIZE)}`,
    );
  }

  const database = parseDatabaseUrl(env.DATABASE_URL || DEFAULT_DATABASE_URL, poolSize);
  if (typeof database === 'string') problems.push(database);

  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  }

  const targetEnvironments = (env.TARGET_ENVIRONMENTS || 'windows,macos').split(',').map((e) => e.trim());
  if (targetEnvironments.some((e) => !/^[a-z][a-z0-9_-]{0,31}$/.test(e))) {
    problems.push(
      `TARGET_ENVIRONMENTS must be a comma-separated list of lowercase names, got ${JSON.stringify(env.TARGET_ENVIRONMENTS)}`,
    );
  }

  const rateLimit = env.RATE_LIMIT ? parseRateLimit(env.RATE_LIMIT) : undefined;
  if (typeof rateLimit === 'string') problems.push(`RATE_LIMIT ${rateLimit}`);
  const authFailureLimit = parseRateLimit(env.AUTH_FAILURE_LIMIT || DEFAULT_AUTH_FAILURE_LIMIT);
  if (typeof authFailureLimit === 'string') problems.push(`AUTH_FAILURE_LIMIT ${authFailureLimit}`);

  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(
      `REDIS_URL must start with redis:// or rediss://, got ${JSON.stringify(redactUrl(redisUrl))}`,
    );
  }

  const trustProxy = parseTrustProxy(env.TRUST_PROXY || 'false');
  if (typeof trustProxy === 'string') problems.push(trustProxy);

  const auditRetentionDays = Number(env.AUDIT_RETENTION_DAYS || DEFAULT_AUDIT_RETENTION_DAYS);
  if (
    !Number.isInteger(auditRetentionDays) ||
    auditRetentionDays < 1 ||
    auditRetentionDays > MAX_AUDIT_RETENTION_DAYS
  ) {
    problems.push(
      `AUDIT_RETENTION_DAYS must be an integer from 1 to ${MAX_AUDIT_RETENTION_DAYS}, got ${JSON.stringify(env.AUDIT_RETENTION_DAYS)}`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host,
    port,
    database: database as DatabaseConfig,
    logLevel,
    targetEnvironments,
    rateLimit: rateLimit as RateLimit | undefined,
    authFailureLimit: authFailureLimit as RateLimit,
    redisUrl,
    trustProxy: trustProxy as Config['trustProxy'],
    auditRetentionDays,
  };
}

/** TRUST_PROXY: `false`, `true` (one proxy), a number of proxies, or proxy addresses/CIDRs (docs/security.md §4). */
function parseTrustProxy(text: string): TrustProxy | string {
  if (text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isProxyAddress(entry));
  if (bad.length === 0) return entries;
  return (
    'TRUST_PROXY must be false, true (one proxy), a number of proxies, or a comma-separated list of proxy ' +
    `addresses/CIDRs; not an address or CIDR: ${bad.map((entry) => JSON.stringify(entry)).join(', ')}`
  );
}

/** `sqlite:<path>` or `postgres://…` / `postgresql://…`; a string result is the problem found. */
export function parseDatabaseUrl(
  url: string,
  poolSize = DEFAULT_DATABASE_POOL_SIZE,
): DatabaseConfig | string {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') return 'DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/ringmaster.db';
    return { kind: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    if (!URL.canParse(url)) return `DATABASE_URL is not a valid URL: ${JSON.stringify(redactUrl(url))}`;
    return { kind: 'postgres', url, poolSize };
  }
  return `DATABASE_URL must start with sqlite: or postgres://, got ${JSON.stringify(redactUrl(url))}`;
}

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
