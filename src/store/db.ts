// One logical database: the keyspace dict, the expires dict and the SCAN index, with lazy expiry.
// Like Redis's db.c, this is the only place keys are added or removed.

import { ScanIndex } from "./scan_index.ts";
import { Dict } from "./dict.ts";
import type { Value } from "./types.ts";

/** Called when a key is found expired (lazily or by the active cycle): the write path deletes it. */
export interface ExpiryHooks {
  /** True while keys must not be expired (e.g. during loading or on a replica). */
  expiryPaused(): boolean;
  expired(db: Db, key: string): void;
}

export class Db {
  dict = new Dict<Value>();
  expires = new Map<string, number>();
  index = new ScanIndex();
  /** Last access time per key (ms), for OBJECT IDLETIME. Only kept for keys touched since start. */
  access = new Map<string, number>();
  /**
   * Off until OBJECT IDLETIME / TOUCH is first used (commands/keys_object.ts): from then on reads
   * and writes record access times, so servers that never ask pay nothing.
   */
  trackAccess = false;
  /** Resumable position of the active expire cycle. */
  expireCursor: Iterator<[string, number]> | undefined;
  avgTtl = 0;

  constructor(readonly id: number, readonly hooks: ExpiryHooks) {}

  get size(): number {
    return this.dict.size;
  }

  /**
   * Returns the live value of a key, expiring it first when its time has passed. `touch: false`
   * is Redis's LOOKUP_NOTOUCH (TYPE, EXISTS, TTL, OBJECT: the access time stays).
   */
  get(key: string, touch = true): Value | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0) {
      const at = this.expires.get(key);
      if (at !== undefined && at <= Date.now() && !this.hooks.expiryPaused()) {
        this.hooks.expired(this, key);
        return undefined;
      }
    }
    if (touch && this.trackAccess) this.access.set(key, Date.now());
    return v;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Adds or overwrites a value; keeps the TTL unless `keepTtl` is false. */
  set(key: string, value: Value, keepTtl = false): void {
    if (this.dict.set(key, value)) this.index.add(key);
    else if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    if (this.trackAccess) this.access.set(key, Date.now());
  }

  /** Replaces the value of an existing key in place (TTL kept). */
  replace(key: string, value: Value): void {
    this.dict.set(key, value);
    if (this.trackAccess) this.access.set(key, Date.now());
  }

  delete(key: string): boolean {
    if (!this.dict.delete(key)) return false;
    this.index.remove(key);
    if (this.expires.size !== 0) this.expires.delete(key);
    this.access.delete(key);
    return true;
  }

  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  setExpire(key: string, atMs: number): void {
    this.expires.set(key, atMs);
  }

  persist(key: string): boolean {
    return this.expires.delete(key);
  }

  /** Moves hash-table buckets after a resize for up to `ms` (Redis's incremental rehashing). */
  rehashFor(ms: number): void {
    this.dict.rehashFor(ms);
    this.index.rehashFor(ms);
  }

  /** Drops everything at once; callers with big dbs use `Server.flushDb` which frees in slices. */
  clear(): void {
    this.dict.clear();
    this.expires.clear();
    this.index.clear();
    this.access.clear();
    this.expireCursor = undefined;
  }

  /** SWAPDB: exchanges the contents of two dbs (the Db objects and their ids stay). */
  static swap(a: Db, b: Db): void {
    [a.dict, b.dict] = [b.dict, a.dict];
    [a.expires, b.expires] = [b.expires, a.expires];
    [a.index, b.index] = [b.index, a.index];
    [a.access, b.access] = [b.access, a.access];
    [a.avgTtl, b.avgTtl] = [b.avgTtl, a.avgTtl];
    a.expireCursor = b.expireCursor = undefined;
  }
}
