// PostgreSQL's and the driver's errors, classified: connection-class failures (the database is down,
// unreachable, full or out of slots) become StoreUnavailableError (503); deadlocks are retried.
import { StoreUnavailableError } from '../store.ts';

/** Node socket errors that mean the server cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** pg's own errors for a connection that failed, timed out, was closed, or a pool that was ended. */
const DRIVER_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|timeout expired|not queryable|Query read timeout|Cannot use a pool after calling end/i;

/** Connection-class failures: the database is down, restarting, unreachable, full or out of slots. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // 08: connection exception; 53: insufficient resources (53300 too many connections, disk full);
    // 57P01-03: admin shutdown, crash shutdown, cannot connect now (starting up, recovery).
    if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
  }
  if (DRIVER_MESSAGES.test(error.message)) return true;
  return error.cause !== undefined && isConnectionError(error.cause);
}

/** Deadlock or serialization failure: the transaction can run again from the start. */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

export function translate(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  return isConnectionError(error) ? new StoreUnavailableError(error) : error;
}

/** Why the database at `url` (already redacted) could not be opened or migrated. */
export function explainOpenError(error: unknown, url: string): Error {
  // A host with several addresses fails with an AggregateError, whose message is empty.
  const reason =
    (error instanceof Error && (error.message || (error as { code?: string }).code)) || String(error);
  return new Error(`cannot open the PostgreSQL database ${url}: ${reason}`, { cause: error });
}
