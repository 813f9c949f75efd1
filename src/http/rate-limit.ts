// Rate limiting with Cloudflare's behaviour (docs/contract.md §7; developers.cloudflare.com/fundamentals/api/
// reference/limits): a fixed window per key ("1200 requests per five minutes per user; past it, calls are
// blocked until the window ends"), the IETF-draft `Ratelimit` / `Ratelimit-Policy` headers, and 429 code 971
// with `Retry-After`. Windows are aligned to the epoch, so replicas sharing counters in Redis agree on them.
import type { FastifyBaseLogger } from 'fastify';
import { redactUrl } from '../config.ts';

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** "1200/5m" → { limit: 1200, windowSeconds: 300 }; a string result is the problem found. */
export function parseRateLimit(text: string): RateLimit | string {
  const match = /^([1-9]\d{0,8})\/([1-9]\d{0,5})?([smh])$/.exec(text.trim());
  if (!match) return `must look like <count>/<window>, e.g. 1200/5m or 10/1s, got ${JSON.stringify(text)}`;
  const [, count, amount, unit] = match as unknown as [string, string, string | undefined, string];
  return { limit: Number(count), windowSeconds: Number(amount ?? 1) * (UNIT_SECONDS[unit] as number) };
}

/** Where counts live: this process, or Redis for counters shared by every replica. */
export interface Counters {
  /** Adds one to the key's count (a key names one window) and returns the new count. */
  increment(key: string, windowMs: number): Promise<number>;
  close(): Promise<void>;
}

export class MemoryCounters implements Counters {
  private windows = new Map<string, number>();
  private windowStart = 0;

  async increment(key: string, windowMs: number): Promise<number> {
    // Keys embed their window start; drop every count once no key of an older window can be asked for.
    const start = Math.floor(Date.now() / windowMs) * windowMs;
    if (start > this.windowStart) {
      this.windowStart = start;
      this.windows = new Map([...this.windows].filter(([k]) => k.endsWith(`:${start}`)));
    }
    const count = (this.windows.get(key) ?? 0) + 1;
    this.windows.set(key, count);
    return count;
  }

  async close(): Promise<void> {}
}

export interface Decision {
  allowed: boolean;
  remaining: number;
  /** Seconds until the window resets, rounded up. */
  resetSeconds: number;
}

export class RateLimiter {
  constructor(
    private readonly counters: Counters,
    private readonly rule: RateLimit,
    /** The policy name in the headers and the counter keys' prefix. */
    private readonly name: string,
    private readonly log?: FastifyBaseLogger,
  ) {}

  /** Counts one request for `key` and decides. */
  async check(key: string): Promise<Decision> {
    const windowMs = this.rule.windowSeconds * 1000;
    const now = Date.now();
    const start = Math.floor(now / windowMs) * windowMs;
    let count: number;
    try {
      count = await this.counters.increment(`${this.name}:${key}:${start}`, windowMs);
    } catch (error) {
      // Fail open: a counter outage must not take the API down with it. The counters report the outage
      // themselves, once per interval; a line per request would flood the log exactly when it matters.
      this.log?.debug(
        { error: (error as Error).message },
        'rate limit counters unavailable; allowing the request',
      );
      count = 0;
    }
    const allowed = count <= this.rule.limit;
    const remaining = Math.max(0, this.rule.limit - count);
    const resetSeconds = Math.max(1, Math.ceil((start + windowMs - now) / 1000));
    return { allowed, remaining, resetSeconds };
  }

  /** The IETF-draft headers Cloudflare sends, and `Retry-After` when refused. */
  headers({ allowed, remaining, resetSeconds }: Decision): Record<string, string> {
    return {
      ratelimit: `"${this.name}";r=${remaining};t=${resetSeconds}`,
      'ratelimit-policy': `"${this.name}";q=${this.rule.limit};w=${this.rule.windowSeconds}`,
      ...(allowed ? {} : { 'retry-after': String(resetSeconds) }),
    };
  }
}

/** How often, at most, an unreachable Redis is reported while it stays unreachable. */
export const REDIS_WARNING_INTERVAL_MS = 60_000;

/**
 * Counters in Redis, shared by every replica: INCR and PEXPIRE in one MULTI per counted request. The client
 * connects, and reconnects, in the background: a server whose Redis is unreachable starts all the same,
 * its limiters fail open (commands fail at once rather than queue), and the outage is logged once per
 * interval as one line (no stack), not once per request or reconnection attempt.
 */
export class RedisCounters implements Counters {
  private lastWarning = Number.NEGATIVE_INFINITY;
  private unavailable = false;
  private markConnected = () => {};
  /** Resolves once the client is connected (the first time); the server never waits for it. */
  readonly connected = new Promise<void>((resolve) => {
    this.markConnected = resolve;
  });

  private constructor(
    private readonly client: RedisClient,
    private readonly url: string,
    private readonly log?: FastifyBaseLogger,
    private readonly warningIntervalMs = REDIS_WARNING_INTERVAL_MS,
  ) {}

  static async connect(
    url: string,
    log?: FastifyBaseLogger,
    warningIntervalMs = REDIS_WARNING_INTERVAL_MS,
  ): Promise<RedisCounters> {
    const { createClient } = await import('@redis/client');
    const client = createClient({
      url,
      // Don't queue commands while disconnected: fail fast, and the limiter fails open.
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(retries * 200, 2000) },
    });
    const counters = new RedisCounters(client as unknown as RedisClient, url, log, warningIntervalMs);
    client.on('error', (error: Error) => counters.warn(error));
    client.on('ready', () => counters.recovered());
    // Not awaited: the reconnect strategy retries for ever, and the server must not wait for it.
    client.connect().catch((error: Error) => counters.warn(error));
    return counters;
  }

  async increment(key: string, windowMs: number): Promise<number> {
    try {
      const [count] = await this.client.multi().incr(key).pExpire(key, windowMs).exec();
      return Number(count);
    } catch (error) {
      this.warn(error as Error);
      throw error;
    }
  }

  private warn(error: Error): void {
    this.unavailable = true;
    const now = Date.now();
    if (now - this.lastWarning < this.warningIntervalMs) return;
    this.lastWarning = now;
    this.log?.warn(
      { redis: redactUrl(this.url), error: error.message || error.name },
      'redis unavailable: rate limits are not enforced (failing open); reconnecting in the background',
    );
  }

  private recovered(): void {
    this.markConnected();
    if (this.unavailable)
      this.log?.info({ redis: redactUrl(this.url) }, 'redis reachable again: rate limits enforced');
    this.unavailable = false;
    this.lastWarning = Number.NEGATIVE_INFINITY;
  }

  async close(): Promise<void> {
    if (this.client.isReady) await this.client.close();
    else this.client.destroy();
  }
}

/** The few commands used, so the client's large generic types stay out of this file. */
interface RedisClient {
  multi(): {
    incr(key: string): ReturnType<RedisClient['multi']>;
    pExpire(key: string, ms: number): ReturnType<RedisClient['multi']>;
    exec(): Promise<unknown[]>;
  };
  readonly isReady: boolean;
  close(): Promise<void>;
  destroy(): void;
}
