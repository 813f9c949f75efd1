// Other processes' group writes, as PostgreSQL announces them: migration 006's trigger sends
// NOTIFY ringmaster_groups '<account_id>' inside every writing transaction, delivered on COMMIT to every
// session that LISTENs. One dedicated connection per process listens (a pooled one cannot: the pool
// hands it to requests). Notifications are reliable while that connection lives; when it breaks, it is
// opened again and every account is announced as possibly changed, since some may have been missed.
import pg from 'pg';
import type { ChangeFeed } from '../changes.ts';

export const GROUPS_CHANNEL = 'ringmaster_groups';
/** How long to wait before listening again after the connection broke. */
const RECONNECT_MS = 250;

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
    client.on('notification', ({ payload }) => this.feed.emit(payload ?? null));
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
    if (reconnecting) this.feed.emit(null);
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
