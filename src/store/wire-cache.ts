// The wire JSON of recently read groups (deployment-groups/wire.ts) and of recently read list pages, kept by
// the SQLite backend (exactly one server process owns a SQLite file: server-lock.ts). Two rules keep every
// answer exact (docs/performance.md, "Read path"):
// - A group's JSON is held for one revision, by group id. A revision names one content for good — every
//   change stores the next one, in the same statement as the change (migration 003) — except across an
//   import, which may restore the same revisions with other contents: the store clears this cache on its
//   own imports and whenever `PRAGMA data_version` says another connection committed anything. So a read
//   that finds its (id, revision) here serves exactly the bytes the row would make.
// - Besides, what was read at a *stamp* — the count of this process's commits (group-commit.ts), taken after
//   that data_version check — is still the database's content while the stamp has not moved: then a GET is
//   answered with no SQL at all, and a list page (its groups and total) likewise. The first read after any
//   commit checks revisions again.
import { groupJson } from '../deployment-groups/wire.ts';
import type { GroupWire, GroupWirePage, StoredGroup } from './store.ts';

/**
 * Characters of group JSON held before the oldest groups go: ~250 characters a group with a few policies
 * (the bench's), ~37,000 with 1,000 policy IDs. The route keeps each held group's and page's body beside
 * it (deployment-groups/routes.ts), so what this costs in memory is about twice these.
 */
export const MAX_WIRE_CHARS = 16 * 1024 * 1024;
/** The same for the pages (whose groups are mostly the same strings as the groups held). */
export const MAX_PAGE_CHARS = 8 * 1024 * 1024;

/** A group read from the database, as served (PostgreSQL makes it on every read; SQLite holds it). */
export function groupWire({ group, revision }: StoredGroup): GroupWire {
  return { revision, group: { updated_at: group.updated_at }, json: groupJson(group) };
}

interface HeldGroup {
  accountId: string;
  wire: GroupWire;
  /** The stamp at which its revision was last read from the database. */
  seenAt: number;
}

interface HeldPage {
  page: GroupWirePage;
  chars: number;
  seenAt: number;
}

/** Entries of one kind in insertion order, each with its size; past the limit, the oldest go first. */
class Bounded<T> {
  readonly held = new Map<string, T & { chars: number }>();
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  set(key: string, entry: T & { chars: number }): void {
    const replaced = this.held.get(key);
    if (replaced !== undefined) {
      this.chars -= replaced.chars;
      this.held.delete(key);
    }
    this.held.set(key, entry);
    this.chars += entry.chars;
    for (const [oldest, old] of this.held) {
      if (this.chars <= this.maxChars || old === entry) break;
      this.held.delete(oldest);
      this.chars -= old.chars;
    }
  }

  clear(): void {
    this.held.clear();
    this.chars = 0;
  }

  get size(): { entries: number; chars: number } {
    return { entries: this.held.size, chars: this.chars };
  }
}

export class WireCache {
  private readonly groups: Bounded<HeldGroup>;
  private readonly pages: Bounded<HeldPage>;

  constructor(maxChars = MAX_WIRE_CHARS, maxPageChars = MAX_PAGE_CHARS) {
    this.groups = new Bounded(maxChars);
    this.pages = new Bounded(maxPageChars);
  }

  /** The group if its revision was read at `stamp` (nothing committed since) in this account. */
  current(accountId: string, groupId: string, stamp: number): GroupWire | undefined {
    const held = this.groups.held.get(groupId);
    return held !== undefined && held.seenAt === stamp && held.accountId === accountId
      ? held.wire
      : undefined;
  }

  /** The group's JSON if held for exactly this revision (just read at `stamp` in `accountId`). */
  get(accountId: string, groupId: string, revision: number, stamp: number): GroupWire | undefined {
    const held = this.groups.held.get(groupId);
    if (held === undefined || held.wire.revision !== revision || held.accountId !== accountId)
      return undefined;
    held.seenAt = stamp;
    return held.wire;
  }

  /** Makes and holds the wire JSON of a group just read from the database at `stamp`. */
  put(accountId: string, stored: StoredGroup, stamp: number): GroupWire {
    const wire = groupWire(stored);
    this.groups.set(stored.group.id, { accountId, wire, seenAt: stamp, chars: wire.json.length });
    return wire;
  }

  /** The page read at `stamp` under `key` (account, limit, offset), if any. */
  page(key: string, stamp: number): GroupWirePage | undefined {
    const held = this.pages.held.get(key);
    return held !== undefined && held.seenAt === stamp ? held.page : undefined;
  }

  putPage(key: string, page: GroupWirePage, stamp: number): void {
    let chars = 0;
    for (const json of page.groups) chars += json.length;
    this.pages.set(key, { page, seenAt: stamp, chars });
  }

  clear(): void {
    this.groups.clear();
    this.pages.clear();
  }

  /** What is held (for tests). */
  get size(): { groups: number; chars: number; pages: number } {
    const groups = this.groups.size;
    return { groups: groups.entries, chars: groups.chars, pages: this.pages.size.entries };
  }
}
