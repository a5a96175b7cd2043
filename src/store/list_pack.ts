// The compact form of a small list: every element framed by its length on both sides inside one
// latin1 string, like Redis's listpack (entry header + data + backlen), so both ends can be walked.
// One string per list instead of one per element saves the per-element header and array slot.
// Lengths < 128 take one char on each side; longer ones three.

/** Chars an element of `len` bytes takes once framed. */
export const framedSize = (len: number): number => len < 128 ? len + 2 : len + 6;

/** The framed form of one element. */
export function frame(s: string): string {
  const n = s.length;
  if (n < 128) {
    const c = String.fromCharCode(n);
    return c + s + c;
  }
  const hi = 128 | (n >> 16), mid = (n >> 8) & 255, lo = n & 255;
  return String.fromCharCode(hi, mid, lo) + s + String.fromCharCode(lo, mid, hi);
}

/** Where the element starting at `o` keeps its data: [dataStart, dataEnd), and the next entry. */
export function entryAt(p: string, o: number): { data: number; end: number; next: number } {
  const c = p.charCodeAt(o);
  if (c < 128) return { data: o + 1, end: o + 1 + c, next: o + 2 + c };
  const n = ((c & 127) << 16) | (p.charCodeAt(o + 1) << 8) | p.charCodeAt(o + 2);
  return { data: o + 3, end: o + 3 + n, next: o + 6 + n };
}

/** The entry ending at `e` (exclusive): its data and where it starts. */
export function entryBefore(p: string, e: number): { data: number; end: number; start: number } {
  const c = p.charCodeAt(e - 1);
  if (c < 128) return { data: e - 1 - c, end: e - 1, start: e - 2 - c };
  const n = ((c & 127) << 16) | (p.charCodeAt(e - 2) << 8) | p.charCodeAt(e - 3);
  return { data: e - 3 - n, end: e - 3, start: e - 6 - n };
}

/** Offset of entry `i` (0-based, < count), walking from whichever end is closer. */
export function offsetOf(p: string, count: number, i: number): number {
  if (i <= count >> 1) {
    let o = 0;
    for (let k = 0; k < i; k++) o = entryAt(p, o).next;
    return o;
  }
  let e = p.length;
  for (let k = count - 1; k >= i; k--) e = entryBefore(p, e).start;
  return e;
}

/** Every element of a packed list, head to tail. */
export function unpack(p: string): string[] {
  const out: string[] = [];
  for (let o = 0; o < p.length;) {
    const at = entryAt(p, o);
    out.push(p.slice(at.data, at.end));
    o = at.next;
  }
  return out;
}

/**
 * The size limits of one listpack, from list-max-listpack-size: negative values are byte sizes
 * (-1 = 4 KB … -5 = 64 KB), positive ones element counts within Redis's 8 KB safety limit.
 */
export interface PackLimits {
  maxBytes: number;
  maxCount: number;
}

const SIZES = [4096, 8192, 16384, 32768, 65536];

export function packLimitsFor(fill: number): PackLimits {
  if (fill < 0) return { maxBytes: SIZES[Math.min(-fill, SIZES.length) - 1], maxCount: Infinity };
  return { maxBytes: 8192, maxCount: fill };
}
