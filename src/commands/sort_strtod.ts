// C's strtod as SORT uses it (sort.c: `strtod(ptr, &eptr)`, then an error unless the whole C string
// was consumed, errno is not ERANGE and the value is not NaN). Unlike Redis's strict float parser
// it takes leading white space, hex floats ("0x1p3"), "infinity", "1." and ".5", treats "" as 0 and
// stops at a NUL byte; glibc reports ERANGE on overflow and on inexact subnormal results.

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number) => c >= 48 && c <= 57;
const hexVal = (c: number) =>
  isDigit(c) ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
/** The smallest normal double: anything non-zero below it is an underflow (ERANGE). */
const DBL_MIN = 2.2250738585072014e-308;

/**
 * The score SORT gives a latin1 string, or undefined where Redis reports
 * "One or more scores can't be converted into double".
 */
export function sortScore(s: string): number | undefined {
  const nul = s.indexOf("\0");
  if (nul >= 0) s = s.slice(0, nul);
  const n = s.length;
  let i = 0;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (i < n && (s[i] === "+" || s[i] === "-")) neg = s[i++] === "-";
  // No conversion at all leaves eptr at the very start: fine only for the empty string.
  const none = n === 0 ? 0 : undefined;
  const rest = s.slice(i, i + 8).toLowerCase();
  if (rest.startsWith("inf")) {
    const len = rest.startsWith("infinity") ? 8 : 3;
    return i + len === n ? (neg ? -Infinity : Infinity) : undefined;
  }
  if (rest.startsWith("nan")) return undefined;
  const hex = s.charCodeAt(i) === 48 && (s[i + 1] === "x" || s[i + 1] === "X") &&
    (hexVal(s.charCodeAt(i + 2)) >= 0 ||
      (s[i + 2] === "." && hexVal(s.charCodeAt(i + 3)) >= 0));
  const v = hex ? parseHex(s, i + 2) : parseDecimal(s, i);
  if (v === undefined) return none;
  if (v.end !== n || Number.isNaN(v.value)) return undefined;
  if (v.range) return undefined;
  return neg ? -v.value : v.value;
}

interface Parsed {
  value: number;
  end: number;
  /** errno would be ERANGE. */
  range: boolean;
}

function parseDecimal(s: string, i: number): Parsed | undefined {
  const start = i;
  const n = s.length;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  let digits = i - start;
  if (s[i] === ".") {
    const f = ++i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    digits += i - f;
  }
  if (digits === 0) return undefined;
  const mantissa = s.slice(start, i);
  let exp = "";
  if (s[i] === "e" || s[i] === "E") {
    let j = i + 1;
    if (s[j] === "+" || s[j] === "-") j++;
    if (isDigit(s.charCodeAt(j))) {
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      exp = s.slice(i, j);
      i = j;
    }
  }
  const value = Number((mantissa.startsWith(".") ? "0" : "") + mantissa + exp);
  const nonZero = /[1-9]/.test(mantissa);
  const range = !Number.isFinite(value) || (nonZero && value < DBL_MIN);
  return { value, end: i, range };
}

/** A hex float after "0x": exact mantissa in a BigInt, rounded once to nearest-even. */
function parseHex(s: string, i: number): Parsed {
  const n = s.length;
  let m = 0n;
  let exp = 0;
  let seenDot = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 && !seenDot) {
      seenDot = true;
      continue;
    }
    const h = hexVal(c);
    if (h < 0) break;
    m = (m << 4n) | BigInt(h);
    if (seenDot) exp -= 4;
  }
  if (s[i] === "p" || s[i] === "P") {
    let j = i + 1;
    let eneg = false;
    if (s[j] === "+" || s[j] === "-") eneg = s[j++] === "-";
    if (isDigit(s.charCodeAt(j))) {
      let e = 0;
      while (j < n && isDigit(s.charCodeAt(j))) e = Math.min(e * 10 + s.charCodeAt(j++) - 48, 1e6);
      exp += eneg ? -e : e;
      i = j;
    }
  }
  if (m === 0n) return { value: 0, end: i, range: false };
  return { ...roundBinary(m, exp), end: i };
}

/** m·2^exp as the nearest double; `range` when it overflows or is an inexact subnormal. */
function roundBinary(m: bigint, exp: number): { value: number; range: boolean } {
  const bits = m.toString(2).length;
  const top = bits - 1 + exp; // exponent of the leading bit
  if (top > 1023) return { value: Infinity, range: true };
  // Normal doubles keep 53 bits; subnormals fewer (down to 2^-1074).
  const keep = top >= -1022 ? 53 : Math.max(0, 53 - (-1022 - top));
  let shift = bits - keep;
  let inexact = false;
  if (shift > 0) {
    const mask = (1n << BigInt(shift)) - 1n;
    const rem = m & mask;
    const half = 1n << BigInt(shift - 1);
    m >>= BigInt(shift);
    inexact = rem !== 0n;
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  } else shift = 0;
  const value = ldexp(Number(m), exp + shift);
  const subnormal = value !== 0 && Math.abs(value) < DBL_MIN;
  return { value, range: !Number.isFinite(value) || ((subnormal || value === 0) && inexact) };
}

/** x·2^e without intermediate underflow or overflow of 2^e itself. */
function ldexp(x: number, e: number): number {
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  return x * 2 ** e;
}
