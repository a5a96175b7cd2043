// A sorted array of distinct 64-bit integers with binary search, as Redis's intset: the compact
// encoding of sets whose members are all integers. Like intset's 16→32→64-bit upgrade, it stays
// a Float64Array while every member is a safe integer and widens to BigInt64Array otherwise.

/** A 64-bit integer: a JS number when safe, a bigint beyond ±2^53. */
export type Int = number | bigint;

const MIN_CAPACITY = 4;

/**
 * Parses a member as Redis's string2ll (no '+', no leading zeros, no spaces, int64 range), from
 * a binary string; undefined when the member is not such an integer (it then needs a hashtable).
 */
export function intOfMember(s: string): Int | undefined {
  const n = s.length;
  if (n === 0 || n > 20) return undefined;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) {
    if (n === 1) return undefined;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0 : undefined;
  if (first < 49 || first > 57) return undefined;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  if (n - i <= 15) return Number(s);
  const big = BigInt(s);
  if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
  return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
}

export class IntSet {
  #a: Float64Array | BigInt64Array = new Float64Array(MIN_CAPACITY);
  #n = 0;

  get size(): number {
    return this.#n;
  }

  /** True once a member outside ±2^53 forced the 64-bit layout. */
  get wide(): boolean {
    return this.#a instanceof BigInt64Array;
  }

  /** Index of `v`, or -(insertion point) - 1 when absent. */
  #search(v: Int): number {
    const a = this.#a as ArrayLike<Int>;
    let lo = 0;
    let hi = this.#n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = a[mid];
      if (x < v) lo = mid + 1;
      else if (x > v) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /** `v` in the representation the array holds (bigint once wide). */
  #norm(v: Int): Int {
    return this.#a instanceof BigInt64Array ? BigInt(v) : v;
  }

  has(v: Int): boolean {
    if (typeof v === "bigint" && !this.wide) return false;
    return this.#search(this.#norm(v)) >= 0;
  }

  /** Inserts `v` in order; false when already present. O(n) like intsetAdd's memmove. */
  add(v: Int): boolean {
    if (typeof v === "bigint" && !this.wide) this.#widen();
    const x = this.#norm(v);
    const i = this.#search(x);
    if (i >= 0) return false;
    const at = -i - 1;
    if (this.#n === this.#a.length) this.#resize(this.#a.length * 2);
    const a = this.#a;
    a.copyWithin(at + 1, at, this.#n);
    (a as unknown as Int[])[at] = x;
    this.#n++;
    return true;
  }

  remove(v: Int): boolean {
    if (typeof v === "bigint" && !this.wide) return false;
    const i = this.#search(this.#norm(v));
    if (i < 0) return false;
    this.#a.copyWithin(i, i + 1, this.#n);
    this.#n--;
    if (this.#a.length > 64 && this.#n * 4 < this.#a.length) this.#resize(this.#a.length / 2);
    return true;
  }

  /** The i-th smallest member as a JS number or bigint (bigints normalized to numbers when safe). */
  at(i: number): Int {
    const x = this.#a[i];
    if (typeof x === "bigint" && x >= -9007199254740991n && x <= 9007199254740991n) {
      return Number(x);
    }
    return x;
  }

  /** The i-th smallest member as its decimal text (the member as clients see it). */
  memberAt(i: number): string {
    return String(this.#a[i]);
  }

  #resize(cap: number): void {
    const n = Math.max(cap, MIN_CAPACITY);
    const a = this.#a;
    if (a instanceof BigInt64Array) {
      const next = new BigInt64Array(n);
      next.set(a.subarray(0, this.#n));
      this.#a = next;
    } else {
      const next = new Float64Array(n);
      next.set(a.subarray(0, this.#n));
      this.#a = next;
    }
  }

  #widen(): void {
    const next = new BigInt64Array(Math.max(this.#a.length, MIN_CAPACITY));
    for (let i = 0; i < this.#n; i++) next[i] = BigInt(this.#a[i]);
    this.#a = next;
  }

  /** Bytes held by the backing array (for MEMORY USAGE). */
  get bytes(): number {
    return this.#a.byteLength;
  }
}
