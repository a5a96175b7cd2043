// Value serialization: DUMP/RESTORE payloads and deep copies (COPY). Each value type registers a
// codec keyed by a one-byte type tag; strings are built in, collection modules add theirs.
//
// DUMP payload (our own format, not Redis's RDB encoding, but the same shape as Redis's):
//
//   [type tag: 1 byte][value bytes: codec-defined][format version: u16 LE][checksum: 8 bytes LE]
//
// The trailer mirrors Redis's "RDB version + CRC64" footer. The checksum is the CRC-32 (node:zlib)
// of every byte before it, zero-extended to 64 bits. RESTORE refuses a payload shorter than the
// trailer, with a newer version, or with a wrong checksum ("DUMP payload version or checksum are
// wrong"), and one whose body does not decode ("Bad data format").
//
// Codec value bytes for strings: the raw string bytes. Other codecs use ByteWriter/ByteReader
// (unsigned LEB128 lengths, f64 LE doubles) and must consume exactly their bytes.

import { crc32 } from "node:zlib";
import { MutableString, type Value } from "./types.ts";

/** Format version written in the trailer; payloads with a higher version are refused. */
export const DUMP_VERSION = 1;
const TRAILER = 10;

/** Type tags, one per Redis type (fixed: payloads written today must load tomorrow). */
export const TYPE_TAG = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 5 } as const;

/** Thrown by codecs (and the reader) on malformed bytes; RESTORE answers "ERR Bad data format". */
export class DumpFormatError extends Error {}

/** Appends bytes to a growing buffer. */
export class ByteWriter {
  buf = new Uint8Array(64);
  len = 0;

  #ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): void {
    this.#ensure(1);
    this.buf[this.len++] = v;
  }

  /** Unsigned LEB128 (non-negative safe integers). */
  uint(v: number): void {
    this.#ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  double(v: number): void {
    this.#ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, true);
    this.len += 8;
  }

  /** Raw bytes with no length prefix. */
  raw(b: Uint8Array): void {
    this.#ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Length-prefixed bytes. */
  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this.raw(b);
  }

  /** Length-prefixed latin1 binary string (keys, members, fields). */
  binary(s: string): void {
    this.uint(s.length);
    this.#ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Reads what ByteWriter wrote; every read past the end throws DumpFormatError. */
export class ByteReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  #need(n: number): void {
    if (n > this.remaining) throw new DumpFormatError("truncated payload");
  }

  u8(): number {
    this.#need(1);
    return this.buf[this.pos++];
  }

  uint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
      if (mul > 2 ** 53) throw new DumpFormatError("length overflow");
    }
    return v;
  }

  double(): number {
    this.#need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  raw(n: number): Uint8Array {
    this.#need(n);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  bytes(): Uint8Array {
    return this.raw(this.uint());
  }

  binary(): string {
    const n = this.uint();
    this.#need(n);
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.buf[this.pos + i]);
    this.pos += n;
    return s;
  }
}

/** How one value type turns into bytes and back. */
export interface ValueCodec {
  /** One of TYPE_TAG's values. */
  readonly tag: number;
  /** The Redis type name this codec serializes (`typeName(value)`). */
  readonly type: string;
  encode(v: Value, out: ByteWriter): void;
  /** Builds a fresh value; throws DumpFormatError on malformed input. */
  decode(inp: ByteReader): Value;
}

const byTag = new Map<number, ValueCodec>();
const byType = new Map<string, ValueCodec>();

/** Registers a codec (collection modules call this at import time). */
export function registerCodec(c: ValueCodec): void {
  byTag.set(c.tag, c);
  byType.set(c.type, c);
}

registerCodec({
  tag: TYPE_TAG.string,
  type: "string",
  encode(v, out) {
    out.raw(v instanceof MutableString ? v.bytes() : v as Uint8Array);
  },
  decode(inp) {
    return inp.raw(inp.remaining);
  },
});

function valueType(v: Value): string {
  return v instanceof Uint8Array || v instanceof MutableString ? "string" : v.type;
}

/** [tag][value bytes]. Throws if no codec is registered for the value's type. */
export function serializeValue(v: Value): Uint8Array {
  const type = valueType(v);
  const codec = byType.get(type);
  if (!codec) throw new Error(`no serializer registered for type ${type}`);
  const out = new ByteWriter();
  out.u8(codec.tag);
  codec.encode(v, out);
  return out.finish();
}

/** Inverse of serializeValue; throws DumpFormatError on unknown tags or malformed bytes. */
export function deserializeValue(b: Uint8Array): Value {
  const inp = new ByteReader(b);
  const codec = byTag.get(inp.u8());
  if (!codec) throw new DumpFormatError("unknown type tag");
  const v = codec.decode(inp);
  if (inp.remaining !== 0) throw new DumpFormatError("trailing bytes");
  return v;
}

/** A deep copy for COPY: strings share immutable bytes; collections clone or round-trip. */
export function cloneValue(v: Value): Value {
  if (v instanceof Uint8Array) return v; // stored strings are never mutated in place
  if (v instanceof MutableString) return MutableString.from(v.bytes());
  const c = v as { clone?: () => Value };
  if (typeof c.clone === "function") return c.clone();
  return deserializeValue(serializeValue(v));
}

/** The DUMP payload of a value: serialized value + version + checksum trailer. */
export function createDumpPayload(v: Value): Uint8Array {
  const body = serializeValue(v);
  const out = new Uint8Array(body.length + TRAILER);
  out.set(body);
  const view = new DataView(out.buffer);
  view.setUint16(body.length, DUMP_VERSION, true);
  view.setUint32(body.length + 2, crc32(out.subarray(0, body.length + 2)), true);
  view.setUint32(body.length + 6, 0, true);
  return out;
}

/** Checks length, version and checksum, as Redis's verifyDumpPayload. */
export function verifyDumpPayload(p: Uint8Array): boolean {
  if (p.length < TRAILER) return false;
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const footer = p.length - TRAILER;
  if (view.getUint16(footer, true) > DUMP_VERSION) return false;
  return view.getUint32(footer + 2, true) === crc32(p.subarray(0, footer + 2)) &&
    view.getUint32(footer + 6, true) === 0;
}

/** Decodes a verified payload's value; throws DumpFormatError when the body is malformed. */
export function loadDumpPayload(p: Uint8Array): Value {
  return deserializeValue(p.subarray(0, p.length - TRAILER));
}
