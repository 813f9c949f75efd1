// The held policy IDs of one account, packed: every ID's bytes in one buffer, their offsets, their group,
// and an open-addressing hash table of ordinals — a few large typed arrays instead of a Map of a million
// strings. 1,000,000 policies take ~50 MB instead of ~170 MB, and the garbage collector has nothing to
// walk in them (a Map that size made major collections, and so the resolve's p99, far slower).
// Policy IDs are printable ASCII (deployment-groups/model.ts), one byte per character.

export class PolicyIndex {
  private readonly bytes: Buffer;
  /** Policy i's bytes are bytes[starts[i] … starts[i + 1]). */
  private readonly starts: Uint32Array;
  /** Policy i's group (an index into the caller's list). */
  private readonly groups: Uint32Array;
  /** Ordinal + 1 of the policy in each slot; 0 for an empty slot. Size: a power of two ≥ 2 × count. */
  private readonly slots: Int32Array;
  readonly size: number;

  /** `lists[g]` are group g's policy IDs, in order; ordinals follow that order. */
  constructor(lists: readonly (readonly string[])[]) {
    let count = 0;
    let length = 0;
    for (const list of lists) {
      count += list.length;
      for (const id of list) length += id.length;
    }
    this.size = count;
    this.bytes = Buffer.allocUnsafe(length);
    this.starts = new Uint32Array(count + 1);
    this.groups = new Uint32Array(count);
    let capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    let ordinal = 0;
    let offset = 0;
    const mask = capacity - 1;
    lists.forEach((list, group) => {
      for (const id of list) {
        // Copy and hash in one pass over the characters (FNV-1a, as hash() below).
        let h = FNV_OFFSET;
        for (let i = 0; i < id.length; i++) {
          const c = id.charCodeAt(i);
          this.bytes[offset + i] = c;
          h = Math.imul(h ^ c, FNV_PRIME);
        }
        offset += id.length;
        this.starts[ordinal + 1] = offset;
        this.groups[ordinal] = group;
        let slot = (h >>> 0) & mask;
        while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
        this.slots[slot] = ordinal + 1;
        ordinal += 1;
      }
    });
  }

  /** The group holding `policyId`, or undefined. */
  groupOf(policyId: string): number | undefined {
    const mask = this.slots.length - 1;
    for (let slot = hash(policyId) & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot] as number;
      if (held === 0) return undefined;
      if (this.equals(held - 1, policyId)) return this.groups[held - 1];
    }
  }

  /** Policy `ordinal`'s ID. */
  id(ordinal: number): string {
    return this.bytes.toString('latin1', this.starts[ordinal], this.starts[ordinal + 1]);
  }

  private equals(ordinal: number, id: string): boolean {
    const start = this.starts[ordinal] as number;
    if ((this.starts[ordinal + 1] as number) - start !== id.length) return false;
    for (let i = 0; i < id.length; i++) {
      if (this.bytes[start + i] !== id.charCodeAt(i)) return false;
    }
    return true;
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the characters (one byte each). */
function hash(id: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}
