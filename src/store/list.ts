// The list value: a ring-buffer deque of elements held as latin1 binary strings. Push and pop are
// O(1) at both ends, LINDEX/LSET are O(1), middle inserts shift the shorter side.

import type { RedisCollection } from "./types.ts";

const MIN_CAPACITY = 4;
/** V8 string header (map, hash, length) plus the array slot pointing at it, for MEMORY USAGE. */
const PER_ELEMENT_OVERHEAD = 24;

export class ListValue implements RedisCollection {
  readonly type = "list" as const;
  /** Slots of the ring; element i lives at (head + i) & mask. Free slots hold undefined. */
  #items: (string | undefined)[];
  #mask: number;
  #head = 0;
  #len = 0;
  /** Total element bytes, kept current so MEMORY USAGE is O(1). */
  #bytes = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.#items = new Array(cap);
    this.#mask = cap - 1;
  }

  /** A list holding `elements` in order (restore, tests). */
  static from(elements: Iterable<string>): ListValue {
    const arr = [...elements];
    const l = new ListValue(arr.length);
    for (const e of arr) l.pushTail(e);
    return l;
  }

  get size(): number {
    return this.#len;
  }

  /** Redis 7.0 stores every list as a quicklist (listpack-encoded lists arrived in 7.2). */
  encoding(): string {
    return "quicklist";
  }

  memoryUsage(): number {
    return 48 + this.#items.length * 8 + this.#len * PER_ELEMENT_OVERHEAD + this.#bytes;
  }

  pushHead(s: string): void {
    if (this.#len === this.#items.length) this.#resize(this.#items.length * 2);
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = s;
    this.#len++;
    this.#bytes += s.length;
  }

  pushTail(s: string): void {
    if (this.#len === this.#items.length) this.#resize(this.#items.length * 2);
    this.#items[(this.#head + this.#len) & this.#mask] = s;
    this.#len++;
    this.#bytes += s.length;
  }

  popHead(): string | undefined {
    if (this.#len === 0) return undefined;
    const s = this.#items[this.#head]!;
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#len--;
    this.#bytes -= s.length;
    this.#maybeShrink();
    return s;
  }

  popTail(): string | undefined {
    if (this.#len === 0) return undefined;
    const i = (this.#head + this.#len - 1) & this.#mask;
    const s = this.#items[i]!;
    this.#items[i] = undefined;
    this.#len--;
    this.#bytes -= s.length;
    this.#maybeShrink();
    return s;
  }

  /** Element at a 0-based index from the head (no negative indexes here). */
  get(i: number): string | undefined {
    if (i < 0 || i >= this.#len) return undefined;
    return this.#items[(this.#head + i) & this.#mask];
  }

  /** Replaces the element at index `i`; false when out of range. */
  set(i: number, s: string): boolean {
    if (i < 0 || i >= this.#len) return false;
    const p = (this.#head + i) & this.#mask;
    this.#bytes += s.length - this.#items[p]!.length;
    this.#items[p] = s;
    return true;
  }

  /** First index (from the head) holding `s`, or -1. */
  indexOf(s: string): number {
    for (let i = 0; i < this.#len; i++) {
      if (this.#items[(this.#head + i) & this.#mask] === s) return i;
    }
    return -1;
  }

  /** Inserts so that `s` ends up at index `i` (0..size), moving the shorter side by one. */
  insertAt(i: number, s: string): void {
    if (i <= 0) return this.pushHead(s);
    if (i >= this.#len) return this.pushTail(s);
    if (this.#len === this.#items.length) this.#resize(this.#items.length * 2);
    const items = this.#items;
    const m = this.#mask;
    if (i < this.#len - i) {
      // Move elements 0..i-1 one slot towards the head.
      this.#head = (this.#head - 1) & m;
      for (let k = 0; k < i; k++) {
        items[(this.#head + k) & m] = items[(this.#head + k + 1) & m];
      }
    } else {
      for (let k = this.#len; k > i; k--) {
        items[(this.#head + k) & m] = items[(this.#head + k - 1) & m];
      }
    }
    items[(this.#head + i) & m] = s;
    this.#len++;
    this.#bytes += s.length;
  }

  /**
   * Removes up to `limit` elements equal to `s` (0 = all), scanning from the tail when `fromTail`,
   * in one compacting pass (LREM). Returns how many were removed.
   */
  removeMatching(s: string, limit: number, fromTail: boolean): number {
    const items = this.#items;
    const m = this.#mask;
    const n = this.#len;
    const h = this.#head;
    let removed = 0;
    if (!fromTail) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const e = items[(h + r) & m]!;
        if (e === s && (limit === 0 || removed < limit)) removed++;
        else {
          if (w !== r) items[(h + w) & m] = e;
          w++;
        }
      }
      for (let k = w; k < n; k++) items[(h + k) & m] = undefined;
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const e = items[(h + r) & m]!;
        if (e === s && (limit === 0 || removed < limit)) removed++;
        else {
          if (w !== r) items[(h + w) & m] = e;
          w--;
        }
      }
      for (let k = 0; k <= w; k++) items[(h + k) & m] = undefined;
      this.#head = (h + removed) & m;
    }
    this.#len -= removed;
    this.#bytes -= removed * s.length;
    this.#maybeShrink();
    return removed;
  }

  /** Drops `fromHead` elements at the head and `fromTail` at the tail (LTRIM). */
  trim(fromHead: number, fromTail: number): void {
    fromHead = Math.min(fromHead, this.#len);
    fromTail = Math.min(fromTail, this.#len - fromHead);
    const items = this.#items;
    const m = this.#mask;
    for (let k = 0; k < fromHead; k++) {
      const p = (this.#head + k) & m;
      this.#bytes -= items[p]!.length;
      items[p] = undefined;
    }
    this.#head = (this.#head + fromHead) & m;
    this.#len -= fromHead;
    for (let k = this.#len - fromTail; k < this.#len; k++) {
      const p = (this.#head + k) & m;
      this.#bytes -= items[p]!.length;
      items[p] = undefined;
    }
    this.#len -= fromTail;
    this.#maybeShrink();
  }

  /** Elements from index `start` to `end` inclusive (already clamped by the caller). */
  *range(start: number, end: number): IterableIterator<string> {
    for (let i = start; i <= end; i++) yield this.#items[(this.#head + i) & this.#mask]!;
  }

  /** Every element, head to tail. */
  values(): IterableIterator<string> {
    return this.range(0, this.#len - 1);
  }

  /** A copy with the same elements (COPY). */
  clone(): ListValue {
    return ListValue.from(this.values());
  }

  #resize(cap: number): void {
    const next: (string | undefined)[] = new Array(cap);
    for (let i = 0; i < this.#len; i++) next[i] = this.#items[(this.#head + i) & this.#mask];
    this.#items = next;
    this.#mask = cap - 1;
    this.#head = 0;
  }

  /** Halves the ring when it is three-quarters empty, so memory follows the list down. */
  #maybeShrink(): void {
    const cap = this.#items.length;
    if (cap > MIN_CAPACITY && this.#len <= cap >> 2) {
      let next = cap >> 1;
      while (next > MIN_CAPACITY && this.#len <= next >> 2) next >>= 1;
      this.#resize(next);
    }
  }
}
