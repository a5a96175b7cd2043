// Value representations. Strings are Uint8Array (immutable once stored) or MutableString (after
// APPEND/SETRANGE/SETBIT, with spare capacity, reported as "raw"). Collections implement
// RedisCollection and report Redis's type and encoding names.

/** A string grown in place by APPEND/SETRANGE; amortized O(1) appends like an sds with free space. */
export class MutableString {
  constructor(public buf: Uint8Array, public len: number) {}

  static from(b: Uint8Array, extra = 0): MutableString {
    const buf = new Uint8Array(Math.max(b.length + extra, 16));
    buf.set(b);
    return new MutableString(buf, b.length);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Grows capacity to hold `n` bytes (zero-filled), as sdsMakeRoomFor. */
  reserve(n: number): void {
    if (n <= this.buf.length) return;
    const next = new Uint8Array(n < 1024 * 1024 ? n * 2 : n + 1024 * 1024);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** Implemented by every non-string type (list, hash, set, zset, stream). */
export interface RedisCollection {
  readonly type: "list" | "hash" | "set" | "zset" | "stream";
  /** Redis's OBJECT ENCODING name for the representation currently in use. */
  encoding(): string;
  /** Number of elements (LLEN/HLEN/SCARD/ZCARD/XLEN). */
  readonly size: number;
  /** Rough memory use in bytes, for MEMORY USAGE. */
  memoryUsage(): number;
}

export type Value = Uint8Array | MutableString | RedisCollection;

export function typeName(v: Value): string {
  if (v instanceof Uint8Array || v instanceof MutableString) return "string";
  return v.type;
}

/** The bytes of a string value, or undefined for other types. */
export function stringBytes(v: Value): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (v instanceof MutableString) return v.bytes();
  return undefined;
}
