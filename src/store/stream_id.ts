// Stream entry IDs: <ms>-<seq>, two unsigned 64-bit numbers. They are held exactly, without bigint,
// as four 32-bit halves (the same layout the stream nodes store in their Uint32Arrays), so ids up
// to 18446744073709551615-18446744073709551615 behave as in Redis. Parsing follows Redis's
// streamGenericParseIDOrReply / string2ull quirks ("-0", "+1", " 7" are valid numbers there).

const TWO32 = 4294967296;
const MAX32 = 0xffffffff;
/** Halves below this make a safe integer (2^53 = 2^21 * 2^32). */
const SAFE_HI = 2097152;

export class StreamId {
  constructor(
    readonly msHi: number,
    readonly msLo: number,
    readonly seqHi: number,
    readonly seqLo: number,
  ) {}

  /** An id from safe integers (clock readings, small sequence numbers). */
  static of(ms: number, seq: number): StreamId {
    return new StreamId(Math.floor(ms / TWO32), ms >>> 0, Math.floor(seq / TWO32), seq >>> 0);
  }

  /** The ms part as a number (exact below 2^53, which every clock reading is). */
  get ms(): number {
    return this.msHi * TWO32 + this.msLo;
  }

  get seq(): number {
    return this.seqHi * TWO32 + this.seqLo;
  }

  isZero(): boolean {
    return (this.msHi | this.msLo | this.seqHi | this.seqLo) === 0;
  }

  isMax(): boolean {
    return this.msHi === MAX32 && this.msLo === MAX32 && this.seqHi === MAX32 &&
      this.seqLo === MAX32;
  }

  compare(o: StreamId): number {
    if (this.msHi !== o.msHi) return this.msHi < o.msHi ? -1 : 1;
    if (this.msLo !== o.msLo) return this.msLo < o.msLo ? -1 : 1;
    if (this.seqHi !== o.seqHi) return this.seqHi < o.seqHi ? -1 : 1;
    if (this.seqLo !== o.seqLo) return this.seqLo < o.seqLo ? -1 : 1;
    return 0;
  }

  equals(o: StreamId): boolean {
    return this.msLo === o.msLo && this.seqLo === o.seqLo && this.msHi === o.msHi &&
      this.seqHi === o.seqHi;
  }

  /** streamIncrID: the next id, or undefined after the last possible one. */
  next(): StreamId | undefined {
    if (this.seqLo !== MAX32) return new StreamId(this.msHi, this.msLo, this.seqHi, this.seqLo + 1);
    if (this.seqHi !== MAX32) return new StreamId(this.msHi, this.msLo, this.seqHi + 1, 0);
    if (this.msLo !== MAX32) return new StreamId(this.msHi, this.msLo + 1, 0, 0);
    if (this.msHi !== MAX32) return new StreamId(this.msHi + 1, 0, 0, 0);
    return undefined;
  }

  /** streamDecrID: the previous id, or undefined before 0-0. */
  prev(): StreamId | undefined {
    if (this.seqLo !== 0) return new StreamId(this.msHi, this.msLo, this.seqHi, this.seqLo - 1);
    if (this.seqHi !== 0) return new StreamId(this.msHi, this.msLo, this.seqHi - 1, MAX32);
    if (this.msLo !== 0) return new StreamId(this.msHi, this.msLo - 1, MAX32, MAX32);
    if (this.msHi !== 0) return new StreamId(this.msHi - 1, MAX32, MAX32, MAX32);
    return undefined;
  }

  /** The same ms with another sequence number. */
  withSeq(seqHi: number, seqLo: number): StreamId {
    return new StreamId(this.msHi, this.msLo, seqHi, seqLo);
  }

  toString(): string {
    return u64String(this.msHi, this.msLo) + "-" + u64String(this.seqHi, this.seqLo);
  }
}

export const ID_ZERO = new StreamId(0, 0, 0, 0);
export const ID_MAX = new StreamId(MAX32, MAX32, MAX32, MAX32);

/** Decimal text of the unsigned 64-bit number hi*2^32+lo. */
export function u64String(hi: number, lo: number): string {
  if (hi < SAFE_HI) return String(hi * TWO32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** Decimal digits of a non-negative safe integer. */
function digitCount(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function putDigits(b: Uint8Array, end: number, n: number): void {
  do {
    const q = Math.floor(n / 10);
    b[--end] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
}

/** The id's text as bytes ("ms-seq"), built without an intermediate string. */
export function idBytes(id: StreamId): Uint8Array {
  if (id.msHi >= SAFE_HI || id.seqHi >= SAFE_HI) {
    const s = id.toString();
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    return b;
  }
  const ms = id.ms, seq = id.seq;
  const dm = digitCount(ms), ds = digitCount(seq);
  const b = new Uint8Array(dm + 1 + ds);
  putDigits(b, dm, ms);
  b[dm] = 45;
  putDigits(b, dm + 1 + ds, seq);
  return b;
}

/**
 * Signed 64-bit difference a - b of two u64 values given as halves, wrapped like C's
 * `(int64_t)(a - b)`. Returned as a number; only its magnitude class matters to callers
 * (listpack integer sizes), and values beyond 2^53 keep that class.
 */
export function diffInt64(aHi: number, aLo: number, bHi: number, bLo: number): number {
  if (aHi < SAFE_HI && bHi < SAFE_HI) return (aHi * TWO32 + aLo) - (bHi * TWO32 + bLo);
  let d = ((BigInt(aHi) << 32n) | BigInt(aLo)) - ((BigInt(bHi) << 32n) | BigInt(bLo));
  d = BigInt.asIntN(64, d);
  return Number(d);
}

// ---- parsing ----

const U64_MAX = 18446744073709551615n;

/** Splits a u64 bigint into the [hi, lo] halves. */
function halves(v: bigint): [number, number] {
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/**
 * Redis's string2ull on a C string: string2ll when it succeeds (negative = invalid), else
 * strtoull's rules (leading blanks, an optional sign, decimal digits to the end, no overflow;
 * a minus sign negates modulo 2^64). Returns the halves or undefined.
 */
function string2ull(b: Uint8Array, from: number, to: number): [number, number] | undefined {
  const n = to - from;
  if (n === 0) return undefined;
  // string2ll fast path: plain canonical decimal.
  let canonical = n <= 20;
  if (canonical) {
    let i = from;
    if (b[i] === 45) {
      if (n === 1) canonical = false;
      i++;
    }
    if (canonical) {
      if (b[i] === 48) canonical = n === 1;
      else if (b[i] < 49 || b[i] > 57) canonical = false;
      for (let j = i; canonical && j < to; j++) if (b[j] < 48 || b[j] > 57) canonical = false;
    }
  }
  let text = "";
  for (let j = from; j < to; j++) text += String.fromCharCode(b[j]);
  if (canonical) {
    if (b[from] === 45) {
      // A canonical negative: string2ll accepts it unless it overflows int64; then strtoull
      // would see an out-of-range magnitude only past 2^64.
      const v = BigInt(text);
      if (v >= -9223372036854775808n) return undefined;
      return negated(-v);
    }
    if (n <= 15) {
      const v = Number(text);
      return [Math.floor(v / TWO32), v >>> 0];
    }
    const v = BigInt(text);
    return v > U64_MAX ? undefined : halves(v);
  }
  // strtoull fallback.
  let i = from;
  while (i < to && isSpace(b[i])) i++;
  let neg = false;
  if (i < to && (b[i] === 43 || b[i] === 45)) {
    neg = b[i] === 45;
    i++;
  }
  const start = i;
  while (i < to && b[i] >= 48 && b[i] <= 57) i++;
  if (i === start || i !== to) return undefined;
  let digits = "";
  for (let j = start; j < to; j++) digits += String.fromCharCode(b[j]);
  const v = BigInt(digits);
  if (v > U64_MAX) return undefined;
  return neg ? negated(v) : halves(v);
}

function negated(v: bigint): [number, number] | undefined {
  if (v > U64_MAX) return undefined;
  return halves(v === 0n ? 0n : (1n << 64n) - v);
}

/** How a missing sequence part is filled in: `ms` alone means ms-0 or ms-MAX. */
export type MissingSeq = "zero" | "max";

export interface ParsedId {
  id: StreamId;
  /** False for the `<ms>-*` form (XADD only). */
  seqGiven: boolean;
}

/**
 * streamGenericParseIDOrReply without the reply: `-`/`+` (unless strict), `ms`, `ms-seq` and,
 * when `allowSeqStar`, `ms-*`. Returns undefined for an invalid id.
 */
export function parseStreamId(
  arg: Uint8Array,
  missing: MissingSeq,
  strict: boolean,
  allowSeqStar = false,
): ParsedId | undefined {
  if (arg.length > 127) return undefined;
  // Redis copies the argument into a C string: bytes after a NUL are not seen.
  let end = arg.indexOf(0);
  if (end < 0) end = arg.length;
  if (end === 1 && (arg[0] === 45 || arg[0] === 43)) {
    if (strict) return undefined;
    return { id: arg[0] === 45 ? ID_ZERO : ID_MAX, seqGiven: true };
  }
  const dash = arg.subarray(0, end).indexOf(45);
  const msEnd = dash < 0 ? end : dash;
  const ms = string2ull(arg, 0, msEnd);
  if (!ms) return undefined;
  if (dash < 0) {
    const seq = missing === "zero" ? [0, 0] : [MAX32, MAX32];
    return { id: new StreamId(ms[0], ms[1], seq[0], seq[1]), seqGiven: true };
  }
  if (allowSeqStar && end - dash === 2 && arg[dash + 1] === 42) {
    return { id: new StreamId(ms[0], ms[1], 0, 0), seqGiven: false };
  }
  const seq = string2ull(arg, dash + 1, end);
  if (!seq) return undefined;
  return { id: new StreamId(ms[0], ms[1], seq[0], seq[1]), seqGiven: true };
}
