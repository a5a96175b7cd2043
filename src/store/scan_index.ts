// A bucketed index of keys that gives SCAN Redis's cursor guarantee (every element present for
// the whole scan is returned at least once, even while the table grows or shrinks) and O(1)
// random picks. It mirrors Redis's dict: power-of-two tables of chained entries, incremental
// rehashing, and the reverse-binary cursor of dictScan(). The Map beside it stays the source of
// truth for values.
//
// Entries live in parallel arrays (key, cached hash, next-in-chain) indexed by entry id, and a
// table is an Int32Array of chain heads (0 = empty; ids start at 1). Compared with one JS array
// per bucket this allocates nothing per key or bucket, moves entries during rehash by relinking
// (no re-hashing, no copies), and leaves the GC a handful of objects to trace instead of two per
// bucket.
//
// Buckets are stored in bit-reversed order: Redis's bucket b of a 2^n table sits at position
// rev_n(b), i.e. the top n bits of the bit-reversed hash. The cursor stays Redis's (low bits =
// bucket), but consecutive SCAN steps, which Redis takes in reverse-binary order, walk the table
// forwards through memory instead of jumping across it; and a bucket's split images after a
// resize are neighbours. Internally `r` names a reversed cursor: position = r >>> (32 - n).

function hash(s: string): number {
  let h = 0x811c9dc5;
  const n = s.length;
  if (n <= 64) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < 32; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    for (let i = n - 32; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ n, 0x01000193);
  }
  return h | 0;
}

function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

/** Bit shift that maps a reversed hash or cursor to a position in a table of `len` buckets. */
function shiftOf(len: number): number {
  return Math.clz32(len) + 1;
}

const MIN_SIZE = 4;
/** Entry arrays up to this capacity are compacted when mostly free (bounded, sub-ms work). */
const COMPACT_MAX = 1 << 16;

/**
 * The index. With `values` (the keyspace's dict, see dict.ts) each entry also holds a value and
 * the index answers lookups itself; without, it only tracks which keys exist.
 */
export class ScanIndex<V = never> {
  /** Entry id → key; undefined for free ids (slot 0 is never used: 0 means "no entry"). */
  #keys: (string | undefined)[] = [undefined];
  /** Entry id → value, when constructed with values (else null). */
  #vals: (V | undefined)[] | null;
  /** Entry id → bit-reversed hash (its position in a table of 2^n buckets is the top n bits). */
  #hashes: Int32Array = new Int32Array(MIN_SIZE + 1);
  /** Entry id → next id in its bucket chain, or in the free list. */
  #next: Int32Array = new Int32Array(MIN_SIZE + 1);
  #freeHead = 0;
  #t0: Int32Array = new Int32Array(MIN_SIZE);
  #t1: Int32Array | null = null;
  #rehashIdx = 0;
  size = 0;

  constructor(values = false) {
    this.#vals = values ? [undefined] : null;
  }

  add(key: string): void {
    this.#insert(key, rev32(hash(key)) | 0);
  }

  /** Adds an entry known to be absent, under its reversed hash; returns its id. */
  #insert(key: string, rh: number): number {
    if (this.#t1) this.#rehashStep(1);
    const e = this.#alloc();
    this.#keys[e] = key;
    this.#hashes[e] = rh;
    const t = this.#t1 ?? this.#t0;
    const i = rh >>> shiftOf(t.length);
    this.#next[e] = t[i];
    t[i] = e;
    this.size++;
    if (!this.#t1 && this.size > this.#t0.length) this.#startResize(this.#t0.length * 2);
    return e;
  }

  /** The entry id of `key` (0 when absent). */
  #find(key: string, rh: number): number {
    const hashes = this.#hashes;
    const keys = this.#keys;
    const next = this.#next;
    let t = this.#t0;
    for (let e = t[rh >>> shiftOf(t.length)]; e !== 0; e = next[e]) {
      if (hashes[e] === rh && keys[e] === key) return e;
    }
    if (this.#t1 === null) return 0;
    t = this.#t1;
    for (let e = t[rh >>> shiftOf(t.length)]; e !== 0; e = next[e]) {
      if (hashes[e] === rh && keys[e] === key) return e;
    }
    return 0;
  }

  /** The value of `key` (index with values only). */
  get(key: string): V | undefined {
    const e = this.#find(key, rev32(hash(key)) | 0);
    return e === 0 ? undefined : this.#vals![e];
  }

  has(key: string): boolean {
    return this.#find(key, rev32(hash(key)) | 0) !== 0;
  }

  /** Adds `key` unless present (one hash computation); true when it was added. */
  addIfAbsent(key: string): boolean {
    const rh = rev32(hash(key)) | 0;
    if (this.#find(key, rh) !== 0) return false;
    this.#insert(key, rh);
    return true;
  }

  /** Sets the value of `key`, adding it when absent; true when it was added (with values only). */
  put(key: string, value: V): boolean {
    const rh = rev32(hash(key)) | 0;
    let e = this.#find(key, rh);
    const added = e === 0;
    if (added) e = this.#insert(key, rh);
    this.#vals![e] = value;
    return added;
  }

  /** Every key, in entry order (which keys added or removed meanwhile are seen is unspecified). */
  *allKeys(): IterableIterator<string> {
    const keys = this.#keys;
    for (let e = 1; e < keys.length; e++) {
      const k = keys[e];
      if (k !== undefined) yield k;
    }
  }

  remove(key: string): boolean {
    if (this.#t1) this.#rehashStep(1);
    const rh = rev32(hash(key)) | 0;
    if (
      this.#removeFrom(this.#t0, rh, key) || (this.#t1 && this.#removeFrom(this.#t1, rh, key))
    ) {
      this.size--;
      if (!this.#t1 && this.#t0.length > MIN_SIZE && this.size * 8 < this.#t0.length) {
        let n = MIN_SIZE;
        while (n < this.size) n *= 2;
        this.#startResize(n);
      }
      if (!this.#t1 && this.#next.length <= COMPACT_MAX && this.size * 4 < this.#next.length - 1) {
        this.#compact();
      }
      return true;
    }
    return false;
  }

  clear(): void {
    this.#keys = [undefined];
    if (this.#vals) this.#vals = [undefined];
    this.#hashes = new Int32Array(MIN_SIZE + 1);
    this.#next = new Int32Array(MIN_SIZE + 1);
    this.#freeHead = 0;
    this.#t0 = new Int32Array(MIN_SIZE);
    this.#t1 = null;
    this.#rehashIdx = 0;
    this.size = 0;
  }

  /** A free entry id: from the free list, else the next never-used one (growing the arrays). */
  #alloc(): number {
    const f = this.#freeHead;
    if (f !== 0) {
      this.#freeHead = this.#next[f];
      return f;
    }
    const e = this.#keys.length;
    this.#vals?.push(undefined);
    if (e >= this.#next.length) {
      const cap = this.#next.length * 2;
      const h = new Int32Array(cap);
      h.set(this.#hashes);
      this.#hashes = h;
      const n = new Int32Array(cap);
      n.set(this.#next);
      this.#next = n;
    }
    this.#keys.push(undefined);
    return e;
  }

  #removeFrom(t: Int32Array, rh: number, key: string): boolean {
    const i = rh >>> shiftOf(t.length);
    const hashes = this.#hashes;
    const keys = this.#keys;
    const next = this.#next;
    let prev = 0;
    for (let e = t[i]; e !== 0; prev = e, e = next[e]) {
      if (hashes[e] !== rh || keys[e] !== key) continue;
      if (prev === 0) t[i] = next[e];
      else next[prev] = next[e];
      keys[e] = undefined;
      if (this.#vals) this.#vals[e] = undefined;
      next[e] = this.#freeHead;
      this.#freeHead = e;
      return true;
    }
    return false;
  }

  /** Renumbers live entries 1..size (bucket membership is unchanged), freeing the spare room. */
  #compact(): void {
    let cap = MIN_SIZE + 1;
    while (cap < this.size * 2 + 1) cap *= 2;
    const keys: (string | undefined)[] = [undefined];
    const vals = this.#vals ? [undefined] as (V | undefined)[] : null;
    const hashes = new Int32Array(cap);
    const next = new Int32Array(cap);
    const t = this.#t0;
    for (let i = 0; i < t.length; i++) {
      let tail = 0;
      for (let e = t[i]; e !== 0; e = this.#next[e]) {
        const id = keys.length;
        keys.push(this.#keys[e]);
        vals?.push(this.#vals![e]);
        hashes[id] = this.#hashes[e];
        if (tail === 0) t[i] = id;
        else next[tail] = id;
        tail = id;
      }
    }
    this.#keys = keys;
    this.#vals = vals;
    this.#hashes = hashes;
    this.#next = next;
    this.#freeHead = 0;
  }

  #startResize(n: number): void {
    this.#t1 = new Int32Array(n);
    this.#rehashIdx = 0;
  }

  /** Moves up to n buckets of the old table into the new one; returns false when done. */
  #rehashStep(n: number): boolean {
    const t0 = this.#t0;
    const t1 = this.#t1;
    if (!t1) return false;
    const shift = shiftOf(t1.length);
    const hashes = this.#hashes;
    const next = this.#next;
    let empty = n * 10;
    while (n > 0 && this.#rehashIdx < t0.length) {
      let e = t0[this.#rehashIdx];
      if (e === 0) {
        this.#rehashIdx++;
        if (--empty === 0) return true;
        continue;
      }
      while (e !== 0) {
        const after = next[e];
        const i = hashes[e] >>> shift;
        next[e] = t1[i];
        t1[i] = e;
        e = after;
      }
      t0[this.#rehashIdx++] = 0;
      n--;
    }
    if (this.#rehashIdx >= t0.length) {
      this.#t0 = t1;
      this.#t1 = null;
      return false;
    }
    return true;
  }

  /** Rehashes for up to `ms` milliseconds (called from the server's periodic task). */
  rehashFor(ms: number): void {
    if (!this.#t1) return;
    const end = performance.now() + ms;
    while (this.#rehashStep(100)) if (performance.now() > end) return;
  }

  /** Appends the keys of one bucket to `out`. */
  #visit(head: number, out: string[]): void {
    const keys = this.#keys;
    const next = this.#next;
    for (let e = head; e !== 0; e = next[e]) out.push(keys[e]!);
  }

  /**
   * Appends the keys of the bucket(s) at `cursor` to `out` and returns the next cursor (0 when
   * the scan is complete), exactly as Redis's dictScan: the same buckets, the same cursors.
   */
  scanInto(cursor: number, out: string[]): number {
    if (this.size === 0) return 0;
    const r = rev32(cursor >>> 0);
    if (!this.#t1) {
      const s0 = shiftOf(this.#t0.length);
      const p = r >>> s0;
      this.#visit(this.#t0[p], out);
      return rev32(((p + 1) << s0) >>> 0);
    }
    let small = this.#t0;
    let big = this.#t1;
    if (small.length > big.length) [small, big] = [big, small];
    const s0 = shiftOf(small.length);
    const s1 = shiftOf(big.length);
    // The small table's bucket, then every bucket of the big one it splits into: the positions
    // sharing its top bits, from the cursor's own position to the end of that run.
    this.#visit(small[r >>> s0], out);
    const span = (1 << (s0 - s1)) - 1;
    let q = r >>> s1;
    do this.#visit(big[q++], out); while (q & span);
    return rev32((q << s1) >>> 0);
  }

  /** As scanInto, calling `emit` per key (after the visit, so `emit` may change the index). */
  scan(cursor: number, emit: (key: string) => void): number {
    const out: string[] = [];
    const next = this.scanInto(cursor, out);
    for (const k of out) emit(k);
    return next;
  }

  /** A uniformly chosen bucket's random element (as Redis's dictGetRandomKey), or undefined. */
  random(): string | undefined {
    if (this.size === 0) return undefined;
    const next = this.#next;
    for (;;) {
      const t = this.#t1 && Math.random() < 0.5 ? this.#t1 : this.#t0;
      const head = t[Math.floor(Math.random() * t.length)];
      if (head === 0) continue;
      let len = 0;
      for (let e = head; e !== 0; e = next[e]) len++;
      let e = head;
      for (let k = Math.floor(Math.random() * len); k > 0; k--) e = next[e];
      return this.#keys[e]!;
    }
  }
}
