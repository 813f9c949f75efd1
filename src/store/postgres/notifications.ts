// Other processes' group writes, as PostgreSQL announces them: migration 006's trigger sends
// NOTIFY ringmaster_groups '<account_id>' inside every writing transaction, delivered on COMMIT to every
// session that LISTENs. One dedicated connection per process listens (a pooled one cannot: the pool
// hands it to requests). Notifications are reliable while that connection lives; when it breaks, it is
// opened again and every account is announced as possibly changed, since some may have been missed.
// An import also sends an empty payload (NOTIFY_IMPORTED): load everything held again.
// This process's own writes are announced by the store as they commit, so their notifications — sent by
// one of the pool's own backends — are ignored.
import pg from 'pg';
import type { ChangeFeed } from '../changes.ts';

export const GROUPS_CHANNEL = 'ringmaster_groups';
/** How long to wait before listening again after the connection broke. */
const RECONNECT_MS = 250;

/** The backend process IDs of each pool's connections: whose notifications are this process's own. */
const ownBackends = new WeakMap<pg.Pool, Set<number>>();

/** Call before the pool opens its first connection (open.ts does, before migrating). */
export function trackOwnBackends(pool: pg.Pool): void {
  const backends = new Set<number>();
  ownBackends.set(pool, backends);
  const pid = (client: pg.PoolClient) => (client as unknown as { processID?: number }).processID;
  pool.on('connect', (client) => {
    const id = pid(client);
    if (id !== undefined) backends.add(id);
  });
  pool.on('remove', (client) => {
    const id = pid(client);
    if (id !== undefined) backends.delete(id);
  });
}

export class GroupNotifications {
  private client: pg.Client | undefined;
  private running = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly feed: ChangeFeed,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.listen(false);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(reconnecting: boolean): Promise<void> {
    // The pool's own connection settings (URL, timeouts), without its pipeline mode or size.
    const { connectionString, connectionTimeoutMillis } = this.pool.options;
    const client = new pg.Client({ connectionString, connectionTimeoutMillis, keepAlive: true });
    const own = ownBackends.get(this.pool);
    client.on('notification', ({ processId, payload }) => {
      // An empty payload: an import (NOTIFY_IMPORTED in statements.ts), load everything again.
      if (!own?.has(processId)) this.feed.emit(payload || null, !payload);
    });
    client.on('error', () => this.broken(client));
    client.on('end', () => this.broken(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${GROUPS_CHANNEL}`);
    } catch {
      this.broken(client);
      return;
    }
    if (!this.running) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    // What was missed meanwhile may have been an import.
    if (reconnecting) this.feed.emit(null, true);
  }

  private broken(client: pg.Client): void {
    if (this.client !== undefined && this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (!this.running || this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.running) void this.listen(true);
    }, RECONNECT_MS).unref();
  }
}
