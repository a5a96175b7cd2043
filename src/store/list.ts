// The list value. A small list is one packed string (list_pack.ts, Redis's listpack idea) while it
// fits list-max-listpack-size; past that it becomes a ring-buffer deque of element strings, with
// O(1) push and pop at both ends and O(1) index; it packs again once it shrinks to half the limit.
// Elements are latin1 binary strings. OBJECT ENCODING says "quicklist" either way, as Redis 7.0.

import type { RedisCollection } from "./types.ts";
import {
  entryAt,
  entryBefore,
  frame,
  framedSize,
  offsetOf,
  type PackLimits,
  packLimitsFor,
  unpack,
} from "./list_pack.ts";

const MIN_CAPACITY = 4;
/** V8 string header (map, hash, length) plus the array slot pointing at it, for MEMORY USAGE. */
const PER_ELEMENT_OVERHEAD = 24;
const NO_ITEMS: (string | undefined)[] = [];
/** Pushes a packed list takes as a rope before it is flattened (bounds rope memory and depth). */
const MAX_ROPES = 16;
let flatSink = 0;

/** The same string, flattened: reading a char makes V8 copy a rope into one sequential string. */
function flat(s: string): string {
  flatSink ^= s.charCodeAt(0);
  return s;
}

/** Current listpack limits; lists.ts keeps them in step with CONFIG (list-max-listpack-size). */
export const packLimits: PackLimits = packLimitsFor(-2);

export function setListMaxListpackSize(fill: number): void {
  Object.assign(packLimits, packLimitsFor(fill));
}

export class ListValue implements RedisCollection {
  readonly type = "list" as const;
  /** The packed elements while compact; null once the ring holds them. */
  #packed: string | null = "";
  /** Slots of the ring; element i lives at (head + i) & mask. Free slots hold undefined. */
  #items = NO_ITEMS;
  #mask = 0;
  #head = 0;
  #len = 0;
  /** Ring form: the chars the elements would take packed (decides when to pack again, O(1)). */
  #framed = 0;
  /** Pushes not yet flattened: V8 keeps `a + b` as a rope until something reads it. */
  #ropes = 0;
  /** Expected size (restore, SORT STORE): the ring starts that big when it is needed. */
  #sizeHint: number;

  constructor(capacity = 0) {
    this.#sizeHint = capacity;
  }

  /** A list holding `elements` in order (restore, tests). */
  static from(elements: Iterable<string>): ListValue {
    const l = new ListValue();
    for (const e of elements) l.pushTail(e);
    l.compact();
    return l;
  }

  get size(): number {
    return this.#len;
  }

  /** True while the list is one packed string (tests, MEMORY USAGE). */
  get isPacked(): boolean {
    return this.#packed !== null;
  }

  /** Redis 7.0 stores every list as a quicklist (listpack-encoded lists arrived in 7.2). */
  encoding(): string {
    return "quicklist";
  }

  memoryUsage(): number {
    if (this.#packed !== null) return 64 + this.#packed.length;
    return 48 + this.#items.length * 8 + this.#len * PER_ELEMENT_OVERHEAD + this.#framed;
  }

  pushHead(s: string): void {
    if (this.#packed !== null && this.#fits(s.length)) {
      this.#packed = frame(s) + this.#packed;
      if (++this.#ropes >= MAX_ROPES) this.compact();
      this.#added(s);
      return;
    }
    this.#unpack();
    if (this.#len === this.#items.length) this.#resize(this.#items.length * 2);
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = s;
    this.#added(s);
  }

  pushTail(s: string): void {
    if (this.#packed !== null && this.#fits(s.length)) {
      this.#packed += frame(s);
      if (++this.#ropes >= MAX_ROPES) this.compact();
      this.#added(s);
      return;
    }
    this.#unpack();
    if (this.#len === this.#items.length) this.#resize(this.#items.length * 2);
    this.#items[(this.#head + this.#len) & this.#mask] = s;
    this.#added(s);
  }

  popHead(): string | undefined {
    if (this.#len === 0) return undefined;
    const p = this.#packed;
    let s: string;
    if (p !== null) {
      const at = entryAt(p, 0);
      s = p.slice(at.data, at.end);
      this.#packed = p.slice(at.next);
    } else {
      s = this.#items[this.#head]!;
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) & this.#mask;
    }
    this.#removed(framedSize(s.length), 1);
    return s;
  }

  popTail(): string | undefined {
    if (this.#len === 0) return undefined;
    const p = this.#packed;
    let s: string;
    if (p !== null) {
      const at = entryBefore(p, p.length);
      s = p.slice(at.data, at.end);
      this.#packed = p.slice(0, at.start);
    } else {
      const i = (this.#head + this.#len - 1) & this.#mask;
      s = this.#items[i]!;
      this.#items[i] = undefined;
    }
    this.#removed(framedSize(s.length), 1);
    return s;
  }

  /** Element at a 0-based index from the head (no negative indexes here). */
  get(i: number): string | undefined {
    if (i < 0 || i >= this.#len) return undefined;
    const p = this.#packed;
    if (p === null) return this.#items[(this.#head + i) & this.#mask];
    const at = entryAt(p, offsetOf(p, this.#len, i));
    return p.slice(at.data, at.end);
  }

  /** Replaces the element at index `i`; false when out of range. */
  set(i: number, s: string): boolean {
    if (i < 0 || i >= this.#len) return false;
    const p = this.#packed;
    if (p !== null) {
      const o = offsetOf(p, this.#len, i);
      const at = entryAt(p, o);
      const old = at.end - at.data;
      if (p.length - framedSize(old) + framedSize(s.length) <= packLimits.maxBytes) {
        this.#packed = flat(p.slice(0, o) + frame(s) + p.slice(at.next));
        return true;
      }
      this.#unpack();
    }
    const slot = (this.#head + i) & this.#mask;
    this.#framed += framedSize(s.length) - framedSize(this.#items[slot]!.length);
    this.#items[slot] = s;
    return true;
  }

  /** First index (from the head) holding `s`, or -1. */
  indexOf(s: string): number {
    const p = this.#packed;
    if (p === null) {
      for (let i = 0; i < this.#len; i++) {
        if (this.#items[(this.#head + i) & this.#mask] === s) return i;
      }
      return -1;
    }
    for (let i = 0, o = 0; i < this.#len; i++) {
      const at = entryAt(p, o);
      if (at.end - at.data === s.length && p.startsWith(s, at.data)) return i;
      o = at.next;
    }
    return -1;
  }

  /** Inserts so that `s` ends up at index `i` (0..size), moving the shorter side by one. */
  insertAt(i: number, s: string): void {
    if (i <= 0) return this.pushHead(s);
    if (i >= this.#len) return this.pushTail(s);
    const p = this.#packed;
    if (p !== null && this.#fits(s.length)) {
      const o = offsetOf(p, this.#len, i);
      this.#packed = flat(p.slice(0, o) + frame(s) + p.slice(o));
      this.#added(s);
      return;
    }
    this.#unpack();
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
    this.#added(s);
  }

  /**
   * Removes up to `limit` elements equal to `s` (0 = all), scanning from the tail when `fromTail`,
   * in one compacting pass (LREM). Returns how many were removed.
   */
  removeMatching(s: string, limit: number, fromTail: boolean): number {
    if (this.#packed !== null) return this.#removeMatchingPacked(s, limit, fromTail);
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
    this.#removed(removed * framedSize(s.length), removed);
    return removed;
  }

  #removeMatchingPacked(s: string, limit: number, fromTail: boolean): number {
    const all = unpack(this.#packed!);
    let removed = 0;
    const keep = (e: string) => {
      if (e === s && (limit === 0 || removed < limit)) return !++removed;
      return true;
    };
    const kept = fromTail ? all.reverse().filter(keep).reverse() : all.filter(keep);
    if (removed > 0) this.#packed = kept.map(frame).join("");
    this.#removed(0, removed);
    return removed;
  }

  /** Drops `fromHead` elements at the head and `fromTail` at the tail (LTRIM). */
  trim(fromHead: number, fromTail: number): void {
    fromHead = Math.min(fromHead, this.#len);
    fromTail = Math.min(fromTail, this.#len - fromHead);
    const p = this.#packed;
    if (p !== null) {
      const keep = this.#len - fromHead - fromTail;
      const a = offsetOf(p, this.#len, fromHead);
      const b = keep === 0 ? a : offsetOf(p, this.#len, fromHead + keep);
      this.#packed = p.slice(a, b);
      this.#removed(0, fromHead + fromTail);
      return;
    }
    const items = this.#items;
    const m = this.#mask;
    let framed = 0;
    for (let k = 0; k < fromHead; k++) {
      const p = (this.#head + k) & m;
      framed += framedSize(items[p]!.length);
      items[p] = undefined;
    }
    this.#head = (this.#head + fromHead) & m;
    const left = this.#len - fromHead;
    for (let k = left - fromTail; k < left; k++) {
      const p = (this.#head + k) & m;
      framed += framedSize(items[p]!.length);
      items[p] = undefined;
    }
    this.#removed(framed, fromHead + fromTail);
  }

  /** Elements from index `start` to `end` inclusive (already clamped by the caller). */
  *range(start: number, end: number): IterableIterator<string> {
    const p = this.#packed;
    if (p === null) {
      for (let i = start; i <= end; i++) yield this.#items[(this.#head + i) & this.#mask]!;
      return;
    }
    let o = offsetOf(p, this.#len, start);
    for (let i = start; i <= end; i++) {
      const at = entryAt(p, o);
      yield p.slice(at.data, at.end);
      o = at.next;
    }
  }

  /** Every element, head to tail. */
  values(): IterableIterator<string> {
    return this.range(0, this.#len - 1);
  }

  /** Every element, tail to head. */
  *valuesReversed(): IterableIterator<string> {
    const p = this.#packed;
    if (p === null) {
      for (let i = this.#len - 1; i >= 0; i--) yield this.#items[(this.#head + i) & this.#mask]!;
      return;
    }
    for (let e = p.length; e > 0;) {
      const at = entryBefore(p, e);
      yield p.slice(at.data, at.end);
      e = at.start;
    }
  }

  /** A copy with the same elements (COPY); a packed list shares its immutable string. */
  clone(): ListValue {
    if (this.#packed === null) return ListValue.from(this.values());
    this.compact();
    const l = new ListValue();
    l.#packed = this.#packed;
    l.#len = this.#len;
    return l;
  }

  /**
   * Makes the packed string one flat string again (a rope of pushes costs a cons cell and a string
   * header per element). Pushes call it every MAX_ROPES elements; commands pushing several
   * elements call it once at the end.
   */
  compact(): void {
    if (this.#ropes === 0) return;
    this.#ropes = 0;
    if (this.#packed !== null) this.#packed = flat(this.#packed);
  }

  /** Whether one more element of `len` bytes keeps the packed form within the limits. */
  #fits(len: number): boolean {
    return this.#packed!.length + framedSize(len) <= packLimits.maxBytes &&
      this.#len < packLimits.maxCount;
  }

  #added(s: string): void {
    this.#len++;
    if (this.#packed === null) this.#framed += framedSize(s.length);
  }

  /** Bookkeeping after removals; a shrunken ring shrinks its slots or packs again. */
  #removed(framed: number, count: number): void {
    this.#len -= count;
    if (this.#packed !== null) {
      if (this.#len === 0) {
        this.#packed = "";
        this.#ropes = 0;
      }
      return;
    }
    this.#framed -= framed;
    // Pack at half the limit (hysteresis: a list near the limit does not flip at every push).
    const lim = packLimits;
    if (2 * this.#framed <= lim.maxBytes && 2 * this.#len <= lim.maxCount) {
      this.#pack();
      return;
    }
    const cap = this.#items.length;
    if (cap > MIN_CAPACITY && this.#len <= cap >> 2) {
      let next = cap >> 1;
      while (next > MIN_CAPACITY && this.#len <= next >> 2) next >>= 1;
      this.#resize(next);
    }
  }

  #pack(): void {
    const parts: string[] = [];
    for (let i = 0; i < this.#len; i++) {
      parts.push(frame(this.#items[(this.#head + i) & this.#mask]!));
    }
    this.#packed = parts.join("");
    this.#items = NO_ITEMS;
    this.#mask = 0;
    this.#head = 0;
  }

  /** Switches to the ring (an element or the whole list outgrew the packed form). */
  #unpack(): void {
    const p = this.#packed;
    if (p === null) return;
    let cap = MIN_CAPACITY;
    while (cap < Math.max(this.#len + 1, this.#sizeHint)) cap *= 2;
    const items: (string | undefined)[] = new Array(cap);
    let i = 0;
    for (let o = 0; o < p.length; i++) {
      const at = entryAt(p, o);
      items[i] = p.slice(at.data, at.end);
      o = at.next;
    }
    this.#items = items;
    this.#mask = cap - 1;
    this.#head = 0;
    this.#framed = p.length;
    this.#packed = null;
    this.#ropes = 0;
  }

  #resize(cap: number): void {
    const next: (string | undefined)[] = new Array(cap);
    for (let i = 0; i < this.#len; i++) next[i] = this.#items[(this.#head + i) & this.#mask];
    this.#items = next;
    this.#mask = cap - 1;
    this.#head = 0;
  }
}
