// One stream node: the entries Redis would keep in one listpack of its radix tree. Entries are
// packed into flat typed arrays (ids as four u32 halves, one byte buffer of fields and values), and
// the node also tracks what Redis's listpack would contain — its master entry, its tombstones and
// its exact byte size — because those decide when Redis starts a new node and what approximate
// trimming (`~`) can remove, both visible to clients (XLEN after `MAXLEN ~`, XINFO).
//
// Entry body in `data`: a flags byte (1 = same fields as the master entry), then for an entry with
// its own fields a varint field count and field/value pairs, else the values only; each string is
// a varint length and its bytes. Deleted entries are removed from the arrays (Redis only flags
// them) but still counted in `deleted` and `entryBytes`, as in Redis.

import { parseInt64 } from "../util/numbers.ts";
import { diffInt64, StreamId } from "./stream_id.ts";

const SAME_FIELDS = 1;

/** Bytes of one listpack integer element (encoding + backlen), lpEncodeIntegerGetType. */
export function lpIntBytes(v: number): number {
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

/** Bytes of one listpack element holding `b` (stored as an integer when it reads as one). */
export function lpStringBytes(b: Uint8Array): number {
  if (b.length <= 20 && b.length > 0) {
    const n = parseInt64(b);
    if (n !== undefined) return typeof n === "number" ? lpIntBytes(n) : 10;
  }
  const len = b.length;
  const enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return enc + (enc <= 127 ? 1 : enc < 16383 ? 2 : enc < 2097151 ? 3 : enc < 268435455 ? 4 : 5);
}

/** Listpack header (total bytes + element count) and end byte. */
const LP_OVERHEAD = 7;

export class StreamNode {
  /** Live entries' ids, four u32 halves each. */
  ids: Uint32Array;
  /** Start of each live entry's body in `data`. */
  offs: Uint32Array;
  data: Uint8Array;
  dataLen = 0;
  /** Live entries. */
  count = 0;
  /** Entries deleted but still inside Redis's listpack (tombstones). */
  deleted = 0;
  /** Σ listpack bytes of every entry appended here, tombstones included. */
  entryBytes = 0;
  /** Listpack bytes of the master entry's field list (num-fields + fields). */
  readonly masterBytes: number;
  /** The last id ever appended (Redis reads it from the listpack, tombstone or not). */
  lastId: StreamId;

  constructor(readonly master: StreamId, readonly masterFields: Uint8Array[], capacity = 4) {
    this.ids = new Uint32Array(capacity * 4);
    this.offs = new Uint32Array(capacity);
    this.data = new Uint8Array(capacity * 32);
    this.lastId = master;
    let mb = lpIntBytes(masterFields.length);
    for (const f of masterFields) mb += lpStringBytes(f);
    this.masterBytes = mb;
  }

  /** The size Redis's listpack for this node would have (lpBytes). */
  lpBytes(): number {
    return LP_OVERHEAD + lpIntBytes(this.count) + lpIntBytes(this.deleted) + this.masterBytes +
      lpIntBytes(0) + this.entryBytes;
  }

  /** True when an entry with these fields (argv[from], argv[from+2], …) can omit them. */
  #sameFields(argv: Uint8Array[], from: number, pairs: number): boolean {
    const mf = this.masterFields;
    if (pairs !== mf.length) return false;
    for (let i = 0; i < pairs; i++) {
      const a = argv[from + 2 * i];
      const b = mf[i];
      if (a.length !== b.length) return false;
      for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
    }
    return true;
  }

  #reserve(entries: number, bytes: number): void {
    if (entries > this.offs.length) {
      const cap = Math.max(entries, this.offs.length * 2);
      const ids = new Uint32Array(cap * 4);
      ids.set(this.ids.subarray(0, this.count * 4));
      this.ids = ids;
      const offs = new Uint32Array(cap);
      offs.set(this.offs.subarray(0, this.count));
      this.offs = offs;
    }
    if (bytes > this.data.length) {
      const data = new Uint8Array(Math.max(bytes, this.data.length * 2));
      data.set(this.data.subarray(0, this.dataLen));
      this.data = data;
    }
  }

  /** Appends an entry: `pairs` field/value pairs starting at argv[from]. */
  append(id: StreamId, argv: Uint8Array[], from: number, pairs: number): void {
    const same = this.#sameFields(argv, from, pairs);
    let need = 1 + 5;
    for (let i = 0; i < pairs * 2; i++) need += argv[from + i].length + 5;
    this.#reserve(this.count + 1, this.dataLen + need);
    const n = this.count;
    const ids = this.ids;
    ids[n * 4] = id.msHi;
    ids[n * 4 + 1] = id.msLo;
    ids[n * 4 + 2] = id.seqHi;
    ids[n * 4 + 3] = id.seqLo;
    this.offs[n] = this.dataLen;
    const d = this.data;
    let o = this.dataLen;
    d[o++] = same ? SAME_FIELDS : 0;
    if (!same) o = putVarint(d, o, pairs);
    // Listpack bytes: flags, ms-diff, seq-diff, [num-fields, fields], values, lp-count.
    const m = this.master;
    let lp = lpIntBytes(same ? 2 : 0) + lpIntBytes(diffInt64(id.msHi, id.msLo, m.msHi, m.msLo)) +
      lpIntBytes(diffInt64(id.seqHi, id.seqLo, m.seqHi, m.seqLo));
    if (!same) lp += lpIntBytes(pairs);
    for (let i = 0; i < pairs; i++) {
      if (!same) {
        const f = argv[from + 2 * i];
        o = putVarint(d, o, f.length);
        d.set(f, o);
        o += f.length;
        lp += lpStringBytes(f);
      }
      const v = argv[from + 2 * i + 1];
      o = putVarint(d, o, v.length);
      d.set(v, o);
      o += v.length;
      lp += lpStringBytes(v);
    }
    lp += lpIntBytes(same ? pairs + 3 : pairs * 2 + 4);
    this.dataLen = o;
    this.entryBytes += lp;
    this.count++;
    this.lastId = id;
  }

  /** Drops spare capacity once the node is full (Redis's lpShrinkToFit). */
  shrink(): void {
    if (this.offs.length > this.count) {
      this.ids = this.ids.slice(0, this.count * 4);
      this.offs = this.offs.slice(0, this.count);
    }
    if (this.data.length > this.dataLen) this.data = this.data.slice(0, this.dataLen);
  }

  idAt(i: number): StreamId {
    const ids = this.ids;
    return new StreamId(ids[i * 4], ids[i * 4 + 1], ids[i * 4 + 2], ids[i * 4 + 3]);
  }

  /** Compares live entry i's id with `id`. */
  cmpAt(i: number, id: StreamId): number {
    const ids = this.ids;
    const k = i * 4;
    let a = ids[k], b = id.msHi;
    if (a === b) {
      a = ids[k + 1];
      b = id.msLo;
      if (a === b) {
        a = ids[k + 2];
        b = id.seqHi;
        if (a === b) {
          a = ids[k + 3];
          b = id.seqLo;
        }
      }
    }
    return a === b ? 0 : a < b ? -1 : 1;
  }

  /** Index of the first live entry with id >= `id` (count when none). */
  lowerBound(id: StreamId): number {
    let lo = 0, hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpAt(mid, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first live entry with id > `id` (count when none). */
  upperBound(id: StreamId): number {
    let lo = 0, hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpAt(mid, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Field/value pairs of live entry i, flattened ([f1, v1, f2, v2, …]), as views. */
  fieldsValues(i: number): Uint8Array[] {
    const d = this.data;
    let o = this.offs[i];
    const same = d[o++] === SAME_FIELDS;
    const out: Uint8Array[] = [];
    let pairs: number;
    if (same) pairs = this.masterFields.length;
    else {
      pairs = getVarint(d, o);
      o = varintEnd;
    }
    for (let p = 0; p < pairs; p++) {
      let len: number;
      if (same) out.push(this.masterFields[p]);
      else {
        len = getVarint(d, o);
        o = varintEnd;
        out.push(d.subarray(o, o + len));
        o += len;
      }
      len = getVarint(d, o);
      o = varintEnd;
      out.push(d.subarray(o, o + len));
      o += len;
    }
    return out;
  }

  /** Turns live entries [from, to) into tombstones. */
  removeRange(from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    const start = this.offs[from];
    const end = to < this.count ? this.offs[to] : this.dataLen;
    const gap = end - start;
    this.data.copyWithin(start, end, this.dataLen);
    this.dataLen -= gap;
    for (let i = to; i < this.count; i++) this.offs[i - n] = this.offs[i] - gap;
    this.ids.copyWithin(from * 4, to * 4, this.count * 4);
    this.count -= n;
    this.deleted += n;
  }

  /** Bytes this node holds in memory (MEMORY USAGE, the memory-per-entry measurement). */
  memoryUsage(): number {
    let m = 160 + this.ids.byteLength + this.offs.byteLength + this.data.byteLength;
    for (const f of this.masterFields) m += 16 + f.length;
    return m;
  }
}

function putVarint(d: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) {
    d[o++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  d[o++] = v;
  return o;
}

/** Where the last getVarint stopped (a module variable: no tuple per read on the hot path). */
let varintEnd = 0;

function getVarint(d: Uint8Array, o: number): number {
  let b = d[o++];
  let v = b & 0x7f;
  let mul = 128;
  while (b & 0x80) {
    b = d[o++];
    v += (b & 0x7f) * mul;
    mul *= 128;
  }
  varintEnd = o;
  return v;
}
