// buildApp() wires everything and never listens: tests inject requests into it, server.ts listens.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { startPruning } from './audit/retention.ts';
import { registerAuditLogRoutes } from './audit/routes.ts';
import { AuditLogService } from './audit/service.ts';
import { type Config, DEFAULT_AUDIT_RETENTION_DAYS } from './config.ts';
import { ChangeControl } from './deployment-groups/change-control.ts';
import { registerChangeControlRoutes } from './deployment-groups/change-control-routes.ts';
import { registerDeploymentGroupRoutes } from './deployment-groups/routes.ts';
import { DeploymentGroupService } from './deployment-groups/service.ts';
import { ApiError } from './errors.ts';
import { registerHealthRoutes } from './health/routes.ts';
import { authenticate } from './http/auth.ts';
import { bodyCheck, dropEmptyBodyType, registerBodyParsing } from './http/body.ts';
import { clientAddressTrust } from './http/client-address.ts';
import { registerDraining } from './http/draining.ts';
import { registerErrorHandler, sendError } from './http/error-handler.ts';
import { deferExpectations, refuseUnmetExpectation } from './http/expect.ts';
import { clientErrorHandler, LIMITS, type Limits, refuseConnect } from './http/limits.ts';
import { registerNotFound } from './http/not-found.ts';
import { type Counters, MemoryCounters, RateLimiter } from './http/rate-limit.ts';
import { newRayId } from './http/ray.ts';
import { RequestLog } from './http/request-log.ts';
import { validatorCompiler } from './http/validation.ts';
import { createMetrics, registerMetrics, registerRequestMetrics } from './metrics/metrics.ts';
import { registerOpenApi } from './openapi/routes.ts';
import { registerRolloutRoutes } from './rollouts/routes.ts';
import { ROLLOUT_TICK_MS, startRolloutScheduler } from './rollouts/scheduler.ts';
import { RolloutService } from './rollouts/service.ts';
import type { Store } from './store/store.ts';
import type { TestMode } from './testing/mode.ts';
import { registerTestingRoutes } from './testing/routes.ts';
import { registerAccessRoutes } from './tokens/access-routes.ts';
import { registerTokenRoutes } from './tokens/routes.ts';
import { TokenService } from './tokens/service.ts';
import { VERSION } from './version.ts';
import { TargetsCache } from './version-targets/cache.ts';
import { registerVersionTargetRoutes } from './version-targets/routes.ts';
import { registerWebRoutes } from './web/routes.ts';

export interface AppOptions {
  config: Pick<Config, 'logLevel' | 'targetEnvironments' | 'rateLimit' | 'authFailureLimit'> &
    Partial<Pick<Config, 'trustProxy' | 'auditRetentionDays'>>;
  store: Store;
  /** Where rate-limit counts live (Redis when replicas share them); in this process by default. */
  counters?: Counters;
  /** A pino logger; defaults to JSON lines on stdout at `config.logLevel`. */
  logger?: FastifyBaseLogger;
  /** Overrides of the client limits, for tests that cannot wait out the real timeouts. */
  limits?: Partial<Limits>;
  /**
   * Test mode (docs/contract.md §8.6): its journal, fault rules and control routes. Only the code that
   * builds the app can switch it on; no request can.
   */
  testMode?: TestMode;
  /** How often the rollout scheduler ticks (tests: long, and they tick it themselves). */
  rolloutTickMs?: number;
}

export function buildApp({
  config,
  store: untimedStore,
  logger,
  counters = new MemoryCounters(),
  limits: overrides,
  testMode,
  rolloutTickMs = ROLLOUT_TICK_MS,
}: AppOptions): FastifyInstance {
  const limits: Limits = { ...LIMITS, ...overrides };
  const metrics = createMetrics();
  const store = metrics.instrument(untimedStore);
  const app = Fastify({
    loggerInstance: logger ?? pino({ level: config.logLevel }),
    genReqId: newRayId,
    trustProxy: clientAddressTrust(config.trustProxy ?? false),
    logController: new RequestLog(),
    bodyLimit: limits.bodyBytes,
    http: {
      maxHeaderSize: limits.headerBytes,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      // Node would answer a missing Host with a bare 400; the onRequest hook below sends the envelope.
      requireHostHeader: false,
    },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    routerOptions: { maxParamLength: limits.maxParamLength },
    clientErrorHandler,
    // While closing, http/draining.ts answers with the 503 envelope instead.
    return503OnClosing: false,
    frameworkErrors: sendError,
  });
  app.server.headersTimeout = limits.headersTimeoutMs;
  app.server.maxConnections = limits.maxConnections;
  refuseConnect(app.server);
  deferExpectations(app.server);
  app.setValidatorCompiler(validatorCompiler());
  registerBodyParsing(app);

  registerRequestHooks(app, store, config, counters, testMode);
  registerRequestMetrics(app, metrics);

  const targets = startBackgroundWork(app, untimedStore, store, config, rolloutTickMs);

  registerErrorHandler(app);
  registerNotFound(app);
  registerOpenApi(app, VERSION);
  registerMetrics(app, metrics, untimedStore);
  registerWebRoutes(app);
  // Routes are registered once the OpenAPI plugin has loaded, so that it sees every one of them.
  app.register(async (api) => {
    registerHealthRoutes(api, store);
    registerTokenRoutes(api);
    registerAccessRoutes(api);
    const groups = new DeploymentGroupService(store);
    registerDeploymentGroupRoutes(api, groups, config.targetEnvironments);
    registerChangeControlRoutes(api, new ChangeControl(store, groups, config.targetEnvironments));
    registerAuditLogRoutes(api, new AuditLogService(store));
    registerRolloutRoutes(api, new RolloutService(store), config.targetEnvironments);
    registerVersionTargetRoutes(api, targets, config.targetEnvironments);
    if (testMode) registerTestingRoutes(api, testMode, testMode.state(store), config.targetEnvironments);
  });
  return app;
}

/**
 * The hooks every request passes before its handler, in order: the fixed headers and protocol checks,
 * test mode's, the drain's 503, then each route's authentication and body check. All synchronous,
 * callback-style: no promise and microtask turn each.
 */
function registerRequestHooks(
  app: FastifyInstance,
  store: Store,
  config: AppOptions['config'],
  counters: Counters,
  testMode: TestMode | undefined,
): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('cf-ray', request.id);
    // API answers are per-credential: never cached by a shared cache, never sniffed as another type.
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new ApiError('malformedRequest');
    }
    refuseUnmetExpectation(request);
    // Unknown routes take no body: no route hook below runs for them (checkBody's first half).
    if (request.is404) dropEmptyBodyType(request);
    done();
  });
  testMode?.register(app);
  registerDraining(app);
  // Authentication, then the body check, as each route's own first hooks: what a route needs is read once,
  // when it is registered, not on every request.
  const authenticateFor = authenticate({
    tokens: new TokenService(store),
    failures: new RateLimiter(counters, config.authFailureLimit, 'auth-failures', app.log),
    requests: config.rateLimit && new RateLimiter(counters, config.rateLimit, 'default', app.log),
  });
  const routeHooks = new WeakSet<object>();
  app.addHook('onRoute', (route) => {
    // Fastify may pass one route's options here twice (a prefix's `/` with and without its slash).
    const own = [route.onRequest ?? []].flat().filter((hook) => !routeHooks.has(hook));
    const required = route.config?.auth;
    const hooks = [
      ...(required === undefined ? [] : [authenticateFor(required)]),
      bodyCheck(route.schema?.body !== undefined),
    ];
    for (const hook of hooks) routeHooks.add(hook);
    route.onRequest = [...hooks, ...own];
  });
}

/**
 * What every process runs beside the requests, each stopped when the app closes: audit retention, the
 * rollout scheduler, and the version targets held in memory (returned: the routes read them).
 */
function startBackgroundWork(
  app: FastifyInstance,
  untimedStore: Store,
  store: Store,
  config: AppOptions['config'],
  rolloutTickMs: number,
): TargetsCache {
  const pruning = startPruning(
    untimedStore,
    config.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS,
    app.log,
  );
  app.addHook('onClose', () => pruning.stop());
  // Every process runs the scheduler; the store makes each stage apply once (ADR 0013).
  const scheduler = startRolloutScheduler(untimedStore, app.log, rolloutTickMs);
  app.decorate('rolloutScheduler', scheduler);
  app.addHook('onClose', () => scheduler.stop());
  // Version targets are served from memory, refreshed by the store's change feed (docs/contract.md §8.4).
  const targets = new TargetsCache(store);
  targets.start();
  app.addHook('onClose', () => targets.stop());
  return targets;
}
