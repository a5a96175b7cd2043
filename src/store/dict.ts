// The keyspace dict: key → value with the part of the Map interface the server uses. It is a
// ScanIndex with values (chained entries, incremental rehashing), as Redis's dict is, rather than
// a JS Map, because a Map
//   - rehashes all at once when it grows: 60 ms at 0.5M keys, 170 ms at 1M, 270 ms at 2M, during
//     which the server answers nobody (Redis spreads the work over later operations);
//   - cannot hold more than 2^24 (16.7M) entries ("RangeError: Map maximum size exceeded").
// Growing here copies three flat arrays (a few ms at millions of keys) and moves buckets a step at
// a time, and lookups cost about what Map.get costs.

import { ScanIndex } from "./scan_index.ts";

export class Dict<V> {
  #t = new ScanIndex<V>(true);

  get size(): number {
    return this.#t.size;
  }

  get(key: string): V | undefined {
    return this.#t.get(key);
  }

  has(key: string): boolean {
    return this.#t.has(key);
  }

  /** Sets a value; returns true when the key was added (Map.set returns the map instead). */
  set(key: string, value: V): boolean {
    return this.#t.put(key, value);
  }

  delete(key: string): boolean {
    return this.#t.remove(key);
  }

  clear(): void {
    this.#t.clear();
  }

  keys(): IterableIterator<string> {
    return this.#t.allKeys();
  }

  /** Moves buckets to a resized table for up to `ms` (the server's periodic task). */
  rehashFor(ms: number): void {
    this.#t.rehashFor(ms);
  }
}
