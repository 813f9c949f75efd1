// Prometheus metrics (prom-client), served at /metrics: HTTP requests by route and status, request and store
// latency histograms, PostgreSQL pool use, and the process's own metrics. One registry per app.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/store.ts';
import { VERSION } from '../version.ts';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface Metrics {
  registry: Registry;
  /** Wraps every Store method so its latency is observed, whatever the backend. */
  instrument(store: Store): Store;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // The Prometheus convention for build facts: a constant 1 whose labels carry them.
  new Gauge({
    name: 'ringmaster_build_info',
    help: 'The running build: its version and Node.js version, as labels; the value is always 1.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  }).set({ version: VERSION, node_version: process.versions.node }, 1);
  const storeDuration = new Histogram({
    name: 'ringmaster_store_duration_seconds',
    help: 'Store operation latency, by operation and outcome.',
    labelNames: ['operation', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    instrument(store) {
      // One wrapper per method, made once: the store is called on every request.
      const timed = Object.create(store) as Store;
      for (const operation of storeMethods(store)) {
        const method = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[operation];
        if (!method) continue;
        const ok = lazyChild(storeDuration, operation, 'ok');
        const failed = lazyChild(storeDuration, operation, 'error');
        Object.defineProperty(timed, operation, {
          value: (...args: unknown[]) => {
            const start = performance.now();
            const result = method.apply(store, args);
            if (!(result instanceof Promise)) {
              ok().observe((performance.now() - start) / 1000);
              return result;
            }
            return result.then(
              (value) => {
                ok().observe((performance.now() - start) / 1000);
                return value;
              },
              (error) => {
                failed().observe((performance.now() - start) / 1000);
                throw error;
              },
            );
          },
        });
      }
      return timed;
    },
  };
}

/** The store's own methods (walking its prototype chain), without the constructor. */
function storeMethods(store: Store): string[] {
  const names = new Set<string>();
  for (
    let proto = Object.getPrototypeOf(store);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (
        name !== 'constructor' &&
        typeof (store as unknown as Record<string, unknown>)[name] === 'function'
      ) {
        names.add(name);
      }
    }
  }
  return [...names];
}

/**
 * The child of `metric` for one label set, made on first use (a series appears once it has a value):
 * prom-client otherwise hashes the label object on every call (a measured few % of a GET).
 */
function lazyChild<T extends Counter<string> | Histogram<string>>(metric: T, ...labelValues: string[]) {
  let child: ReturnType<T['labels']> | undefined;
  return (): ReturnType<T['labels']> => {
    child ??= metric.labels(...labelValues) as ReturnType<T['labels']>;
    return child;
  };
}

/**
 * Request metrics for every response, counted by route pattern (not the URL: account and group IDs must
 * not explode the label set). Call before any route is registered: each route gets its own onResponse
 * hook, its labels made once.
 */
export function registerRequestMetrics(app: FastifyInstance, { registry }: Metrics): void {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'ringmaster_http_requests_total',
    help: 'HTTP requests, by method, route pattern and status.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ringmaster_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status.',
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const recorder = (route: string) => {
    const byStatus = new Map<string, { count: Counter.Internal; time: Histogram.Internal<string> }>();
    return (method: string, status: number, seconds: number) => {
      const key = `${method} ${status}`;
      let children = byStatus.get(key);
      if (!children) {
        const labels = [method, route, String(status)];
        children = { count: requests.labels(...labels), time: duration.labels(...labels) };
        byStatus.set(key, children);
      }
      children.count.inc();
      children.time.observe(seconds);
    };
  };
  app.addHook('onRoute', (route) => {
    const record = recorder(route.url);
    route.onResponse = [
      ...[route.onResponse ?? []].flat(),
      (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        record(request.method, reply.statusCode, reply.elapsedTime / 1000);
        done();
      },
    ];
  });
  // Requests that match no route (404) have no route hooks.
  const unmatched = recorder('unmatched');
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched(request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/** GET /metrics in the Prometheus text format, and the PostgreSQL pool's gauge. */
export function registerMetrics(app: FastifyInstance, { registry }: Metrics, store: Store): void {
  if (store.poolStats) {
    const poolStats = store.poolStats.bind(store);
    new Gauge({
      name: 'ringmaster_db_pool_connections',
      help: 'PostgreSQL pool connections, by state (total, idle, waiting requests).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const stats = poolStats();
        for (const [state, value] of Object.entries(stats)) this.set({ state }, value);
      },
    });
  }

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
