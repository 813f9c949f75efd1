// Other processes' commits: the one place a store learns that what it holds in memory from the database may
// be out of date. A SQLite store holds found credentials and groups' wire JSON (wire-cache.ts) and tells
// its change feed; a PostgreSQL store holds found credentials. Another process's commit (`ringmaster tokens
// revoke`, `ringmaster db import`, another replica) is acted on within OTHERS_SEEN_WITHIN_MS
// (docs/contract.md §5 and §6, docs/decisions/0004 and 0014):
// - with a change marker (SQLite: `PRAGMA data_version`, which moves whenever another connection commits),
//   by reading it at most once per that bound, on use and from the feed's timer: the PRAGMA begins a read
//   transaction, whose locks were 13 % of a GET's CPU when read on every request;
// - without one (PostgreSQL: other replicas' commits leave no marker this process can read for free), by
//   counting every look past the bound as a commit: what is held is dropped at least that often.
// This store's own commits need none of this: it drops or announces what they change at once.

/** How soon this process acts on another process's commit: revocations, reads, the change feed (SQLite). */
export const OTHERS_SEEN_WITHIN_MS = 100;

export class OtherCommits {
  private readonly listeners: (() => void)[] = [];
  private seen: unknown;
  private lookedAt = Number.NEGATIVE_INFINITY;

  /**
   * `marker`: a value that differs whenever another connection has committed since it was last read;
   * null: none. `clock`: milliseconds, monotonic (tests move it).
   */
  constructor(
    private readonly marker: (() => unknown) | null,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.seen = marker?.();
  }

  /** Calls `listener` on every commit of another process seen (drop what is held, announce it). */
  onCommit(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Looks for another process's commit, unless it looked less than OTHERS_SEEN_WITHIN_MS ago. */
  look(): void {
    const now = this.clock();
    if (now - this.lookedAt < OTHERS_SEEN_WITHIN_MS) return;
    this.lookedAt = now;
    const seen = this.marker ? this.marker() : Symbol();
    if (seen === this.seen) return;
    this.seen = seen;
    for (const listener of this.listeners) listener();
  }
}
