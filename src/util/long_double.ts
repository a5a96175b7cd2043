// Exact emulation of the x87 80-bit `long double` Redis uses for INCRBYFLOAT / HINCRBYFLOAT:
// glibc strtold (through Redis's string2ld checks), correctly rounded addition, and
// printf("%.17Lf") with Redis's LD_STR_HUMAN trimming (ld2string), all with BigInt arithmetic.

/**
 * A long double: ±mant·2^exp with 0 < mant < 2^64 (finite non-zero), mant = 0n for ±0, or a
 * special value. Values are always rounded to 64 significant bits and the x87 exponent range.
 */
export interface LongDouble {
  neg: boolean;
  mant: bigint;
  exp: number;
  special?: "inf" | "nan";
}

const PRECISION = 64;
/** Exponent of the least significant bit of the smallest denormal (2^-16445). */
const MIN_LSB_EXP = -16445;
/** Finite values are below 2^16384. */
const MAX_BIT_EXP = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld rejects inputs this long or longer. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

const ZERO: LongDouble = { neg: false, mant: 0n, exp: 0 };

function inf(neg: boolean): LongDouble {
  return { neg, mant: 0n, exp: 0, special: "inf" };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds the exact value ±m·2^e (plus a sticky "something non-zero below m's last bit") to the
 * nearest long double, ties to even, with gradual underflow. Returns ±inf on overflow.
 */
function round(neg: boolean, m: bigint, e: number, sticky = false): LongDouble {
  if (m === 0n) return { neg, mant: 0n, exp: 0 };
  const bl = bitLength(m);
  let shift = bl - PRECISION;
  if (e + shift < MIN_LSB_EXP) shift = MIN_LSB_EXP - e;
  if (shift > 0) {
    const s = BigInt(shift);
    const dropped = m & ((1n << s) - 1n);
    m >>= s;
    e += shift;
    const half = 1n << (s - 1n);
    if (dropped > half || (dropped === half && (sticky || (m & 1n) === 1n))) {
      m += 1n;
      if (bitLength(m) > PRECISION) {
        m >>= 1n;
        e += 1;
      }
    }
    if (m === 0n) return { neg, mant: 0n, exp: 0 };
  }
  if (e + bitLength(m) > MAX_BIT_EXP) return inf(neg);
  return { neg, mant: m, exp: e };
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const hexVal = (c: number) =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);

/** Case-insensitive match of an ASCII word at position i. */
function matchWord(b: Uint8Array, i: number, word: string): boolean {
  if (i + word.length > b.length) return false;
  for (let k = 0; k < word.length; k++) if (lower(b[i + k]) !== word.charCodeAt(k)) return false;
  return true;
}

/** Reads an exponent's decimal digits, saturating (glibc keeps only whether it is huge). */
function readExponent(b: Uint8Array, i: number): { value: number; end: number } | undefined {
  let neg = false;
  if (b[i] === 43 || b[i] === 45) {
    neg = b[i] === 45;
    i++;
  }
  if (i >= b.length || !isDigit(b[i])) return undefined;
  let v = 0;
  for (; i < b.length && isDigit(b[i]); i++) v = Math.min(v * 10 + b[i] - 48, 1e9);
  return { value: neg ? -v : v, end: i };
}

interface Parsed {
  value: LongDouble;
  /** strtold's errno == ERANGE: overflow, or underflow to zero / denormal. */
  range: boolean;
  end: number;
}

/** A decimal N·10^E rounded to a long double (glibc's strtold is correctly rounded). */
function fromDecimal(neg: boolean, digits: string, e10: number): Parsed["value"] {
  let d = digits.replace(/^0+/, "");
  if (d === "") return { neg, mant: 0n, exp: 0 };
  const trimmed = d.replace(/0+$/, "");
  e10 += d.length - trimmed.length;
  d = trimmed;
  // The value lies in [10^(L-1), 10^L): decide far-out cases before any big arithmetic.
  const L = d.length + e10;
  if (L > 4934) return inf(neg);
  if (L < -4952) return { neg, mant: 0n, exp: 0 };
  const n = BigInt(d);
  if (e10 >= 0) return round(neg, n * 10n ** BigInt(e10), 0);
  const den = 10n ** BigInt(-e10);
  const s = Math.max(0, PRECISION + 2 + bitLength(den) - bitLength(n) + 1);
  const num = n << BigInt(s);
  const q = num / den;
  return round(neg, q, -s, q * den !== num);
}

/** glibc strtold on bytes from position 0 (no leading whitespace skipping: Redis rejects it). */
function strtold(b: Uint8Array): Parsed {
  let i = 0;
  let neg = false;
  if (b[i] === 43 || b[i] === 45) {
    neg = b[i] === 45;
    i++;
  }
  const none: Parsed = { value: ZERO, range: false, end: 0 };
  if (matchWord(b, i, "inf")) {
    const end = matchWord(b, i + 3, "inity") ? i + 8 : i + 3;
    return { value: inf(neg), range: false, end };
  }
  if (matchWord(b, i, "nan")) {
    let end = i + 3;
    if (b[end] === 40) {
      let j = end + 1;
      while (j < b.length && (isAlnum(b[j]) || b[j] === 95)) j++;
      if (b[j] === 41) end = j + 1;
    }
    return { value: { neg, mant: 0n, exp: 0, special: "nan" }, range: false, end };
  }
  if (b[i] === 48 && lower(b[i + 1]) === 120) {
    const hex = parseHex(b, i + 2, neg);
    if (hex) return hex;
  }
  let digits = "";
  let e10 = 0;
  let j = i;
  let seen = false;
  for (; j < b.length && isDigit(b[j]); j++) {
    digits += String.fromCharCode(b[j]);
    seen = true;
  }
  if (b[j] === 46) {
    let k = j + 1;
    for (; k < b.length && isDigit(b[k]); k++) {
      digits += String.fromCharCode(b[k]);
      e10--;
      seen = true;
    }
    if (seen) j = k;
  }
  if (!seen) return none;
  if (lower(b[j]) === 101) {
    const ex = readExponent(b, j + 1);
    if (ex) {
      e10 += ex.value;
      j = ex.end;
    }
  }
  return finish(fromDecimal(neg, digits, e10), digits, j);
}

function isAlnum(c: number): boolean {
  return isDigit(c) || (lower(c) >= 97 && lower(c) <= 122);
}

/** Hex float body after "0x": hex digits, optional '.', optional binary exponent p±d. */
function parseHex(b: Uint8Array, i: number, neg: boolean): Parsed | undefined {
  let m = 0n;
  let e2 = 0;
  let seen = false;
  let j = i;
  for (; j < b.length && hexVal(b[j]) >= 0; j++) {
    m = (m << 4n) | BigInt(hexVal(b[j]));
    seen = true;
  }
  if (b[j] === 46) {
    let k = j + 1;
    for (; k < b.length && hexVal(b[k]) >= 0; k++) {
      m = (m << 4n) | BigInt(hexVal(b[k]));
      e2 -= 4;
      seen = true;
    }
    if (seen) j = k;
  }
  if (!seen) return undefined; // strtold then reads just the "0"
  if (lower(b[j]) === 112) {
    const ex = readExponent(b, j + 1);
    if (ex) {
      e2 += ex.value;
      j = ex.end;
    }
  }
  let value: LongDouble;
  if (m === 0n) value = { neg, mant: 0n, exp: 0 };
  else if (e2 + bitLength(m) > MAX_BIT_EXP + 4) value = inf(neg);
  else if (e2 + bitLength(m) < MIN_LSB_EXP - 4) value = { neg, mant: 0n, exp: 0 };
  else value = round(neg, m, e2);
  return finish(value, m === 0n ? "0" : "1", j);
}

/**
 * Sets ERANGE as glibc does where Redis looks at it: overflow to inf, or a non-zero input that
 * rounded to 0 (denormal results may also set it, but Redis accepts those either way).
 */
function finish(value: LongDouble, digits: string, end: number): Parsed {
  const overflow = value.special === "inf";
  const toZero = value.mant === 0n && !overflow && /[1-9]/.test(digits);
  return { value, range: overflow || toZero, end };
}

/**
 * Parses bytes as Redis's string2ld: all of them must be one strtold number (so no NUL inside),
 * no leading space, not NaN, and not out of range (overflow, or underflow to 0).
 * Returns undefined when Redis would reply "value is not a valid float".
 */
export function parseLongDouble(b: Uint8Array): LongDouble | undefined {
  if (b.length === 0 || b.length >= MAX_LONG_DOUBLE_CHARS || isSpace(b[0])) return undefined;
  const p = strtold(b);
  if (p.end !== b.length) return undefined;
  const v = p.value;
  if (v.special === "nan") return undefined;
  if (p.range && (v.special === "inf" || v.mant === 0n)) return undefined;
  return v;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** a + b, correctly rounded to a long double (x87 with 64-bit precision control). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.special === "nan" || b.special === "nan") return { ...ZERO, special: "nan" };
  if (a.special === "inf" || b.special === "inf") {
    if (a.special === "inf" && b.special === "inf" && a.neg !== b.neg) {
      return { ...ZERO, special: "nan" };
    }
    return a.special === "inf" ? a : b;
  }
  if (a.mant === 0n && b.mant === 0n) return { neg: a.neg && b.neg, mant: 0n, exp: 0 };
  if (a.mant === 0n) return b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const x = a.mant << BigInt(a.exp - e);
  const y = b.mant << BigInt(b.exp - e);
  const sum = (a.neg ? -x : x) + (b.neg ? -y : y);
  if (sum === 0n) return ZERO; // x + (-x) is +0 when rounding to nearest
  return round(sum < 0n, sum < 0n ? -sum : sum, e);
}

/** True for values that are neither infinite nor NaN. */
export function isFiniteLongDouble(v: LongDouble): boolean {
  return v.special === undefined;
}

/** A long double from a 64-bit integer (exact: 64 bits of mantissa). */
export function longDoubleFromInt(n: number | bigint): LongDouble {
  const big = BigInt(n);
  return round(big < 0n, big < 0n ? -big : big, 0);
}

/** printf("%.17Lf"): the exact binary value rounded half-to-even at 17 decimals (as glibc). */
export function formatFixed17(v: LongDouble): string {
  if (v.special === "inf") return v.neg ? "-inf" : "inf";
  if (v.special === "nan") return v.neg ? "-nan" : "nan";
  let scaled: bigint;
  const m = v.mant * 10n ** 17n;
  if (v.exp >= 0) scaled = m << BigInt(v.exp);
  else {
    const s = BigInt(-v.exp);
    scaled = m >> s;
    const rem = m & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const digits = scaled.toString().padStart(18, "0");
  const cut = digits.length - 17;
  return (v.neg ? "-" : "") + digits.slice(0, cut) + "." + digits.slice(cut);
}

/** Redis's ld2string(LD_STR_HUMAN): %.17Lf, trailing zeros (and a bare '.') removed, "-0" → "0". */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.special === "inf") return v.neg ? "-inf" : "inf";
  let s = formatFixed17(v);
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s === "-0" ? "0" : s;
}

/** Result of INCRBYFLOAT's arithmetic: the new value's bytes, or which check failed. */
export type IncrByFloatResult =
  | { ok: true; value: Uint8Array }
  | { ok: false; error: "value" | "increment" | "overflow" };

/**
 * current + incr as Redis's INCRBYFLOAT computes it: both parsed with string2ld (a missing value
 * is 0), added in long double, rejected when NaN or infinite, printed in human form.
 */
export function incrByFloat(current: Uint8Array | undefined, incr: Uint8Array): IncrByFloatResult {
  const a = current === undefined ? ZERO : parseLongDouble(current);
  if (a === undefined) return { ok: false, error: "value" };
  const b = parseLongDouble(incr);
  if (b === undefined) return { ok: false, error: "increment" };
  const sum = addLongDouble(a, b);
  if (!isFiniteLongDouble(sum)) return { ok: false, error: "overflow" };
  return { ok: true, value: asciiBytes(formatLongDoubleHuman(sum)) };
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
