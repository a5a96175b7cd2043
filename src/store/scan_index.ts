// A bucketed index of keys that gives SCAN Redis's cursor guarantee (every element present for
// the whole scan is returned at least once, even while the table grows or shrinks) and O(1)
// random picks. It mirrors Redis's dict: power-of-two tables, incremental rehashing, and the
// reverse-binary cursor of dictScan(). The Map beside it stays the source of truth for values.

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
  return h >>> 0;
}

function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

type Table = (string[] | undefined)[];
const MIN_SIZE = 4;

export class ScanIndex {
  #t0: Table = new Array(MIN_SIZE);
  #t1: Table | null = null;
  #rehashIdx = 0;
  size = 0;

  add(key: string): void {
    if (this.#t1) this.#rehashStep(1);
    const t = this.#t1 ?? this.#t0;
    const i = hash(key) & (t.length - 1);
    const b = t[i];
    if (b) b.push(key);
    else t[i] = [key];
    this.size++;
    if (!this.#t1 && this.size > this.#t0.length) this.#startResize(this.#t0.length * 2);
  }

  remove(key: string): boolean {
    if (this.#t1) this.#rehashStep(1);
    const h = hash(key);
    if (this.#removeFrom(this.#t0, h, key) || (this.#t1 && this.#removeFrom(this.#t1, h, key))) {
      this.size--;
      if (!this.#t1 && this.#t0.length > MIN_SIZE && this.size * 8 < this.#t0.length) {
        let n = MIN_SIZE;
        while (n < this.size) n *= 2;
        this.#startResize(n);
      }
      return true;
    }
    return false;
  }

  clear(): void {
    this.#t0 = new Array(MIN_SIZE);
    this.#t1 = null;
    this.#rehashIdx = 0;
    this.size = 0;
  }

  #removeFrom(t: Table, h: number, key: string): boolean {
    const i = h & (t.length - 1);
    const b = t[i];
    if (!b) return false;
    const j = b.indexOf(key);
    if (j < 0) return false;
    const last = b.pop()!;
    if (j < b.length) b[j] = last;
    if (b.length === 0) t[i] = undefined;
    return true;
  }

  #startResize(n: number): void {
    this.#t1 = new Array(n);
    this.#rehashIdx = 0;
  }

  /** Moves up to n buckets of the old table into the new one; returns false when done. */
  #rehashStep(n: number): boolean {
    const t0 = this.#t0;
    const t1 = this.#t1;
    if (!t1) return false;
    const mask = t1.length - 1;
    let empty = n * 10;
    while (n > 0 && this.#rehashIdx < t0.length) {
      const b = t0[this.#rehashIdx];
      if (!b) {
        this.#rehashIdx++;
        if (--empty === 0) return true;
        continue;
      }
      for (const key of b) {
        const i = hash(key) & mask;
        const d = t1[i];
        if (d) d.push(key);
        else t1[i] = [key];
      }
      t0[this.#rehashIdx++] = undefined;
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

  /**
   * Visits the bucket(s) at `cursor` and returns the next cursor (0 when the scan is complete),
   * exactly as Redis's dictScan.
   */
  scan(cursor: number, emit: (key: string) => void): number {
    let v = cursor >>> 0;
    if (this.size === 0) return 0;
    const visit = (b: string[] | undefined) => {
      if (b) { for (const k of b.slice()) emit(k); }
    };
    if (!this.#t1) {
      const m0 = this.#t0.length - 1;
      visit(this.#t0[v & m0]);
      v = (v | ~m0) >>> 0;
      v = rev32(v);
      v = (v + 1) >>> 0;
      return rev32(v);
    }
    let small = this.#t0;
    let big = this.#t1;
    if (small.length > big.length) [small, big] = [big, small];
    const m0 = small.length - 1;
    const m1 = big.length - 1;
    visit(small[v & m0]);
    do {
      visit(big[v & m1]);
      v = (v | ~m1) >>> 0;
      v = rev32(v);
      v = (v + 1) >>> 0;
      v = rev32(v);
    } while (v & (m0 ^ m1));
    return v;
  }

  /** A uniformly chosen bucket's random element (as Redis's dictGetRandomKey), or undefined. */
  random(): string | undefined {
    if (this.size === 0) return undefined;
    for (;;) {
      const t = this.#t1 && Math.random() < 0.5 ? this.#t1 : this.#t0;
      const b = t[Math.floor(Math.random() * t.length)];
      if (b) return b[Math.floor(Math.random() * b.length)];
    }
  }
}
