// The credentials a store has found by secret hash, kept in memory so that an authenticated request need
// not read the credential again. What another process commits (`ringmaster tokens revoke`, `db import`)
// is noticed by the store's change marker (SQLite: `PRAGMA data_version`), read at most once every
// CREDENTIAL_RECHECK_MS rather than on every request; a store without one (PostgreSQL: the other
// replicas' commits leave no marker this process can read for free) drops everything every
// CREDENTIAL_RECHECK_MS instead. Either way a revocation takes effect within that bound on every replica
// (docs/contract.md §6, docs/decisions/0004-credentials.md). Only found credentials are kept; an unknown
// secret is looked up every time, so a new credential works on its first use.
import type { Credential } from '../tokens/model.ts';

/** How stale a cached credential may be: the bound on a revocation made in another process. */
export const CREDENTIAL_RECHECK_MS = 100;

export class CredentialCache {
  private readonly found = new Map<string, Credential>();
  private version: unknown;
  private checkedAt = Number.NEGATIVE_INFINITY;

  /**
   * `changeMarker`: a value that differs whenever another connection has committed since it was last read;
   * null: none, every recheck drops everything. `clock`: milliseconds, monotonic (tests move it).
   */
  constructor(
    private readonly changeMarker: (() => unknown) | null,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get(secretHash: string): Credential | undefined {
    const now = this.clock();
    if (now - this.checkedAt >= CREDENTIAL_RECHECK_MS) {
      const version = this.changeMarker ? this.changeMarker() : Symbol();
      this.checkedAt = now;
      if (version !== this.version) {
        this.found.clear();
        this.version = version;
      }
    }
    return this.found.get(secretHash);
  }

  set(secretHash: string, credential: Credential): void {
    this.found.set(secretHash, credential);
  }

  /** Drops everything: this store's own revocations and imports (its own commits move no marker). */
  clear(): void {
    this.found.clear();
  }
}
