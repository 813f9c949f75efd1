// The one way a store tells its readers that deployment groups changed (the version targets of
// docs/contract.md §8.4 are served from memory and refreshed by it). A backend announces its own writes
// as soon as they commit, with their account, and other processes' writes as it learns of them: SQLite
// by looking at `PRAGMA data_version` (other-commits.ts), PostgreSQL by LISTEN on the notification its trigger sends.

/**
 * An account whose groups changed, or null: some account may have changed (look at every one). `full`:
 * an import of this process, which may restore the same revisions with other contents (read everything).
 */
export type GroupChangeListener = (accountId: string | null, full: boolean) => void;

export class ChangeFeed {
  private readonly listeners = new Set<GroupChangeListener>();

  get watched(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: GroupChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(accountId: string | null, full = false): void {
    for (const listener of this.listeners) listener(accountId, full);
  }

  /** `write`, announcing `accountId` once it has settled (committed, or failed: a reload is harmless). */
  after<T>(accountId: string | null, write: Promise<T>, full = false): Promise<T> {
    return write.finally(() => this.emit(accountId, full));
  }
}

/**
 * What changes whenever any group of an account does — created, changed, reverted or deleted: the number
 * of its groups, the sum of their revisions and their latest updated_at, as text. Readers compare it with
 * the one of what they hold, as the periodic check behind the notifications.
 */
export function groupFingerprint(groups: number, revisions: number, latest: string | null): string {
  return `${groups}:${revisions}:${latest ?? ''}`;
}
