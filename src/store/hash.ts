// Hash values. Small hashes are a flat [field, value, field, value, …] array scanned linearly
// (Redis's "listpack"); past hash-max-listpack-entries / -value they become a Map plus a ScanIndex
// for HSCAN's cursor guarantee ("hashtable"), once and for good, exactly when Redis converts.
// Fields and values are latin1 binary strings: binary-safe and far lighter than Uint8Arrays.

import { ScanIndex } from "./scan_index.ts";
import { fairRandom } from "./fair_random.ts";
import type { RedisCollection } from "./types.ts";

/** The conversion thresholds, read live from the config by the commands. */
export interface HashLimits {
  maxEntries: number;
  maxValue: number;
}

export class RedisHash implements RedisCollection {
  readonly type = "hash" as const;
  /** The listpack encoding; null once converted. */
  #pairs: string[] | null = [];
  #map: Map<string, string> | null = null;
  #index: ScanIndex | null = null;

  get size(): number {
    return this.#map ? this.#map.size : this.#pairs!.length >> 1;
  }

  encoding(): string {
    return this.#map ? "hashtable" : "listpack";
  }

  get isCompact(): boolean {
    return this.#map === null;
  }

  #find(field: string): number {
    const p = this.#pairs!;
    for (let i = 0; i < p.length; i += 2) if (p[i] === field) return i;
    return -1;
  }

  get(field: string): string | undefined {
    if (this.#map) return this.#map.get(field);
    const i = this.#find(field);
    return i < 0 ? undefined : this.#pairs![i + 1];
  }

  has(field: string): boolean {
    return this.#map ? this.#map.has(field) : this.#find(field) >= 0;
  }

  /**
   * Converts to a hashtable if any of `strings` is longer than the listpack value limit, as
   * hashTypeTryConversion does with a command's arguments before writing any of them.
   */
  tryConversion(strings: Iterable<string>, limits: HashLimits): void {
    if (this.#map) return;
    for (const s of strings) {
      if (s.length > limits.maxValue) return this.#convert();
    }
  }

  /** Sets a field (hashTypeSet); true when the field is new. May convert to a hashtable. */
  set(field: string, value: string, limits: HashLimits): boolean {
    if (!this.#map && (field.length > limits.maxValue || value.length > limits.maxValue)) {
      this.#convert();
    }
    if (this.#map) {
      const isNew = !this.#map.has(field);
      this.#map.set(field, value);
      if (isNew) this.#index!.add(field);
      return isNew;
    }
    const p = this.#pairs!;
    const i = this.#find(field);
    if (i >= 0) p[i + 1] = value;
    else p.push(field, value);
    // Redis checks after every write, updates included (the limit may have been lowered).
    if (p.length >> 1 > limits.maxEntries) this.#convert();
    return i < 0;
  }

  delete(field: string): boolean {
    if (this.#map) {
      if (!this.#map.delete(field)) return false;
      this.#index!.remove(field);
      return true;
    }
    const i = this.#find(field);
    if (i < 0) return false;
    this.#pairs!.splice(i, 2); // at most 2 × hash-max-listpack-entries items
    return true;
  }

  /** Visits every pair: insertion order for a listpack (as Redis), Map order otherwise. */
  forEach(fn: (field: string, value: string) => void): void {
    if (this.#map) {
      for (const [f, v] of this.#map) fn(f, v);
      return;
    }
    const p = this.#pairs!;
    for (let i = 0; i < p.length; i += 2) fn(p[i], p[i + 1]);
  }

  /** A random field (the hash must not be empty). */
  randomField(): string {
    const map = this.#map;
    if (map) return fairRandom(this.#index!, map.size, () => map.keys());
    const p = this.#pairs!;
    return p[2 * Math.floor(Math.random() * (p.length >> 1))];
  }

  /**
   * One step of HSCAN over a hashtable (ScanIndex's reverse-binary cursor). Listpacks are
   * returned whole by the caller, as Redis does for compact encodings.
   */
  scanStep(cursor: number, emit: (field: string, value: string) => void): number {
    const map = this.#map!;
    return this.#index!.scan(cursor, (f) => {
      const v = map.get(f);
      if (v !== undefined) emit(f, v);
    });
  }

  #convert(): void {
    const p = this.#pairs!;
    const map = new Map<string, string>();
    const index = new ScanIndex();
    for (let i = 0; i < p.length; i += 2) {
      map.set(p[i], p[i + 1]);
      index.add(p[i]);
    }
    this.#map = map;
    this.#index = index;
    this.#pairs = null;
  }

  /** A deep copy in the same encoding (COPY, RESTORE). */
  clone(): RedisHash {
    const h = new RedisHash();
    if (this.#map) {
      h.#pairs = null;
      h.#map = new Map(this.#map);
      h.#index = new ScanIndex();
      for (const f of this.#map.keys()) h.#index.add(f);
    } else h.#pairs = this.#pairs!.slice();
    return h;
  }

  /** Forces the hashtable encoding (used when restoring a hash that was a hashtable). */
  toHashtable(): void {
    if (!this.#map) this.#convert();
  }

  /** Estimated bytes; like MEMORY USAGE's sampling, sizes up to 64 entries and extrapolates. */
  memoryUsage(): number {
    const n = this.size;
    const perEntry = this.#map ? 96 : 32;
    let sampled = 0;
    let bytes = 0;
    if (this.#map) {
      for (const [f, v] of this.#map) {
        bytes += f.length + v.length;
        if (++sampled === 64) break;
      }
    } else {
      const p = this.#pairs!;
      for (let i = 0; i < p.length && sampled < 64; i += 2, sampled++) {
        bytes += p[i].length + p[i + 1].length;
      }
    }
    const avg = sampled === 0 ? 0 : bytes / sampled;
    return Math.round(48 + n * (perEntry + avg));
  }
}
