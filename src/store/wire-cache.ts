// The wire JSON of recently read groups (deployment-groups/wire.ts), kept by the SQLite backend, keyed by
// group id and valid for one revision. A revision names one content for good — every change stores the
// next one, in the same statement as the change (migration 003) — except across an import, which may
// restore the same revisions with other contents: the store clears this cache on its own imports and
// whenever `PRAGMA data_version` says another connection committed anything. So a read that finds its
// (id, revision) here serves exactly the bytes the row would make, and a write never has to touch it.
import { groupJson } from '../deployment-groups/wire.ts';
import type { GroupWire, StoredGroup } from './store.ts';

/**
 * Characters of JSON held before the oldest entries go: ~2 KB a group with a few policies, so ~16,000
 * groups; one group of 1,000 policy IDs is ~40 KB.
 */
export const MAX_WIRE_CHARS = 32 * 1024 * 1024;

/** A group read from the database, as served (PostgreSQL makes it on every read; SQLite holds it). */
export function groupWire({ group, revision }: StoredGroup): GroupWire {
  return { revision, group: { updated_at: group.updated_at }, json: groupJson(group) };
}

export class WireCache {
  /** In insertion order: past the limit, the oldest entries go first. */
  private readonly held = new Map<string, GroupWire>();
  private chars = 0;

  constructor(private readonly maxChars = MAX_WIRE_CHARS) {}

  /** The group's wire JSON if held for exactly this revision. */
  get(groupId: string, revision: number): GroupWire | undefined {
    const wire = this.held.get(groupId);
    return wire !== undefined && wire.revision === revision ? wire : undefined;
  }

  /** Makes and holds the wire JSON of a group just read from the database. */
  put(stored: StoredGroup): GroupWire {
    const wire = groupWire(stored);
    const id = stored.group.id;
    const replaced = this.held.get(id);
    if (replaced !== undefined) {
      this.chars -= replaced.json.length;
      this.held.delete(id);
    }
    this.held.set(id, wire);
    this.chars += wire.json.length;
    for (const [oldest, old] of this.held) {
      if (this.chars <= this.maxChars || old === wire) break;
      this.held.delete(oldest);
      this.chars -= old.json.length;
    }
    return wire;
  }

  clear(): void {
    this.held.clear();
    this.chars = 0;
  }

  /** Entries and characters held (for tests). */
  get size(): { groups: number; chars: number } {
    return { groups: this.held.size, chars: this.chars };
  }
}
