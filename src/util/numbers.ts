// Number parsing and formatting with Redis's exact rules (string2ll, strtod checks, %.17g).

const MAX_I64 = 9223372036854775807n;
const MIN_I64 = -9223372036854775808n;

/** A 64-bit integer: a JS number when it is a safe integer, a bigint otherwise. */
export type Int64 = number | bigint;

/**
 * Parses bytes as Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, fits in
 * a signed 64-bit integer. Returns undefined when the bytes are not such an integer.
 */
export function parseInt64(b: Uint8Array): Int64 | undefined {
  const n = b.length;
  if (n === 0 || n > 20) return undefined;
  let i = 0;
  let neg = false;
  if (b[0] === 45) {
    neg = true;
    i = 1;
    if (n === 1) return undefined;
  }
  const first = b[i];
  if (first === 48) return n === 1 ? 0 : undefined;
  if (first < 49 || first > 57) return undefined;
  if (n - i <= 15) {
    let v = 0;
    for (; i < n; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9) return undefined;
      v = v * 10 + c;
    }
    return neg ? -v : v;
  }
  for (let j = i; j < n; j++) if (b[j] < 48 || b[j] > 57) return undefined;
  let s = "";
  for (let j = 0; j < n; j++) s += String.fromCharCode(b[j]);
  const big = BigInt(s);
  if (big > MAX_I64 || big < MIN_I64) return undefined;
  return normalize(big);
}

/** Same as parseInt64 for a JS string. */
export function parseInt64Str(s: string): Int64 | undefined {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) return undefined;
    b[i] = c;
  }
  return parseInt64(b);
}

function normalize(v: bigint): Int64 {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** a + b with Redis's overflow check; undefined on overflow. */
export function addInt64(a: Int64, b: Int64): Int64 | undefined {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  const r = BigInt(a) + BigInt(b);
  if (r > MAX_I64 || r < MIN_I64) return undefined;
  return normalize(r);
}

export function isInt64InRange(v: bigint): boolean {
  return v <= MAX_I64 && v >= MIN_I64;
}

const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INF_RE = /^([+-]?)(inf|infinity)$/i;

/**
 * Parses a double as Redis does (strtod, whole string consumed, no leading space, no NaN).
 * Accepts "inf", "-inf", "+inf". Returns undefined when invalid.
 */
export function parseDouble(s: string): number | undefined {
  if (s.length === 0 || s.length > 5000) return undefined;
  if (FLOAT_RE.test(s)) return Number(s);
  const m = INF_RE.exec(s);
  if (m) return m[1] === "-" ? -Infinity : Infinity;
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) {
    const neg = s[0] === "-";
    const v = parseInt(s.replace(/^[+-]/, ""), 16);
    return neg ? -v : v;
  }
  return undefined;
}

export function bytesToLatin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Formats like C's printf("%.17g"), which Redis 7.0 uses for double replies; inf as "inf". */
export function formatDouble(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  // toExponential gives the exact decimal exponent after rounding to 17 digits.
  const e = d.toExponential(16);
  const [mant, expStr] = e.split("e");
  const x = Number(expStr);
  if (x < -4 || x >= 17) {
    let m = mant.includes(".") ? mant.replace(/0+$/, "").replace(/\.$/, "") : mant;
    if (m === "") m = "0";
    const sign = x < 0 ? "-" : "+";
    const ax = Math.abs(x);
    return `${m}e${sign}${ax < 10 ? "0" + ax : ax}`;
  }
  const fixed = d.toFixed(Math.max(0, 16 - x));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

/** Decimal text of a 64-bit integer. */
export function formatInt(n: Int64): string {
  return typeof n === "bigint" ? n.toString() : String(n);
}
