// Retention (docs/contract.md §8.2, docs/decisions/0011-change-control.md): audit entries older than
// AUDIT_RETENTION_DAYS and idempotency keys older than a day are deleted in batches of at most
// PRUNE_BATCH rows, each its own short transaction, yielding to the event loop between batches, so that
// pruning a large backlog never holds the database (or SQLite's one connection) for long.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { formatTimestamp, NANOS_PER_DAY, nowNanos } from '../clock.ts';
import { IDEMPOTENCY_KEY_DAYS } from '../deployment-groups/service.ts';
import type { Store } from '../store/store.ts';

export const PRUNE_BATCH = 1_000;
/** How often the server prunes; a day's backlog at any realistic write rate is a few batches. */
export const PRUNE_INTERVAL_MS = 60_000;

export interface Pruned {
  auditEntries: number;
  idempotencyKeys: number;
}

/** Deletes everything past its retention, batch by batch, as of the clock's now. */
export async function pruneOnce(store: Store, retentionDays: number): Promise<Pruned> {
  const now = nowNanos();
  const before = (days: number) => formatTimestamp(now - BigInt(days) * NANOS_PER_DAY);
  return {
    auditEntries: await drain((limit) => store.pruneAuditLog(before(retentionDays), limit)),
    idempotencyKeys: await drain((limit) => store.pruneIdempotencyKeys(before(IDEMPOTENCY_KEY_DAYS), limit)),
  };
}

async function drain(batch: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await batch(PRUNE_BATCH);
    total += deleted;
    if (deleted < PRUNE_BATCH) return total;
    // Requests queued meanwhile go first.
    await nextTurn();
  }
}

/** Prunes every `intervalMs` until stopped; a failure (database down) is logged and retried next time. */
export function startPruning(
  store: Store,
  retentionDays: number,
  log: FastifyBaseLogger,
  intervalMs = PRUNE_INTERVAL_MS,
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = pruneOnce(store, retentionDays).then(
      (pruned) => {
        if (pruned.auditEntries + pruned.idempotencyKeys > 0) log.info({ pruned }, 'pruned audit log');
      },
      (error: unknown) => log.warn({ err: error }, 'pruning the audit log failed; retrying later'),
    );
  }, intervalMs);
  // Never what keeps the process alive.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
