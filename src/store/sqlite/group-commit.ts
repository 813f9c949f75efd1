// Group commit (docs/decisions/0003-sqlite-durability.md): every write that arrives while the event loop
// is busy is queued; on the next turn one IMMEDIATE transaction runs them all, each inside its own
// savepoint, so that one request's failure (a 409, say) rolls back only that request, and one fsync
// covers the whole group. Every promise settles after the COMMIT.
import type { Database, Statement } from 'better-sqlite3';
import { translate } from './errors.ts';

interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private pending: PendingWrite[] = [];
  /** While work holds the connection's transaction (an import), queued writes wait for it to finish. */
  private paused = false;
  /**
   * Moves whenever this connection may have changed the database: each group (before its BEGIN) and each
   * exclusive piece of work (before and after). While it stays, nothing of this process's was written
   * (the read cache of store/wire-cache.ts relies on it; others' commits move `PRAGMA data_version`).
   */
  stamp = 0;

  /** The transaction's statements, prepared once: db.exec() parses its text on every call (two a write). */
  private readonly sql: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit', Statement>;

  constructor(private readonly db: Database) {
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      savepoint: db.prepare('SAVEPOINT request'),
      release: db.prepare('RELEASE request'),
      rollbackTo: db.prepare('ROLLBACK TO request'),
      commit: db.prepare('COMMIT'),
    };
  }

  /** Queues `run` for the next group; resolves to its result once the group is committed. */
  write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Commits what is queued, then keeps further writes queued until `work` has finished. */
  async exclusively<T>(work: () => Promise<T>): Promise<T> {
    this.flush();
    this.paused = true;
    this.stamp += 1;
    try {
      return await work();
    } finally {
      this.stamp += 1;
      this.paused = false;
      if (this.pending.length > 0) setImmediate(() => this.flush());
    }
  }

  flush(): void {
    const batch = this.pending;
    if (batch.length === 0 || this.paused) return;
    this.pending = [];
    this.stamp += 1;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.sql.begin.run();
      for (const write of batch) {
        this.sql.savepoint.run();
        try {
          outcomes.push({ ok: true, value: write.run() });
          this.sql.release.run();
        } catch (error) {
          // On some errors (SQLITE_FULL, SQLITE_IOERR…) SQLite rolls the whole transaction back by itself:
          // every write of the batch is gone, so the batch fails as one, with that error.
          if (!this.db.inTransaction) throw error;
          this.sql.rollbackTo.run();
          this.sql.release.run();
          outcomes.push({ ok: false, value: error });
        }
      }
      this.sql.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      const failure = translate(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as { ok: boolean; value: unknown };
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(translate(outcome.value));
    });
  }
}
