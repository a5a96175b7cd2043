// Byte/string helpers. Keys are held as latin1 "binary strings" (one char per byte): lossless for
// any bytes and usable as Map keys; values stay Uint8Array.

const enc = new TextEncoder();

/**
 * `String.fromCharCode(b[0], …, b[n-1])` for each n up to 24, written out: a call with n plain
 * arguments is ~40% faster than `fromCharCode.apply(null, b)`, and most keys are this short.
 */
const SHORT_KEY = 24;
const fromBytes: ((b: Uint8Array) => string)[] = [];
for (let n = 0; n <= SHORT_KEY; n++) {
  const args = Array.from({ length: n }, (_, i) => `b[${i}]`).join(",");
  fromBytes.push(new Function("b", `return String.fromCharCode(${args});`) as typeof toKey);
}

/**
 * Bytes → binary string (char code = byte). Always one flat string: building it char by char
 * would make keys of 13+ bytes cons-string chains (slower to hash and compare, bigger in memory).
 */
export function toKey(b: Uint8Array): string {
  const n = b.length;
  if (n <= SHORT_KEY) return fromBytes[n](b);
  if (n <= 8192) return String.fromCharCode.apply(null, b as unknown as number[]);
  let s = "";
  for (let i = 0; i < n; i += 8192) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

/** Binary string → bytes. */
export function fromKey(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** ASCII/UTF-8 text → bytes (for replies and propagated arguments we build). */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** Lower-cases an ASCII command name from bytes without intermediate copies. */
export function lowerAscii(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    s += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return s;
}

/** Case-insensitive comparison of an argument with a lower-case ASCII word. */
export function eqi(b: Uint8Array, word: string): boolean {
  if (b.length !== word.length) return false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** memcmp-style ordering, as Redis compares strings. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
