// Redis's HyperLogLog, byte for byte: the "HYLL" header, sparse (run-length) and dense (6-bit
// register) representations, MurmurHash64A and the Ertl estimator of hyperloglog.c (Redis 7.0).
// An HLL is an ordinary string value, so GET returns exactly what Redis would store.

import { MutableString } from "./types.ts";

const HLL_P = 14;
const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
const HLL_ALPHA_INF = 0.721347520444481703680;

const SPARSE_XZERO_BIT = 0x40;
const SPARSE_VAL_BIT = 0x80;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;

// ---------------------------------------------------------------------------------------------
// MurmurHash64A (seed 0xadc83b19), on 32-bit halves: BigInt would be several times slower.

let mulHi = 0;
let mulLo = 0;

/** (ah:al) * (bh:bl) mod 2^64 into mulHi:mulLo, with 16-bit limbs so every product is exact. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a48 = ah >>> 16, a32 = ah & 0xffff, a16 = al >>> 16, a00 = al & 0xffff;
  const b48 = bh >>> 16, b32 = bh & 0xffff, b16 = bl >>> 16, b00 = bl & 0xffff;
  let c00 = a00 * b00;
  let c16 = c00 >>> 16;
  c00 &= 0xffff;
  c16 += a16 * b00;
  let c32 = c16 >>> 16;
  c16 &= 0xffff;
  c16 += a00 * b16;
  c32 += c16 >>> 16;
  c16 &= 0xffff;
  c32 += a32 * b00;
  let c48 = c32 >>> 16;
  c32 &= 0xffff;
  c32 += a16 * b16;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c32 += a00 * b32;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c48 += a48 * b00 + a32 * b16 + a16 * b32 + a00 * b48;
  c48 &= 0xffff;
  mulHi = ((c48 << 16) | c32) >>> 0;
  mulLo = ((c16 << 16) | c00) >>> 0;
}

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;

/** Redis's endian-neutral MurmurHash64A; the 64-bit result is left in hashHi:hashLo. */
let hashHi = 0;
let hashLo = 0;
function murmur64a(data: Uint8Array, seed: number): void {
  const len = data.length;
  mul64(0, len >>> 0, M_HI, M_LO);
  let hh = mulHi >>> 0;
  let hl = (mulLo ^ seed) >>> 0;
  const end = len - (len & 7);
  for (let i = 0; i < end; i += 8) {
    const kl = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
    const kh = (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24)) >>>
      0;
    mul64(kh, kl, M_HI, M_LO);
    // k ^= k >> 47
    let kl2 = (mulLo ^ (mulHi >>> 15)) >>> 0;
    let kh2 = mulHi;
    mul64(kh2, kl2, M_HI, M_LO);
    kh2 = mulHi;
    kl2 = mulLo;
    hh = (hh ^ kh2) >>> 0;
    hl = (hl ^ kl2) >>> 0;
    mul64(hh, hl, M_HI, M_LO);
    hh = mulHi;
    hl = mulLo;
  }
  const rem = len & 7;
  if (rem > 0) {
    for (let j = rem - 1; j >= 0; j--) {
      const b = data[end + j];
      if (j >= 4) hh = (hh ^ (b << (8 * (j - 4)))) >>> 0;
      else hl = (hl ^ (b << (8 * j))) >>> 0;
    }
    mul64(hh, hl, M_HI, M_LO);
    hh = mulHi;
    hl = mulLo;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mul64(hh, hl, M_HI, M_LO);
  hh = mulHi;
  hl = mulLo;
  hl = (hl ^ (hh >>> 15)) >>> 0;
  hashHi = hh;
  hashLo = hl;
}

/** The 64-bit hash of `data` as a bigint (tests and debugging). */
export function murmurHash64A(data: Uint8Array, seed = 0xadc83b19): bigint {
  murmur64a(data, seed);
  return (BigInt(hashHi) << 32n) | BigInt(hashLo);
}

const ctz32 = (x: number): number => 31 - Math.clz32(x & -x);

/** hllPatLen: register index in `patIndex`, returns the length of the 000..1 run (1..51). */
let patIndex = 0;
function patLen(ele: Uint8Array): number {
  murmur64a(ele, 0xadc83b19);
  patIndex = hashLo & HLL_P_MASK;
  const lo = hashLo >>> HLL_P; // 18 bits
  if (lo !== 0) return ctz32(lo) + 1;
  if (hashHi !== 0) return 18 + ctz32(hashHi) + 1;
  return HLL_Q + 1;
}

/** Register index and run length of an element, as Redis computes them. */
export function hllPatLen(ele: Uint8Array): { index: number; count: number } {
  const count = patLen(ele);
  return { index: patIndex, count };
}

// ---------------------------------------------------------------------------------------------
// Header helpers.

/** True when the bytes are a string Redis would accept as an HLL (isHLLObjectOrReply). */
export function isHll(b: Uint8Array): boolean {
  if (b.length < HLL_HDR_SIZE) return false;
  if (b[0] !== 72 || b[1] !== 89 || b[2] !== 76 || b[3] !== 76) return false; // "HYLL"
  if (b[4] > HLL_MAX_ENCODING) return false;
  if (b[4] === HLL_DENSE && b.length !== HLL_DENSE_SIZE) return false;
  return true;
}

export function invalidateCache(b: Uint8Array): void {
  b[15] |= 0x80;
}

export function cacheValid(b: Uint8Array): boolean {
  return (b[15] & 0x80) === 0;
}

export function readCache(b: Uint8Array): number {
  let v = 0;
  for (let i = 7; i >= 0; i--) v = v * 256 + b[8 + i];
  return v;
}

export function writeCache(b: Uint8Array, card: number): void {
  let v = card;
  for (let i = 0; i < 8; i++) {
    b[8 + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** A new, empty HLL: sparse, one XZERO opcode covering all 16384 registers. */
export function createHll(): MutableString {
  const ms = MutableString.from(new Uint8Array(HLL_HDR_SIZE + 2), 32);
  const b = ms.buf;
  b.set([72, 89, 76, 76, HLL_SPARSE]);
  const l = SPARSE_XZERO_MAX_LEN - 1;
  b[16] = (l >> 8) | SPARSE_XZERO_BIT;
  b[17] = l & 0xff;
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Dense representation: 6-bit registers packed LSB first. Reading past the end reads 0 (sds
// strings carry a trailing NUL that the C macros rely on).

function denseGet(r: Uint8Array, off: number, regnum: number): number {
  const byte = off + ((regnum * HLL_BITS) >> 3);
  const fb = (regnum * HLL_BITS) & 7;
  const b0 = r[byte];
  const b1 = byte + 1 < r.length ? r[byte + 1] : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

function denseSet(r: Uint8Array, off: number, regnum: number, val: number): void {
  const byte = off + ((regnum * HLL_BITS) >> 3);
  const fb = (regnum * HLL_BITS) & 7;
  const fb8 = 8 - fb;
  r[byte] = (r[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  if (byte + 1 < r.length) {
    r[byte + 1] = (r[byte + 1] & ~(HLL_REGISTER_MAX >> fb8)) | (val >> fb8);
  }
}

/** hllDenseSet: raises register `index` to `count`; 1 when it changed. */
function denseSetMax(r: Uint8Array, index: number, count: number): number {
  if (count > denseGet(r, HLL_HDR_SIZE, index)) {
    denseSet(r, HLL_HDR_SIZE, index, count);
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Sparse representation: ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx.

const isZero = (op: number) => (op & 0xc0) === 0;
const isXzero = (op: number) => (op & 0xc0) === SPARSE_XZERO_BIT;
const isVal = (op: number) => (op & SPARSE_VAL_BIT) !== 0;
const zeroLen = (op: number) => (op & 0x3f) + 1;
const xzeroLen = (b: Uint8Array, p: number) => (((b[p] & 0x3f) << 8) | b[p + 1]) + 1;
const valValue = (op: number) => ((op >> 2) & 0x1f) + 1;
const valLen = (op: number) => (op & 0x3) + 1;
const valOp = (val: number, len: number) => (((val - 1) << 2) | (len - 1) | SPARSE_VAL_BIT);

/** hllSparseToDense: converts in place (keeps the header); false when the sparse data is corrupt. */
export function sparseToDense(ms: MutableString): boolean {
  const src = ms.bytes();
  if (src[4] === HLL_DENSE) return true;
  const dense = new Uint8Array(HLL_DENSE_SIZE);
  dense.set(src.subarray(0, HLL_HDR_SIZE));
  dense[4] = HLL_DENSE;
  let idx = 0;
  let p = HLL_HDR_SIZE;
  const end = src.length;
  while (p < end) {
    const op = src[p];
    if (isZero(op)) {
      idx += zeroLen(op);
      p++;
    } else if (isXzero(op)) {
      idx += xzeroLen(src, p);
      p += 2;
    } else {
      let runlen = valLen(op);
      const regval = valValue(op);
      if (runlen + idx > HLL_REGISTERS) break; // overflow
      while (runlen--) denseSet(dense, HLL_HDR_SIZE, idx++, regval);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  ms.buf = dense;
  ms.len = HLL_DENSE_SIZE;
  return true;
}

/**
 * hllSparseSet: raises register `index` to `count` in a sparse HLL, splitting and merging
 * opcodes exactly as Redis does, promoting to dense when needed. 1 changed, 0 not, -1 corrupt.
 */
function sparseSet(ms: MutableString, index: number, count: number, sparseMax: number): number {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(ms, index, count);
  ms.reserve(ms.len + 3);
  const b = ms.buf;
  let end = ms.len;
  let p = HLL_HDR_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = b[p];
    let oplen = 1;
    if (isZero(op)) span = zeroLen(op);
    else if (isVal(op)) span = valLen(op);
    else {
      span = xzeroLen(b, p);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p];
  let next = isXzero(op) ? p + 2 : p + 1;
  if (next >= end) next = -1;
  let runlen: number;
  const zero = isZero(op), xzero = isXzero(op), val = !zero && !xzero;
  if (zero) runlen = zeroLen(op);
  else if (xzero) runlen = xzeroLen(b, p);
  else runlen = valLen(op);

  let updated = false;
  if (val) {
    if (valValue(op) >= count) return 0; // case A
    if (runlen === 1) { // case B
      b[p] = valOp(count, 1);
      updated = true;
    }
  }
  if (!updated && zero && runlen === 1) { // case C
    b[p] = valOp(count, 1);
    updated = true;
  }
  if (!updated) {
    // Case D: split the opcode into up to three (worst case XZERO-VAL-XZERO, 5 bytes).
    const seq: number[] = [];
    const last = first + span - 1;
    const pushZeros = (len: number) => {
      if (len > SPARSE_ZERO_MAX_LEN) {
        const l = len - 1;
        seq.push((l >> 8) | SPARSE_XZERO_BIT, l & 0xff);
      } else seq.push(len - 1);
    };
    if (zero || xzero) {
      if (index !== first) pushZeros(index - first);
      seq.push(valOp(count, 1));
      if (index !== last) pushZeros(last - index);
    } else {
      const curval = valValue(op);
      if (index !== first) seq.push(valOp(curval, index - first));
      seq.push(valOp(count, 1));
      if (index !== last) seq.push(valOp(curval, last - index));
    }
    const oldlen = xzero ? 2 : 1;
    const delta = seq.length - oldlen;
    if (delta > 0 && ms.len + delta > sparseMax) return promote(ms, index, count);
    if (delta !== 0 && next >= 0) b.copyWithin(next + delta, next, end);
    ms.len += delta;
    for (let i = 0; i < seq.length; i++) b[p + i] = seq[i];
    end += delta;
  }

  // Step 4: merge adjacent VAL opcodes with the same value, scanning up to 5 from prev.
  p = prev >= 0 ? prev : HLL_HDR_SIZE;
  let scanlen = 5;
  while (p < end && scanlen--) {
    const o = b[p];
    if (isXzero(o)) {
      p += 2;
      continue;
    } else if (isZero(o)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(b[p + 1])) {
      const v1 = valValue(o);
      const v2 = valValue(b[p + 1]);
      if (v1 === v2) {
        const len = valLen(o) + valLen(b[p + 1]);
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(v1, len);
          b.copyWithin(p, p + 1, end);
          ms.len--;
          end--;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(b);
  return 1;
}

function promote(ms: MutableString, index: number, count: number): number {
  if (!sparseToDense(ms)) return -1;
  return denseSetMax(ms.buf, index, count);
}

/** Sets register `index` to at least `count` in either representation (PFMERGE's write step). */
export function hllSet(ms: MutableString, index: number, count: number, sparseMax: number): number {
  if (ms.buf[4] === HLL_DENSE) return denseSetMax(ms.buf, index, count);
  return sparseSet(ms, index, count, sparseMax);
}

/** hllAdd: adds one element; 1 when a register changed, 0 when not, -1 when corrupt. */
export function hllAdd(ms: MutableString, ele: Uint8Array, sparseMax: number): number {
  const count = patLen(ele);
  const enc = ms.buf[4];
  if (enc === HLL_DENSE) return denseSetMax(ms.buf, patIndex, count);
  if (enc === HLL_SPARSE) return sparseSet(ms, patIndex, count, sparseMax);
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Counting.

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The estimate from a register histogram (Ertl's improved estimator, as Redis 7.0). */
function countFromHisto(reghisto: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - reghisto[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += reghisto[j];
    z *= 0.5;
  }
  z += m * sigma(reghisto[0] / m);
  return Math.round(HLL_ALPHA_INF * m * m / z);
}

/** Cardinality of one HLL string; undefined when its sparse data is corrupt. */
export function hllCount(b: Uint8Array): number | undefined {
  const histo = new Int32Array(64);
  if (b[4] === HLL_DENSE) {
    for (let j = 0; j < HLL_REGISTERS; j++) histo[denseGet(b, HLL_HDR_SIZE, j)]++;
  } else {
    let idx = 0;
    let p = HLL_HDR_SIZE;
    const end = b.length;
    while (p < end) {
      const op = b[p];
      if (isZero(op)) {
        const r = zeroLen(op);
        idx += r;
        histo[0] += r;
        p++;
      } else if (isXzero(op)) {
        const r = xzeroLen(b, p);
        idx += r;
        histo[0] += r;
        p += 2;
      } else {
        const r = valLen(op);
        idx += r;
        histo[valValue(op)] += r;
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return undefined;
  }
  return countFromHisto(histo);
}

/** Cardinality of raw one-byte-per-register registers (the multi-key PFCOUNT union). */
export function hllCountRaw(max: Uint8Array): number {
  const histo = new Int32Array(64);
  for (let j = 0; j < HLL_REGISTERS; j++) histo[max[j]]++;
  return countFromHisto(histo);
}

/** hllMerge: max[i] = MAX(max[i], hll[i]); false when the sparse data is corrupt. */
export function hllMerge(max: Uint8Array, b: Uint8Array): boolean {
  if (b[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(b, HLL_HDR_SIZE, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  let i = 0;
  let p = HLL_HDR_SIZE;
  const end = b.length;
  while (p < end) {
    const op = b[p];
    if (isZero(op)) {
      i += zeroLen(op);
      p++;
    } else if (isXzero(op)) {
      i += xzeroLen(b, p);
      p += 2;
    } else {
      let runlen = valLen(op);
      const regval = valValue(op);
      if (runlen + i > HLL_REGISTERS) break;
      while (runlen--) {
        if (regval > max[i]) max[i] = regval;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/** Every register of a dense HLL (PFDEBUG GETREG). */
export function denseRegisters(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let j = 0; j < HLL_REGISTERS; j++) out.push(denseGet(b, HLL_HDR_SIZE, j));
  return out;
}

/** PFDEBUG DECODE's text for a sparse HLL ("Z:8436 v:1,1 …"). */
export function decodeSparse(b: Uint8Array): string {
  const parts: string[] = [];
  let p = HLL_HDR_SIZE;
  while (p < b.length) {
    const op = b[p];
    if (isZero(op)) {
      parts.push(`z:${zeroLen(op)}`);
      p++;
    } else if (isXzero(op)) {
      parts.push(`Z:${xzeroLen(b, p)}`);
      p += 2;
    } else {
      parts.push(`v:${valValue(op)},${valLen(op)}`);
      p++;
    }
  }
  return parts.join(" ");
}
