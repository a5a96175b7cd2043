// One stream node: the entries Redis would keep in one listpack of its radix tree. Entries are
// packed into two flat typed arrays, and the node also tracks what Redis's listpack would contain
// — its master entry, its tombstones and its exact byte size — because those decide when Redis
// starts a new node and what approximate trimming (`~`) can remove, both visible to clients (XLEN
// after `MAXLEN ~`, XINFO).
//
// `ents` holds per entry its id and body offset. A narrow node stores [ms - master.ms, seq, off]
// (12 bytes; every id within 2^32 ms of the master and with seq < 2^32); a node that meets a
// wider id is converted once to [msHi, msLo, seqHi, seqLo, off] (20 bytes). Bit 31 of `off` marks
// an entry with the master entry's field names, whose body then holds only values.
//
// Body in `data`: for an entry with its own fields a varint field count and field/value pairs,
// else the values only; each string is a varint length and its bytes. Deleted entries are removed
// from the arrays (Redis only flags them) but still counted in `deleted` and `entryBytes`.

import { parseInt64 } from "../util/numbers.ts";
import { diffInt64, StreamId } from "./stream_id.ts";

const TWO32 = 4294967296;
const SAME = 0x80000000;
const OFF = 0x7fffffff;

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

const latin1 = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
};

/** A field/value string of an entry: bytes in node memory, or a master field name (latin1). */
export type EntryPart = Uint8Array | string;

export class StreamNode {
  /** Per live entry: id and body offset (layout in the file header). */
  ents: Uint32Array;
  /** Five words per entry instead of three. */
  wide = false;
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
  /** The master entry's field names (latin1), shared by entries flagged SAME. */
  readonly masterFields: string[];
  /** The last id ever appended (Redis reads it from the listpack, tombstone or not). */
  lastId: StreamId;
  // Probe of the last bound search, relative to the master (narrow layout).
  #pm = 0;
  #ps = 0;

  constructor(readonly master: StreamId, fields: Uint8Array[], capacity = 4) {
    this.ents = new Uint32Array(capacity * 3);
    this.data = new Uint8Array(capacity * 24);
    this.lastId = master;
    this.masterFields = fields.map(latin1);
    let mb = lpIntBytes(fields.length);
    for (const f of fields) mb += lpStringBytes(f);
    this.masterBytes = mb;
  }

  get stride(): number {
    return this.wide ? 5 : 3;
  }

  /** The size Redis's listpack for this node would have (lpBytes). */
  lpBytes(): number {
    return LP_OVERHEAD + lpIntBytes(this.count) + lpIntBytes(this.deleted) + this.masterBytes +
      lpIntBytes(0) + this.entryBytes;
  }

  /** ms - master.ms when it fits the narrow layout, else -1. */
  #narrowMs(id: StreamId): number {
    if (id.seqHi !== 0) return -1;
    const m = this.master;
    if (id.msHi === m.msHi) return id.msLo >= m.msLo ? id.msLo - m.msLo : -1;
    if (id.msHi === m.msHi + 1 && id.msLo < m.msLo) return id.msLo + TWO32 - m.msLo;
    return -1;
  }

  #widen(): void {
    const n = this.count;
    const ents = new Uint32Array(Math.max(n + 1, 4) * 5);
    for (let i = 0; i < n; i++) {
      const id = this.idAt(i);
      ents.set([id.msHi, id.msLo, id.seqHi, id.seqLo, this.ents[i * 3 + 2]], i * 5);
    }
    this.ents = ents;
    this.wide = true;
  }

  #reserve(entries: number, bytes: number): void {
    const st = this.stride;
    if (entries * st > this.ents.length) {
      const ents = new Uint32Array(Math.max(entries, (this.ents.length / st) * 2) * st);
      ents.set(this.ents.subarray(0, this.count * st));
      this.ents = ents;
    }
    if (bytes > this.data.length) {
      const data = new Uint8Array(Math.max(bytes, this.data.length * 2));
      data.set(this.data.subarray(0, this.dataLen));
      this.data = data;
    }
  }

  /** Appends an entry whose body is already encoded (DUMP payloads) or about to be. */
  #push(id: StreamId, same: boolean, bodyBytes: number): number {
    let d = this.wide ? -1 : this.#narrowMs(id);
    if (d < 0 && !this.wide) this.#widen();
    this.#reserve(this.count + 1, this.dataLen + bodyBytes);
    const e = this.ents;
    const off = this.dataLen | (same ? SAME : 0);
    if (this.wide) {
      const k = this.count * 5;
      e[k] = id.msHi;
      e[k + 1] = id.msLo;
      e[k + 2] = id.seqHi;
      e[k + 3] = id.seqLo;
      e[k + 4] = off;
    } else {
      const k = this.count * 3;
      e[k] = d;
      e[k + 1] = id.seqLo;
      e[k + 2] = off;
    }
    d = this.dataLen;
    this.count++;
    this.lastId = id;
    return d;
  }

  /** Appends an entry: `pairs` field/value pairs starting at argv[from]. */
  append(id: StreamId, argv: Uint8Array[], from: number, pairs: number): void {
    const mf = this.masterFields;
    let same = pairs === mf.length;
    for (let i = 0; same && i < pairs; i++) {
      const a = argv[from + 2 * i];
      const b = mf[i];
      if (a.length !== b.length) same = false;
      for (let j = 0; same && j < a.length; j++) if (a[j] !== b.charCodeAt(j)) same = false;
    }
    let need = 5;
    for (let i = 0; i < pairs * 2; i++) need += argv[from + i].length + 5;
    let o = this.#push(id, same, need);
    const d = this.data;
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
  }

  /** Appends an entry from its stored form (DUMP payloads). */
  appendRaw(id: StreamId, same: boolean, body: Uint8Array): void {
    const o = this.#push(id, same, body.length);
    this.data.set(body, o);
    this.dataLen = o + body.length;
  }

  /** Whether entry i uses the master's field names, and its stored body (DUMP). */
  rawAt(i: number): [boolean, Uint8Array] {
    const [start, end, same] = this.#span(i);
    return [same, this.data.subarray(start, end)];
  }

  #span(i: number): [number, number, boolean] {
    const st = this.stride;
    const off = this.ents[i * st + st - 1];
    const end = i + 1 < this.count ? this.ents[(i + 1) * st + st - 1] & OFF : this.dataLen;
    return [off & OFF, end, off >= SAME];
  }

  /** Drops spare capacity once the node is full (Redis's lpShrinkToFit). */
  shrink(): void {
    const used = this.count * this.stride;
    if (this.ents.length > used) this.ents = this.ents.slice(0, used);
    if (this.data.length > this.dataLen) this.data = this.data.slice(0, this.dataLen);
  }

  idAt(i: number): StreamId {
    const e = this.ents;
    if (this.wide) return new StreamId(e[i * 5], e[i * 5 + 1], e[i * 5 + 2], e[i * 5 + 3]);
    const m = this.master;
    let lo = m.msLo + e[i * 3];
    let hi = m.msHi;
    if (lo >= TWO32) {
      lo -= TWO32;
      hi++;
    }
    return new StreamId(hi, lo, 0, e[i * 3 + 1]);
  }

  /** Sets the probe for comparisons against `id` in the narrow layout. */
  #setProbe(id: StreamId): void {
    const m = this.master;
    const dHi = id.msHi - m.msHi;
    let d: number;
    if (dHi < 0) d = -1;
    else if (dHi === 0) d = id.msLo >= m.msLo ? id.msLo - m.msLo : -1;
    else if (dHi === 1) d = Math.min(id.msLo + TWO32 - m.msLo, TWO32);
    else d = TWO32;
    this.#pm = d;
    this.#ps = id.seqHi > 0 ? TWO32 : id.seqLo;
  }

  /** Compares entry i with the probe (narrow) or with `id` (wide). */
  #cmp(i: number, id: StreamId): number {
    const e = this.ents;
    if (!this.wide) {
      const a = e[i * 3], pm = this.#pm;
      if (a !== pm) return a < pm ? -1 : 1;
      const s = e[i * 3 + 1], ps = this.#ps;
      return s === ps ? 0 : s < ps ? -1 : 1;
    }
    const k = i * 5;
    let a = e[k], b = id.msHi;
    if (a === b) {
      a = e[k + 1];
      b = id.msLo;
      if (a === b) {
        a = e[k + 2];
        b = id.seqHi;
        if (a === b) {
          a = e[k + 3];
          b = id.seqLo;
        }
      }
    }
    return a === b ? 0 : a < b ? -1 : 1;
  }

  /** Index of the first live entry with id >= `id` (count when none); `strict`: id > `id`. */
  #bound(id: StreamId, strict: boolean): number {
    if (!this.wide) this.#setProbe(id);
    let lo = 0, hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.#cmp(mid, id);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  lowerBound(id: StreamId): number {
    return this.#bound(id, false);
  }

  upperBound(id: StreamId): number {
    return this.#bound(id, true);
  }

  /** True when live entry i has exactly this id. */
  hasAt(i: number, id: StreamId): boolean {
    if (i >= this.count) return false;
    if (!this.wide) this.#setProbe(id);
    return this.#cmp(i, id) === 0;
  }

  /** Field/value pairs of live entry i, flattened ([f1, v1, f2, v2, …]). */
  fieldsValues(i: number): EntryPart[] {
    const d = this.data;
    const [start, , same] = this.#span(i);
    let o = start;
    const out: EntryPart[] = [];
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
    const st = this.stride;
    const e = this.ents;
    const start = e[from * st + st - 1] & OFF;
    const end = to < this.count ? e[to * st + st - 1] & OFF : this.dataLen;
    const gap = end - start;
    this.data.copyWithin(start, end, this.dataLen);
    this.dataLen -= gap;
    for (let i = to; i < this.count; i++) {
      const k = i * st + st - 1;
      e[k] = ((e[k] & OFF) - gap) | (e[k] >= SAME ? SAME : 0);
    }
    e.copyWithin(from * st, to * st, this.count * st);
    this.count -= n;
    this.deleted += n;
  }

  /** Bytes this node holds in memory (MEMORY USAGE, the memory-per-entry measurement). */
  memoryUsage(): number {
    let m = 1000 + this.ents.byteLength + this.data.byteLength;
    for (const f of this.masterFields) m += 24 + f.length;
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
