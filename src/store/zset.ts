// Sorted-set values (Redis's t_zset.c). Small sets are two parallel arrays sorted by (score,
// member) — Redis's "listpack" — and become a skip list plus a member → node id Map ("skiplist") past
// zset-max-listpack-entries / -value, exactly when Redis 7.0 converts. Members are latin1 strings.

import { ScanIndex } from "./scan_index.ts";
import type { RedisCollection } from "./types.ts";
import {
  gteMin,
  lexGteMin,
  lexLteMax,
  type LexRange,
  lteMax,
  type ScoreRange,
} from "./zset_ranges.ts";
import { NIL, SkipList } from "./skiplist.ts";
import { DumpFormatError } from "./dump.ts";
import {
  lpFirstInLex,
  lpFirstInRange,
  lpInsert,
  lpLastInLex,
  lpLastInRange,
} from "./zset_listpack.ts";

/** Conversion thresholds (zset-max-listpack-entries / zset-max-listpack-value). */
export interface ZsetLimits {
  maxEntries: number;
  maxValue: number;
}

/** ZADD input flags and output flags, as Redis's ZADD_IN_* / ZADD_OUT_*. */
export const ZADD_NX = 1, ZADD_XX = 2, ZADD_GT = 4, ZADD_LT = 8, ZADD_INCR = 16;
export const ZADD_NOP = 1, ZADD_NAN = 2, ZADD_ADDED = 4, ZADD_UPDATED = 8;

/** Receives entries in order; returning `false` stops a range walk early (GEO's ANY). */
export type Emit = (member: string, score: number) => unknown;

/** Limits used when a value is built outside a command (RESTORE, WAL replay); kept current. */
export const loadLimits: ZsetLimits = { maxEntries: 128, maxValue: 64 };

export class ZSet implements RedisCollection {
  readonly type = "zset" as const;
  /** The listpack encoding (null once converted). */
  #members: string[] | null = [];
  #scores: number[] | null = [];
  /** The skiplist encoding: the list, member → node id, and the ZSCAN cursor index. */
  #zsl: SkipList | null = null;
  #dict: Map<string, number> | null = null;
  #index: ScanIndex | null = null;
  /** The member's score after the last `add` (ZADD INCR replies it). */
  newScore = 0;

  /** An empty set in the encoding ZADD picks for a new key from its first member's length. */
  static forFirstMember(len: number, limits: ZsetLimits): ZSet {
    const z = new ZSet();
    if (limits.maxEntries === 0 || len > limits.maxValue) z.#convertToSkiplist();
    return z;
  }

  /** An empty set in the skiplist encoding (createZsetObject). */
  static skiplist(): ZSet {
    const z = new ZSet();
    z.#convertToSkiplist();
    return z;
  }

  get size(): number {
    return this.#zsl ? this.#zsl.length : this.#members!.length;
  }

  encoding(): string {
    return this.#zsl ? "skiplist" : "listpack";
  }

  get isCompact(): boolean {
    return this.#zsl === null;
  }

  score(member: string): number | undefined {
    if (this.#dict) {
      const id = this.#dict.get(member);
      return id === undefined ? undefined : this.#zsl!.score(id);
    }
    const i = this.#members!.indexOf(member);
    return i < 0 ? undefined : this.#scores![i];
  }

  /** ZADD/ZINCRBY on one member (zsetAdd): returns ZADD_* output flags; sets `newScore`. */
  add(member: string, score: number, flags: number, limits: ZsetLimits): number {
    if (Number.isNaN(score)) return ZADD_NAN;
    const cur = this.score(member);
    if (cur !== undefined) {
      if (flags & ZADD_NX) return ZADD_NOP;
      if (flags & ZADD_INCR) {
        score += cur;
        if (Number.isNaN(score)) return ZADD_NAN;
      }
      if (((flags & ZADD_LT) && score >= cur) || ((flags & ZADD_GT) && score <= cur)) {
        return ZADD_NOP;
      }
      this.newScore = score;
      if (score === cur) return 0;
      if (this.#zsl) {
        this.#dict!.set(member, this.#zsl.updateScore(cur, member, score));
      } else {
        this.#lpDelete(this.#members!.indexOf(member));
        lpInsert(this.#members!, this.#scores!, member, score);
      }
      return ZADD_UPDATED;
    }
    if (flags & ZADD_XX) return ZADD_NOP;
    if (
      !this.#zsl &&
      (this.#members!.length + 1 > limits.maxEntries || member.length > limits.maxValue)
    ) this.#convertToSkiplist();
    this.#insertNew(member, score);
    this.newScore = score;
    return ZADD_ADDED;
  }

  /** Adds a member known to be absent, without conversion checks (builders, loaders). */
  #insertNew(member: string, score: number): void {
    if (this.#zsl) {
      this.#dict!.set(member, this.#zsl.insert(score, member));
      this.#index!.add(member);
    } else lpInsert(this.#members!, this.#scores!, member, score);
  }

  delete(member: string): boolean {
    if (this.#dict) {
      const id = this.#dict.get(member);
      if (id === undefined) return false;
      this.#zsl!.delete(this.#zsl!.score(id), member);
      this.#forget(member);
      return true;
    }
    const i = this.#members!.indexOf(member);
    if (i < 0) return false;
    this.#lpDelete(i);
    return true;
  }

  /** 0-based rank (from the top when `reverse`), -1 when absent. */
  rank(member: string, reverse: boolean): number {
    const n = this.size;
    let r: number;
    if (this.#dict) {
      const id = this.#dict.get(member);
      if (id === undefined) return -1;
      r = this.#zsl!.rank(this.#zsl!.score(id), member) - 1;
    } else {
      r = this.#members!.indexOf(member);
      if (r < 0) return -1;
    }
    return reverse ? n - 1 - r : r;
  }

  /** Emits ranks start..end (0-based, already clamped), counted from the top when `reverse`. */
  rangeByRank(start: number, end: number, reverse: boolean, emit: Emit): void {
    let n = end - start + 1;
    const zsl = this.#zsl;
    if (zsl) {
      let node = reverse ? zsl.byRank(zsl.length - start) : zsl.byRank(start + 1);
      while (n-- > 0 && node !== NIL) {
        emit(zsl.member(node), zsl.score(node));
        node = reverse ? zsl.prev(node) : zsl.next(node);
      }
      return;
    }
    const m = this.#members!, s = this.#scores!;
    for (let i = start; n-- > 0; i++) {
      const j = reverse ? m.length - 1 - i : i;
      emit(m[j], s[j]);
    }
  }

  /** ZRANGEBYSCORE core: `offset` elements skipped (negative: none returned), `limit` < 0 = all. */
  rangeByScore(r: ScoreRange, offset: number, limit: number, reverse: boolean, emit: Emit): number {
    if (offset < 0 || (offset > 0 && offset >= this.size)) return 0;
    let count = 0;
    const zsl = this.#zsl;
    if (zsl) {
      let node = reverse ? zsl.lastInRange(r) : zsl.firstInRange(r);
      while (node !== NIL && offset-- > 0) node = reverse ? zsl.prev(node) : zsl.next(node);
      while (node !== NIL && limit-- !== 0) {
        const s = zsl.score(node);
        if (reverse ? !gteMin(s, r) : !lteMax(s, r)) break;
        count++;
        if (emit(zsl.member(node), s) === false) break;
        node = reverse ? zsl.prev(node) : zsl.next(node);
      }
      return count;
    }
    const m = this.#members!, s = this.#scores!;
    let i = reverse ? lpLastInRange(this.#scores!, r) : lpFirstInRange(this.#scores!, r);
    if (i < 0) return 0;
    i += reverse ? -offset : offset;
    for (; i >= 0 && i < m.length && limit-- !== 0; i += reverse ? -1 : 1) {
      if (reverse ? !gteMin(s[i], r) : !lteMax(s[i], r)) break;
      count++;
      if (emit(m[i], s[i]) === false) break;
    }
    return count;
  }

  /** ZRANGEBYLEX core, with the same offset/limit rules as rangeByScore. */
  rangeByLex(r: LexRange, offset: number, limit: number, reverse: boolean, emit: Emit): number {
    if (offset < 0) return 0;
    let count = 0;
    const zsl = this.#zsl;
    if (zsl) {
      let node = reverse ? zsl.lastInLexRange(r) : zsl.firstInLexRange(r);
      while (node !== NIL && offset-- > 0) node = reverse ? zsl.prev(node) : zsl.next(node);
      while (node !== NIL && limit-- !== 0) {
        const m = zsl.member(node);
        if (reverse ? !lexGteMin(m, r) : !lexLteMax(m, r)) break;
        emit(m, zsl.score(node));
        count++;
        node = reverse ? zsl.prev(node) : zsl.next(node);
      }
      return count;
    }
    const m = this.#members!, s = this.#scores!;
    let i = reverse ? lpLastInLex(this.#members!, r) : lpFirstInLex(this.#members!, r);
    if (i < 0) return 0;
    i += reverse ? -offset : offset;
    for (; i >= 0 && i < m.length && limit-- !== 0; i += reverse ? -1 : 1) {
      if (reverse ? !lexGteMin(m[i], r) : !lexLteMax(m[i], r)) break;
      emit(m[i], s[i]);
      count++;
    }
    return count;
  }

  /** ZCOUNT: O(log n) through ranks on a skip list. */
  countInRange(r: ScoreRange): number {
    if (this.#zsl) {
      const zsl = this.#zsl;
      const first = zsl.firstInRange(r);
      if (first === NIL) return 0;
      const last = zsl.lastInRange(r);
      return zsl.rank(zsl.score(last), zsl.member(last)) -
        zsl.rank(zsl.score(first), zsl.member(first)) + 1;
    }
    return this.rangeByScore(r, 0, -1, false, () => {});
  }

  countInLex(r: LexRange): number {
    if (this.#zsl) {
      const zsl = this.#zsl;
      const first = zsl.firstInLexRange(r);
      if (first === NIL) return 0;
      const last = zsl.lastInLexRange(r);
      return zsl.rank(zsl.score(last), zsl.member(last)) -
        zsl.rank(zsl.score(first), zsl.member(first)) + 1;
    }
    return this.rangeByLex(r, 0, -1, false, () => {});
  }

  /** Removes ranks start..end (0-based, clamped); returns how many. */
  deleteRangeByRank(start: number, end: number): number {
    if (this.#zsl) return this.#zsl.deleteRangeByRank(start + 1, end + 1, (m) => this.#forget(m));
    this.#members!.splice(start, end - start + 1);
    this.#scores!.splice(start, end - start + 1);
    return end - start + 1;
  }

  deleteRangeByScore(r: ScoreRange): number {
    if (this.#zsl) return this.#zsl.deleteRangeByScore(r, (m) => this.#forget(m));
    const i = lpFirstInRange(this.#scores!, r);
    if (i < 0) return 0;
    let j = i;
    while (j < this.#scores!.length && lteMax(this.#scores![j], r)) j++;
    return this.deleteRangeByRank(i, j - 1);
  }

  deleteRangeByLex(r: LexRange): number {
    if (this.#zsl) return this.#zsl.deleteRangeByLex(r, (m) => this.#forget(m));
    const i = lpFirstInLex(this.#members!, r);
    if (i < 0) return 0;
    let j = i;
    while (j < this.#members!.length && lexLteMax(this.#members![j], r)) j++;
    return this.deleteRangeByRank(i, j - 1);
  }

  /** Removes and returns the lowest (or highest) entry; the set must not be empty. */
  pop(max: boolean): [string, number] {
    const zsl = this.#zsl;
    if (zsl) {
      const node = max ? zsl.tail : zsl.first;
      const out: [string, number] = [zsl.member(node), zsl.score(node)];
      zsl.delete(out[1], out[0]);
      this.#forget(out[0]);
      return out;
    }
    const i = max ? this.#members!.length - 1 : 0;
    const out: [string, number] = [this.#members![i], this.#scores![i]];
    this.#lpDelete(i);
    return out;
  }

  /** Visits every entry in ascending order. */
  forEach(fn: Emit): void {
    const zsl = this.#zsl;
    if (zsl) {
      for (let n = zsl.first; n !== NIL; n = zsl.next(n)) fn(zsl.member(n), zsl.score(n));
      return;
    }
    const m = this.#members!, s = this.#scores!;
    for (let i = 0; i < m.length; i++) fn(m[i], s[i]);
  }

  /** Visits every entry from the highest down, the order Redis's zuiNext iterates in. */
  forEachReverse(fn: Emit): void {
    const zsl = this.#zsl;
    if (zsl) {
      for (let n = zsl.tail; n !== NIL; n = zsl.prev(n)) fn(zsl.member(n), zsl.score(n));
      return;
    }
    const m = this.#members!, s = this.#scores!;
    for (let i = m.length - 1; i >= 0; i--) fn(m[i], s[i]);
  }

  /** A uniformly chosen entry (the set must not be empty). */
  randomEntry(): [string, number] {
    if (this.#dict) {
      const m = this.#index!.random()!;
      return [m, this.#zsl!.score(this.#dict.get(m)!)];
    }
    const i = Math.floor(Math.random() * this.#members!.length);
    return [this.#members![i], this.#scores![i]];
  }

  /** One ZSCAN step over a skiplist (ScanIndex's reverse-binary cursor); listpacks go whole. */
  scanStep(cursor: number, emit: Emit): number {
    const dict = this.#dict!, zsl = this.#zsl!;
    return this.#index!.scan(cursor, (m) => {
      const id = dict.get(m);
      if (id !== undefined) emit(m, zsl.score(id));
    });
  }

  /** Back to a listpack when small enough (zsetConvertToListpackIfNeeded, store commands). */
  shrinkIfSmall(limits: ZsetLimits): void {
    if (!this.#zsl || this.#zsl.length > limits.maxEntries) return;
    const zsl = this.#zsl;
    for (let n = zsl.first; n !== NIL; n = zsl.next(n)) {
      if (zsl.member(n).length > limits.maxValue) return;
    }
    const members: string[] = [], scores: number[] = [];
    this.forEach((m, s) => {
      members.push(m);
      scores.push(s === 0 ? 0 : s);
    });
    this.#zsl = null;
    this.#dict = null;
    this.#index = null;
    this.#members = members;
    this.#scores = scores;
  }

  /** Converts to the skiplist encoding when `n` more entries would not fit a listpack. */
  growFor(n: number, limits: ZsetLimits): void {
    if (!this.#zsl && this.#members!.length + n > limits.maxEntries) this.#convertToSkiplist();
  }

  clone(): ZSet {
    const z = new ZSet();
    if (this.#zsl) {
      z.#convertToSkiplist();
      this.forEachReverse((m, s) => z.#insertNew(m, s));
    } else {
      z.#members = this.#members!.slice();
      z.#scores = this.#scores!.slice();
    }
    return z;
  }

  memoryUsage(): number {
    let bytes = 0;
    let sampled = 0;
    this.rangeByRank(0, Math.min(this.size, 64) - 1, false, (m) => {
      bytes += m.length;
      sampled++;
    });
    const avg = sampled === 0 ? 0 : bytes / sampled;
    return 64 + Math.round(this.size * (avg + (this.#zsl ? 160 : 24)));
  }

  #forget(member: string): void {
    this.#dict!.delete(member);
    this.#index!.remove(member);
  }

  #lpDelete(i: number): void {
    this.#members!.splice(i, 1);
    this.#scores!.splice(i, 1);
  }

  #convertToSkiplist(): void {
    if (this.#zsl) return;
    const m = this.#members!, s = this.#scores!;
    const zsl = new SkipList();
    const dict = new Map<string, number>();
    zsl.onMove = (member, id) => dict.set(member, id);
    this.#zsl = zsl;
    this.#dict = dict;
    this.#index = new ScanIndex();
    this.#members = this.#scores = null;
    for (let i = 0; i < m.length; i++) this.#insertNew(m[i], s[i]);
  }

  /** Builds a set from entries in any order (loaders); encoding as Redis picks after loading. */
  static fromEntries(entries: [string, number][], limits: ZsetLimits): ZSet {
    const z = entries.length > limits.maxEntries ? ZSet.skiplist() : new ZSet();
    for (const [m, s] of entries) {
      if (!z.#zsl && m.length > limits.maxValue) z.#convertToSkiplist();
      if (z.score(m) !== undefined) throw new DumpFormatError("duplicate member");
      z.#insertNew(m, s);
    }
    return z;
  }
}

/** How a listpack prints a stored score (ZSCAN on a listpack): integers plain, else %.17g. */
export function listpackScoreText(score: number, formatDouble: (d: number) => string): string {
  if (Number.isInteger(score) && Math.abs(score) <= 4611686018427387903) {
    return BigInt(score).toString();
  }
  return formatDouble(score);
}
