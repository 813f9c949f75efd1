// The only reader of process.env, and the one list of environment variables (VARIABLES): configuration is
// parsed from it, and `ringmaster --help` and README's configuration table are rendered from it (a test
// checks both). Everything is validated once, up front: every bad variable is named in one error.
import { isIP } from 'node:net';
import { isProxyAddress, type TrustProxy } from './http/client-address.ts';
import { parseRateLimit, type RateLimit } from './http/rate-limit.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  /** `poolSize`: connections one process may hold at most (DATABASE_POOL_SIZE). */
  | { kind: 'postgres'; url: string; poolSize: number };

export interface Config {
  host: string;
  port: number;
  database: DatabaseConfig;
  logLevel: LogLevel;
  logFormat: LogFormat;
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
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787/client/v4';

/** A value refused: the message names the variable and what it accepts. */
class Invalid {
  constructor(readonly problem: string) {}
}

/** What a default may depend on besides the environment. */
interface Context {
  stdoutIsTty: boolean;
}

export interface Variable<T = unknown> {
  /** The value used when the variable is unset, as written in the help; absent: `defaultText` explains. */
  default?: string;
  /** How the default reads where it is not a plain value ("off", "unset", …). */
  defaultText?: string;
  /** One line for `ringmaster --help` and README (Markdown code spans allowed). */
  description: string;
  /** Which commands read it: the server and the commands on the store, or `ringmaster groups`. */
  readBy: 'server' | 'groups';
  /** A document with more, linked from README and named in the help. */
  see?: string;
  /** The value, or Invalid naming the variable. `text` is undefined only when unset without a default. */
  parse(text: string | undefined, context: Context): T | Invalid;
}

const variable = <T>(spec: Variable<T>): Variable<T> => spec;
const quoted = (text: string | undefined) => JSON.stringify(text);

/** Every environment variable Ringmaster reads, in the order the help and README list them. */
export const VARIABLES = {
  HOST: variable({
    default: '127.0.0.1',
    description: 'address to listen on: an IP address (`0.0.0.0` or `::` for all interfaces) or a host name',
    readBy: 'server',
    parse: parseHost,
  }),
  PORT: variable({
    default: '8787',
    description: 'TCP port, decimal digits 0–65535 (`0` picks a free one; the `listening` log line shows it)',
    readBy: 'server',
    parse: (text = '') =>
      /^\d{1,5}$/.test(text) && Number(text) <= 65535
        ? Number(text)
        : new Invalid(`PORT must be decimal digits from 0 to 65535, got ${quoted(text)}`),
  }),
  DATABASE_URL: variable({
    default: DEFAULT_DATABASE_URL,
    description:
      '`sqlite:<path>` (directory created), or `postgres://user@host:5432/db` (also `postgresql://`) for replicas',
    readBy: 'server',
    see: 'docs/deployment.md',
    parse: (text = '') => {
      const database = parseDatabaseUrl(text);
      return typeof database === 'string' ? new Invalid(database) : database;
    },
  }),
  DATABASE_POOL_SIZE: variable({
    default: String(DEFAULT_DATABASE_POOL_SIZE),
    description: `PostgreSQL connections per replica, 1–${MAX_DATABASE_POOL_SIZE}`,
    readBy: 'server',
    parse: (text = '') =>
      /^\d{1,4}$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_DATABASE_POOL_SIZE
        ? Number(text)
        : new Invalid(
            `DATABASE_POOL_SIZE must be an integer from 1 to ${MAX_DATABASE_POOL_SIZE}, got ${quoted(text)}`,
          ),
  }),
  LOG_LEVEL: variable({
    default: 'info',
    description: `${LOG_LEVELS.map((level) => `\`${level}\``).join(', ')}; one line per request with its \`ray\``,
    readBy: 'server',
    parse: (text = '') =>
      oneOf(LOG_LEVELS, text) ??
      new Invalid(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${quoted(text)}`),
  }),
  LOG_FORMAT: variable<LogFormat>({
    defaultText: '`pretty` on a terminal, `json` otherwise',
    description:
      '`json`: one JSON object per line (for log collectors); `pretty`: one readable line per entry',
    readBy: 'server',
    parse: (text, { stdoutIsTty }) => {
      if (text === undefined) return stdoutIsTty ? 'pretty' : 'json';
      return (
        oneOf(LOG_FORMATS, text) ?? new Invalid(`LOG_FORMAT must be pretty or json, got ${quoted(text)}`)
      );
    },
  }),
  TARGET_ENVIRONMENTS: variable({
    default: 'windows,macos',
    description: 'the values `version_config[].target_environment` may take (besides `null`), each once',
    readBy: 'server',
    parse: parseTargetEnvironments,
  }),
  RATE_LIMIT: variable({
    defaultText: 'off',
    description:
      'requests per credential and window, e.g. `1200/5m` (Cloudflare’s own limit); 429 code 971 with `Retry-After` past it',
    readBy: 'server',
    see: 'docs/security.md',
    parse: (text) => (text ? rateLimit('RATE_LIMIT', text) : undefined),
  }),
  AUTH_FAILURE_LIMIT: variable({
    default: DEFAULT_AUTH_FAILURE_LIMIT,
    description:
      'failed authentications per client address and window (always on); past it, 429 code 971 (valid credentials are never refused by it)',
    readBy: 'server',
    parse: (text = '') => rateLimit('AUTH_FAILURE_LIMIT', text),
  }),
  TRUST_PROXY: variable({
    default: 'false',
    description:
      'which `X-Forwarded-For` entry names the client: `false` (the TCP peer), `true` (one proxy: the entry it added), a number of proxies, or a comma-separated list of proxy addresses/CIDRs (e.g. `10.0.0.0/8,::1`, `loopback`)',
    readBy: 'server',
    see: 'docs/security.md',
    parse: (text = '') => {
      const trust = parseTrustProxy(text);
      return typeof trust === 'string' ? new Invalid(trust) : trust;
    },
  }),
  REDIS_URL: variable({
    defaultText: 'unset',
    description:
      '`redis://host:6379` (or `rediss://`): rate-limit counters shared by every replica; while Redis is unreachable the limiter fails open',
    readBy: 'server',
    see: 'docs/deployment.md',
    parse: (text) => {
      if (!text) return undefined;
      if (/^rediss?:\/\//.test(text) && URL.canParse(text)) return text;
      return new Invalid(`REDIS_URL must be a redis:// or rediss:// URL, got ${quoted(redactUrl(text))}`);
    },
  }),
  AUDIT_RETENTION_DAYS: variable({
    default: String(DEFAULT_AUDIT_RETENTION_DAYS),
    description: `days an audit entry is kept, 1–${MAX_AUDIT_RETENTION_DAYS}; older ones are deleted every minute in batches of 1,000`,
    readBy: 'server',
    see: 'docs/contract.md',
    parse: (text = '') =>
      /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_AUDIT_RETENTION_DAYS
        ? Number(text)
        : new Invalid(
            `AUDIT_RETENTION_DAYS must be an integer from 1 to ${MAX_AUDIT_RETENTION_DAYS}, got ${quoted(text)}`,
          ),
  }),
  CLOUDFLARE_BASE_URL: variable({
    default: DEFAULT_BASE_URL,
    description: '`ringmaster groups`: the API to talk to (`--base-url` overrides it)',
    readBy: 'groups',
    parse: (text) => text,
  }),
  CLOUDFLARE_API_TOKEN: variable({
    defaultText: 'unset',
    description: '`ringmaster groups`: the API token (`--token` overrides it)',
    readBy: 'groups',
    parse: (text) => text || undefined,
  }),
  CLOUDFLARE_ACCOUNT_ID: variable({
    defaultText: 'unset',
    description: '`ringmaster groups`: the account (`--account` overrides it)',
    readBy: 'groups',
    parse: (text) => text || undefined,
  }),
} as const;

export type VariableName = keyof typeof VARIABLES;
type Values = { -readonly [N in VariableName]: Exclude<ReturnType<(typeof VARIABLES)[N]['parse']>, Invalid> };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The variables `readBy` reads, parsed; throws one ConfigError naming every bad one. */
function readVariables(
  env: NodeJS.ProcessEnv,
  readBy: Variable['readBy'],
  context: Context,
): Partial<Values> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(VARIABLES) as [VariableName, Variable][]) {
    if (spec.readBy !== readBy) continue;
    const value = spec.parse(env[name] ?? spec.default, context);
    if (value instanceof Invalid) problems.push(value.problem);
    else values[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as Partial<Values>;
}

/**
 * The server's configuration from the environment, with command-line flags (`serve --port`, `--memory`)
 * standing in for the variables they replace, so that they go through the same checks.
 */
export function loadConfigWith(flags: Partial<Record<VariableName, string>>): Config {
  return loadConfig({ ...process.env, ...flags });
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  context: Context = { stdoutIsTty: process.stdout.isTTY === true },
): Config {
  const v = readVariables(env, 'server', context) as Values;
  const database = v.DATABASE_URL as DatabaseConfig;
  return {
    host: v.HOST,
    port: v.PORT,
    database: database.kind === 'postgres' ? { ...database, poolSize: v.DATABASE_POOL_SIZE } : database,
    logLevel: v.LOG_LEVEL,
    logFormat: v.LOG_FORMAT,
    targetEnvironments: v.TARGET_ENVIRONMENTS,
    rateLimit: v.RATE_LIMIT,
    authFailureLimit: v.AUTH_FAILURE_LIMIT,
    redisUrl: v.REDIS_URL,
    trustProxy: v.TRUST_PROXY,
    auditRetentionDays: v.AUDIT_RETENTION_DAYS,
  };
}

/** What `ringmaster groups` reads from the environment (its flags override each). */
export function loadClientSettings(env: NodeJS.ProcessEnv = process.env) {
  const v = readVariables(env, 'groups', { stdoutIsTty: false }) as Values;
  return {
    baseUrl: v.CLOUDFLARE_BASE_URL,
    apiToken: v.CLOUDFLARE_API_TOKEN,
    accountId: v.CLOUDFLARE_ACCOUNT_ID,
  };
}

function oneOf<const T extends readonly string[]>(choices: T, text: string): T[number] | undefined {
  return choices.includes(text) ? (text as T[number]) : undefined;
}

function rateLimit(name: string, text: string): RateLimit | Invalid {
  const limit = parseRateLimit(text);
  return typeof limit === 'string' ? new Invalid(`${name} ${limit}`) : limit;
}

// A host name label (RFC 1123): letters, digits and inner hyphens, at most 63 characters.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** An IP literal, or a host name whose last label is not all digits (`256.1.1.1` is neither). */
function parseHost(text = ''): string | Invalid {
  if (isIP(text) !== 0) return text;
  const labels = text.replace(/\.$/, '').split('.');
  const hostname =
    text.length <= 253 && labels.every((label) => LABEL.test(label)) && !/^\d+$/.test(labels.at(-1) ?? '');
  if (hostname) return text;
  return new Invalid(
    `HOST must be an IP address (e.g. 127.0.0.1, 0.0.0.0, ::) or a host name, got ${quoted(text)}`,
  );
}

function parseTargetEnvironments(text = ''): string[] | Invalid {
  const environments = text.split(',').map((e) => e.trim());
  if (environments.some((e) => !/^[a-z][a-z0-9_-]{0,31}$/.test(e))) {
    return new Invalid(
      `TARGET_ENVIRONMENTS must be a comma-separated list of lowercase names, got ${quoted(text)}`,
    );
  }
  const repeated = environments.filter((e, i) => environments.indexOf(e) !== i);
  if (repeated.length > 0) {
    return new Invalid(`TARGET_ENVIRONMENTS names ${[...new Set(repeated)].join(', ')} more than once`);
  }
  return environments;
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

/** The default as the help and README show it. */
export function defaultText(spec: Variable): string {
  return spec.defaultText ?? `\`${spec.default}\``;
}

/** README's configuration table, rendered from VARIABLES (test/config.test.ts checks README holds it). */
export function variablesMarkdown(): string {
  const rows = Object.entries(VARIABLES).map(([name, spec]: [string, Variable]) => {
    const see = spec.see ? ` — see [${spec.see}](${spec.see})` : '';
    return `| \`${name}\` | ${defaultText(spec)} | ${spec.description}${see} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The environment section of `ringmaster --help`, rendered from VARIABLES. */
export function variablesHelp(): string {
  const plain = (text: string) => text.replaceAll('`', '');
  return Object.entries(VARIABLES)
    .map(([name, spec]: [string, Variable]) => {
      const see = spec.see ? ` (see ${spec.see})` : '';
      return `  ${name} (default: ${plain(defaultText(spec))})\n      ${plain(spec.description)}${see}`;
    })
    .join('\n');
}
