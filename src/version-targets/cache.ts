// Version targets served from memory (docs/contract.md §8.4). Each process holds the resolved targets of
// the accounts asked about (loaded on first use, least recently used dropped past MAX_HELD_POLICIES) and
// refreshes them when the account's groups change. One mechanism:
// - What says "look": the store's one change feed (store/changes.ts) — its own writes as they commit,
//   other processes' as the backend learns of them (the account, or null: every held account) — and
//   behind it a periodic comparison of fingerprints (every CHECK_INTERVAL_MS), which refreshes only the
//   accounts whose fingerprint moved.
// - What a refresh reads: the version (id, revision, updated_at) of every group of the account — one
//   row per group, no policy — then only the groups whose version it does not hold. Those are laid over
//   the packed index of the last full load (resolution.ts updated()); a deleted group just goes. A write
//   to one group of an account of 1,000,000 policies so costs one group, not the account.
// - A full load (every group, packed again) happens: on first use; after an import of this process
//   (it may restore the same versions with other contents — the feed says so); when the groups laid over
//   the index hold more than COMPACT_FRACTION of the account's policies (packing them again); and after
//   a refresh failed. An import by another process is applied group by group, by version.
// A request for an account being refreshed waits for the refresh: after a write is answered, no request
// of this process sees the state before it; another process's write is seen within CHECK_INTERVAL_MS
// plus one refresh (the notifications usually make it sooner).
import { groupFingerprint } from '../store/changes.ts';
import type { Store } from '../store/store.ts';
import { AccountTargets } from './resolution.ts';

/** Past this share of the account's policies in groups laid over the packed index, a full load packs. */
export const COMPACT_FRACTION = 1 / 8;
/** …and past this many (a small account is packed again at once: it is cheap). */
const COMPACT_MIN = 1024;

/**
 * Policies held across accounts before the least recently used accounts are dropped: 1,000,000 held
 * policies took ~130 MiB of RSS in `npm run bench -- --targets --scale`. An account larger than this is still
 * held, alone.
 */
export const MAX_HELD_POLICIES = 1_200_000;
/** The periodic check behind the notifications: a change is seen within this plus one reload. */
export const CHECK_INTERVAL_MS = 500;

interface Held {
  targets?: AccountTargets;
  /** The refresh in flight; requests for the account wait for it. */
  refresh?: Promise<AccountTargets>;
  /** A change was announced while the refresh ran (which may have read before it): run once more. */
  again: boolean;
  /** The next refresh must be a full load (an import of this process was announced). */
  full: boolean;
}

/** How often each kind of refresh ran (for tests and the benchmark). */
export interface RefreshCounts {
  full: number;
  incremental: number;
}

export interface TargetsCacheOptions {
  maxHeldPolicies?: number;
  checkIntervalMs?: number;
}

export class TargetsCache {
  /** In least-recently-used order: a use moves the account to the end. */
  private readonly held = new Map<string, Held>();
  private heldPolicies = 0;
  private readonly maxHeldPolicies: number;
  private readonly checkIntervalMs: number;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  readonly refreshes: RefreshCounts = { full: 0, incremental: 0 };

  constructor(
    private readonly store: Store,
    options: TargetsCacheOptions = {},
  ) {
    this.maxHeldPolicies = options.maxHeldPolicies ?? MAX_HELD_POLICIES;
    this.checkIntervalMs = options.checkIntervalMs ?? CHECK_INTERVAL_MS;
  }

  /** Starts following changes; until then nothing is held for long (each use loads). */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.watchGroupChanges((accountId, full) => this.changed(accountId, full));
    this.timer = setInterval(() => void this.check(), this.checkIntervalMs).unref();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.timer);
    this.held.clear();
    this.heldPolicies = 0;
  }

  /** The account's targets, as of every change this process has been told of. */
  get(accountId: string): Promise<AccountTargets> | AccountTargets {
    const held = this.held.get(accountId);
    if (held === undefined) {
      const fresh: Held = { again: false, full: true };
      this.held.set(accountId, fresh);
      return this.refresh(accountId, fresh);
    }
    this.held.delete(accountId);
    this.held.set(accountId, held);
    if (!this.unsubscribe) return this.refresh(accountId, held);
    return held.refresh ?? (held.targets as AccountTargets);
  }

  /** Policies held across accounts (for the benchmark and tests). */
  get size(): { accounts: number; policies: number } {
    return { accounts: this.held.size, policies: this.heldPolicies };
  }

  /** A change was announced: refresh the account, or every held one when the feed cannot say which. */
  private changed(accountId: string | null, full: boolean): void {
    const accounts = accountId === null ? [...this.held.keys()] : [accountId];
    for (const account of accounts) {
      const held = this.held.get(account);
      if (held === undefined) continue;
      if (full) held.full = true;
      void this.refresh(account, held).catch(() => undefined);
    }
  }

  /** The fallback: reloads every held account whose fingerprint is no longer the one it was built from. */
  private async check(): Promise<void> {
    if (this.checking) return;
    const ready = [...this.held].filter(([, held]) => held.refresh === undefined && held.targets);
    if (ready.length === 0) return;
    this.checking = true;
    try {
      const fingerprints = await this.store.groupFingerprints(ready.map(([accountId]) => accountId));
      for (const [accountId, held] of ready) {
        const now = fingerprints.get(accountId) ?? groupFingerprint(0, 0, null);
        if (this.held.get(accountId) !== held || held.refresh || now === held.targets?.fingerprint) continue;
        void this.refresh(accountId, held).catch(() => undefined);
      }
    } catch {
      // The store is unavailable: requests see that themselves; the next check tries again.
    } finally {
      this.checking = false;
    }
  }

  /** Runs the account's reload, or, if one runs (it may have read before the change), repeats it. */
  private refresh(accountId: string, held: Held): Promise<AccountTargets> {
    if (held.refresh) {
      held.again = true;
      return held.refresh;
    }
    held.refresh = this.load(accountId, held).finally(() => {
      held.refresh = undefined;
    });
    return held.refresh;
  }

  private async load(accountId: string, held: Held): Promise<AccountTargets> {
    try {
      let targets = held.targets;
      do {
        held.again = false;
        targets =
          held.full || targets === undefined || needsPacking(targets)
            ? await this.loadAll(accountId, held)
            : await this.loadChanged(accountId, held, targets);
      } while (held.again);
      this.keep(accountId, held, targets);
      return targets;
    } catch (error) {
      // Never serve what may be stale: the next request loads again.
      this.drop(accountId, held);
      throw error;
    }
  }

  /** Every group of the account, packed. */
  private async loadAll(accountId: string, held: Held): Promise<AccountTargets> {
    // Requests wait for this load, so what it replaces serves nobody now: let it go first, so that a
    // large account is never held twice (1,000,000 policies: ~170 MiB each).
    this.heldPolicies -= held.targets?.size ?? 0;
    held.targets = undefined;
    held.full = false;
    this.refreshes.full += 1;
    return AccountTargets.load(await this.store.accountGroups(accountId));
  }

  /** Only the groups whose version `targets` does not hold (see the top of this file). */
  private async loadChanged(accountId: string, held: Held, targets: AccountTargets): Promise<AccountTargets> {
    const versions = await this.store.accountGroupVersions(accountId);
    const stale = versions.filter((v) => {
      const group = targets.version(v.id);
      return group === undefined || group.revision !== v.revision || group.updated_at !== v.updated_at;
    });
    if (stale.length === 0 && versions.length === targets.groups.length) return targets;
    const changed =
      stale.length === 0
        ? []
        : await this.store.accountGroupsById(
            accountId,
            stale.map((v) => v.id),
          );
    // A group changed again or went between the two reads: this is not yet that state, read once more.
    if (changed.length !== stale.length) held.again = true;
    for (const row of changed) {
      const seen = stale.find((v) => v.id === row.group.id);
      if (seen?.revision !== row.revision) held.again = true;
    }
    this.refreshes.incremental += 1;
    return targets.updated(versions, changed);
  }

  private keep(accountId: string, held: Held, targets: AccountTargets): void {
    if (this.held.get(accountId) !== held) return; // dropped meanwhile
    if (held.targets === targets) return;
    this.heldPolicies += targets.size - (held.targets?.size ?? 0);
    held.targets = targets;
    for (const [other, otherHeld] of this.held) {
      if (this.heldPolicies <= this.maxHeldPolicies) break;
      if (other !== accountId && otherHeld.refresh === undefined) this.drop(other, otherHeld);
    }
  }

  private drop(accountId: string, held: Held): void {
    if (this.held.get(accountId) !== held) return;
    this.held.delete(accountId);
    this.heldPolicies -= held.targets?.size ?? 0;
  }
}

function needsPacking(targets: AccountTargets): boolean {
  return targets.overlaid > COMPACT_MIN && targets.overlaid > targets.size * COMPACT_FRACTION;
}
