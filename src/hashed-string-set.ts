/**
 * A set of strings kept as 63-bit hashes in one typed array: 16 bytes a member at most, not the string
 * and a hash-table slot (what a run of 100,000 assets holds of the paths its manifest lists; see
 * ARCHITECTURE.md, Memory at scale). `has` is exact for every member; for a string never added it says
 * yes with a chance of about n / 2^63 — use it only where such a yes is harmless (the paths a manifest
 * lists: a false yes keeps an unlisted file, it never removes a listed one).
 */
export interface StringMembership {
  has(value: string): boolean;
}

export interface HashedStringSet extends StringMembership {
  add(value: string): void;
  /** Distinct members added. */
  readonly size: number;
}

const FIRST_CAPACITY = 1024;

/**
 * Two 32-bit lanes of a multiply-xorshift hash over the string's UTF-16 code units (63 bits in all: the
 * low bit of the first lane is always 1, so that 0, 0 marks an empty slot). Written to `out[0..1]`.
 * Also the lock index's id hash (store/lock-index.ts).
 */
export function hashInto(value: string, out: Uint32Array): void {
  let h1 = 0xdeadbeef ^ value.length;
  let h2 = 0x41c6ce57 ^ value.length;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  out[0] = (h1 | 1) >>> 0;
  out[1] = h2 >>> 0;
}

export function hashedStringSet(values: Iterable<string> = []): HashedStringSet {
  // Open addressing with linear probing, at most half full; slot i is lanes [2i, 2i + 1].
  let slots = new Uint32Array(FIRST_CAPACITY * 2);
  let size = 0;
  const hash = new Uint32Array(2);
  /** The slot holding `lanes`, or the empty slot where it would go. */
  const slotOf = (table: Uint32Array, first: number, second: number): number => {
    const mask = table.length / 2 - 1;
    let at = (first ^ second) & mask;
    for (;;) {
      const a = table[2 * at];
      if (a === 0 || (a === first && table[2 * at + 1] === second)) return at;
      at = (at + 1) & mask;
    }
  };
  const grow = (): void => {
    const old = slots;
    slots = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const first = old[i] ?? 0;
      if (first === 0) continue;
      const second = old[i + 1] ?? 0;
      const at = slotOf(slots, first, second);
      slots[2 * at] = first;
      slots[2 * at + 1] = second;
    }
  };
  const set: HashedStringSet = {
    add(value) {
      hashInto(value, hash);
      const first = hash[0] ?? 0;
      const second = hash[1] ?? 0;
      const at = slotOf(slots, first, second);
      if (slots[2 * at] === first) return;
      slots[2 * at] = first;
      slots[2 * at + 1] = second;
      size++;
      if (size * 2 > slots.length / 2) grow();
    },
    has(value) {
      hashInto(value, hash);
      const first = hash[0] ?? 0;
      return slots[2 * slotOf(slots, first, hash[1] ?? 0)] === first;
    },
    get size() {
      return size;
    },
  };
  for (const value of values) set.add(value);
  return set;
}
