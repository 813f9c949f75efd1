// Opening the scale-out backend: a `pg` pool with the timeouts a request may wait (docs/deployment.md,
// "Pool sizing"), in pipeline mode, migrated before it is handed out.
import pg from 'pg';
import { redactUrl } from '../../config.ts';
import { explainOpenError } from './errors.ts';
import { migrate } from './migrate.ts';
import { trackOwnBackends } from './notifications.ts';

export const DEFAULT_POOL_SIZE = 10;
/** How long a request waits for a connection (new or from the busy pool) before it is answered 503. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/**
 * How long a request's statement may wait for its answer. A database that stops answering without
 * closing the connection (a network partition) would otherwise hold the request until TCP gives up.
 */
export const QUERY_TIMEOUT_MS = 10_000;
/** The longest a connection may sit inside a transaction without sending anything. */
const IDLE_IN_TRANSACTION_MS = 60_000;

export interface PostgresStoreOptions {
  /** postgres:// or postgresql:// connection string. */
  url: string;
  /** Connections this process may hold at most (DATABASE_POOL_SIZE). */
  poolSize?: number;
  connectionTimeoutMillis?: number;
  queryTimeoutMillis?: number;
}

/** Opens the pool and applies pending migrations (under the advisory lock). */
export async function openPostgresPool({
  url,
  poolSize = DEFAULT_POOL_SIZE,
  connectionTimeoutMillis = CONNECTION_TIMEOUT_MS,
  queryTimeoutMillis = QUERY_TIMEOUT_MS,
}: PostgresStoreOptions): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis,
    // Client-side: on expiry pg closes the connection (the pool drops it) and the request gets a 503.
    query_timeout: queryTimeoutMillis,
    // Server-side: a replica that stalls inside a transaction (frozen, not dead) cannot hold a group's
    // row lock for more than this; PostgreSQL ends its session. Export and import lift it for themselves.
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    pipeline: true,
    application_name: 'ringmaster',
  });
  // An idle connection that dies (server restart, network) is dropped by the pool and reported here;
  // without a listener the process would crash. The next request simply opens a new connection.
  pool.on('error', () => {});
  // The same for a connection that dies while checked out: the error also reaches its pending queries.
  pool.on('connect', (client) => client.on('error', () => {}));
  // Which notifications are this process's own writes (notifications.ts).
  trackOwnBackends(pool);
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw explainOpenError(error, redactUrl(url));
  }
  return pool;
}
