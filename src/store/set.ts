// Set values. Sets of integers are an IntSet (sorted, binary search: Redis's "intset") up to
// set-max-intset-entries; a non-integer member or one member too many converts them, once, to a
// Set plus a ScanIndex for SSCAN's cursor guarantee and random picks ("hashtable"). Redis 7.0 has
// no listpack sets. Members are latin1 binary strings.

import { ScanIndex } from "./scan_index.ts";
import { fairRandom } from "./fair_random.ts";
import { intOfMember, IntSet } from "./intset.ts";
import type { RedisCollection } from "./types.ts";

export class RedisSet implements RedisCollection {
  readonly type = "set" as const;
  /** The intset encoding; null once converted. */
  #ints: IntSet | null = new IntSet();
  #members: Set<string> | null = null;
  #index: ScanIndex | null = null;

  get size(): number {
    return this.#members ? this.#members.size : this.#ints!.size;
  }

  encoding(): string {
    return this.#members ? "hashtable" : "intset";
  }

  get isCompact(): boolean {
    return this.#members === null;
  }

  has(member: string): boolean {
    if (this.#members) return this.#members.has(member);
    const v = intOfMember(member);
    return v !== undefined && this.#ints!.has(v);
  }

  /**
   * Adds a member (setTypeAdd); true when it was not there. An intset converts when the member
   * is not an integer or when it grows past `maxIntsetEntries`.
   */
  add(member: string, maxIntsetEntries: number): boolean {
    if (this.#ints) {
      const v = intOfMember(member);
      if (v !== undefined) {
        if (!this.#ints.add(v)) return false;
        if (this.#ints.size > maxIntsetEntries) this.#convert();
        return true;
      }
      this.#convert();
    }
    const m = this.#members!;
    if (m.has(member)) return false;
    m.add(member);
    this.#index!.add(member);
    return true;
  }

  remove(member: string): boolean {
    if (this.#ints) {
      const v = intOfMember(member);
      return v !== undefined && this.#ints.remove(v);
    }
    if (!this.#members!.delete(member)) return false;
    this.#index!.remove(member);
    return true;
  }

  /** Visits every member: ascending for an intset (as Redis), Set order otherwise. */
  forEach(fn: (member: string) => void): void {
    if (this.#members) {
      for (const m of this.#members) fn(m);
      return;
    }
    const ints = this.#ints!;
    for (let i = 0; i < ints.size; i++) fn(ints.memberAt(i));
  }

  /** All members in iteration order. */
  toArray(): string[] {
    const out: string[] = [];
    this.forEach((m) => out.push(m));
    return out;
  }

  /** A random member (the set must not be empty). */
  random(): string {
    const members = this.#members;
    if (members) return fairRandom(this.#index!, members.size, () => members);
    const ints = this.#ints!;
    return ints.memberAt(Math.floor(Math.random() * ints.size));
  }

  /** Removes and returns a random member (the set must not be empty). */
  pop(): string {
    const m = this.random();
    this.remove(m);
    return m;
  }

  /** One step of SSCAN over a hashtable; intsets are returned whole by the caller, as Redis. */
  scanStep(cursor: number, emit: (member: string) => void): number {
    return this.#index!.scan(cursor, emit);
  }

  #convert(): void {
    const members = new Set<string>();
    const index = new ScanIndex();
    this.forEach((m) => {
      members.add(m);
      index.add(m);
    });
    this.#members = members;
    this.#index = index;
    this.#ints = null;
  }

  /** Forces the hashtable encoding (restoring a set that was a hashtable). */
  toHashtable(): void {
    if (this.#ints) this.#convert();
  }

  /** A deep copy in the same encoding (COPY, RESTORE). */
  clone(): RedisSet {
    const s = new RedisSet();
    const ints = this.#ints;
    if (ints) {
      for (let i = 0; i < ints.size; i++) s.#ints!.add(ints.at(i));
    } else {
      s.#convert();
      for (const m of this.#members!) {
        s.#members!.add(m);
        s.#index!.add(m);
      }
    }
    return s;
  }

  /** Estimated bytes; samples up to 64 members of a hashtable and extrapolates. */
  memoryUsage(): number {
    if (this.#ints) return 48 + this.#ints.bytes;
    let sampled = 0;
    let bytes = 0;
    for (const m of this.#members!) {
      bytes += m.length;
      if (++sampled === 64) break;
    }
    const avg = sampled === 0 ? 0 : bytes / sampled;
    return Math.round(48 + this.size * (80 + avg));
  }
}
