// Key → hash slot, exactly as Redis's keyHashSlot: CRC16/XMODEM of the key, or of the part inside
// the first non-empty `{…}` hash tag, mod 16384. Works on argument bytes and on binary-string keys
// without copying either.

/** Number of hash slots in a Redis Cluster. */
export const SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : crc << 1;
    t[i] = crc & 0xffff;
  }
  return t;
})();

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

/** CRC16/XMODEM (poly 0x1021, init 0) of bytes[start, end). */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  }
  return crc;
}

function crc16Str(s: string, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff];
  }
  return crc;
}

/** The hash slot of a key given as bytes (a command argument). */
export function slotOf(key: Uint8Array): number {
  const n = key.length;
  let s = 0;
  for (; s < n; s++) if (key[s] === OPEN) break;
  if (s < n) {
    let e = s + 1;
    for (; e < n; e++) if (key[e] === CLOSE) break;
    // Only a non-empty tag counts: "{}" hashes the whole key.
    if (e < n && e !== s + 1) return crc16(key, s + 1, e) & (SLOTS - 1);
  }
  return crc16(key, 0, n) & (SLOTS - 1);
}

/** The hash slot of a key held as a binary string (one char per byte), as in the keyspace. */
export function slotOfKey(key: string): number {
  const n = key.length;
  const s = key.indexOf("{");
  if (s >= 0) {
    const e = key.indexOf("}", s + 1);
    if (e > s + 1) return crc16Str(key, s + 1, e) & (SLOTS - 1);
  }
  return crc16Str(key, 0, n) & (SLOTS - 1);
}

/** A 16384-bit set of slots (2048 bytes), the form slots travel in on the cluster bus. */
export class SlotBitmap {
  constructor(readonly bits: Uint8Array = new Uint8Array(SLOTS / 8)) {}

  has(slot: number): boolean {
    return (this.bits[slot >> 3] & (1 << (slot & 7))) !== 0;
  }

  set(slot: number): void {
    this.bits[slot >> 3] |= 1 << (slot & 7);
  }

  clear(slot: number): void {
    this.bits[slot >> 3] &= ~(1 << (slot & 7));
  }

  count(): number {
    let n = 0;
    for (const b of this.bits) {
      let v = b;
      while (v) {
        v &= v - 1;
        n++;
      }
    }
    return n;
  }
}

/** Consecutive runs of slots: [start, end] pairs in ascending order. */
export function slotRanges(has: (slot: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let s = 0; s <= SLOTS; s++) {
    const on = s < SLOTS && has(s);
    if (on && start < 0) start = s;
    else if (!on && start >= 0) {
      out.push([start, s - 1]);
      start = -1;
    }
  }
  return out;
}
