// Bitmap commands on string values (Redis's bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP, and
// the helpers BITFIELD shares (offset parsing, growing a string for a bit write).

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { MutableString, stringBytes, type Value } from "../store/types.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT = "ERR value is not an integer or out of range";
const SYNTAX = "ERR syntax error";
const BAD_OFFSET = "ERR bit offset is not an integer or out of range";

/** lookupKeyRead: the live value, counting keyspace hits and misses like Redis. */
export function lookupRead(ctx: Ctx, key: string): Value | undefined {
  const v = ctx.db.get(key);
  if (v === undefined) ctx.server.stats.keyspaceMisses++;
  else ctx.server.stats.keyspaceHits++;
  return v;
}

/**
 * getBitOffsetFromArgument: a bit offset below proto-max-bulk-len bytes; with `bits` > 0 the
 * BITFIELD form `#n` (n * bits) is accepted. Replies the error and returns undefined when invalid.
 */
export function parseBitOffset(ctx: Ctx, arg: Uint8Array, bits = 0): number | undefined {
  const hash = bits > 0 && arg.length > 0 && arg[0] === 35; // '#'
  const v = parseInt64(hash ? arg.subarray(1) : arg);
  if (v === undefined) {
    ctx.reply.error(BAD_OFFSET);
    return undefined;
  }
  let off = BigInt(v);
  if (hash) off = BigInt.asIntN(64, off * BigInt(bits)); // wraps like C's long long
  const limit = BigInt(ctx.server.config.num("proto-max-bulk-len"));
  if (off < 0n || (off >> 3n) >= limit) {
    ctx.reply.error(BAD_OFFSET);
    return undefined;
  }
  return Number(off);
}

/**
 * lookupStringForBitCommand: the key's string as a MutableString long enough to address
 * `maxbit`, created (zero-filled) when missing. Replies WRONGTYPE and returns undefined for
 * other types. The value is converted in place so later bit writes need no copy. `grown` tells
 * whether the key was created or lengthened (Redis 7.0.15 only signals a change then, or when a
 * bit actually flips).
 */
export function stringForBitWrite(
  ctx: Ctx,
  key: string,
  maxbit: number,
): { ms: MutableString; grown: boolean } | undefined {
  const need = Math.floor(maxbit / 8) + 1;
  const v = ctx.db.get(key);
  if (v === undefined) {
    const ms = new MutableString(new Uint8Array(Math.max(need, 16)), need);
    ctx.db.set(key, ms);
    return { ms, grown: true };
  }
  let ms: MutableString;
  if (v instanceof MutableString) ms = v;
  else if (v instanceof Uint8Array) {
    ms = MutableString.from(v);
    ctx.db.replace(key, ms);
  } else {
    ctx.reply.error(WRONGTYPE);
    return undefined;
  }
  if (need <= ms.len) return { ms, grown: false };
  ms.reserve(need);
  ms.buf.fill(0, ms.len, need); // sdsgrowzero
  ms.len = need;
  return { ms, grown: true };
}

/** A signed 64-bit argument as a number (bigints are clamped: only their sign matters here). */
function int64Arg(ctx: Ctx, arg: Uint8Array): number | undefined {
  const v = parseInt64(arg);
  if (v === undefined) {
    ctx.reply.error(NOT_INT);
    return undefined;
  }
  return Number(v);
}

function setbit(ctx: Ctx, args: Uint8Array[]): void {
  const offset = parseBitOffset(ctx, args[2]);
  if (offset === undefined) return;
  const on = parseInt64(args[3]);
  if (on !== 0 && on !== 1) {
    ctx.reply.error("ERR bit is not an integer or out of range");
    return;
  }
  const key = toKey(args[1]);
  const w = stringForBitWrite(ctx, key, offset);
  if (!w) return;
  const buf = w.ms.buf;
  const byte = Math.floor(offset / 8);
  const bit = 7 - (offset & 7);
  const old = (buf[byte] >> bit) & 1;
  if (w.grown || old !== on) {
    buf[byte] = (buf[byte] & ~(1 << bit)) | (on << bit);
    ctx.changed(key, "setbit", "$");
  }
  ctx.reply.int(old);
}

function getbit(ctx: Ctx, args: Uint8Array[]): void {
  const offset = parseBitOffset(ctx, args[2]);
  if (offset === undefined) return;
  const v = lookupRead(ctx, toKey(args[1]));
  if (v === undefined) return ctx.reply.int(0);
  const s = stringBytes(v);
  if (!s) return ctx.reply.error(WRONGTYPE);
  const byte = Math.floor(offset / 8);
  ctx.reply.int(byte < s.length ? (s[byte] >> (7 - (offset & 7))) & 1 : 0);
}

/** Popcount of bytes [from, to] of s. */
function popcount(s: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i <= to; i++) n += BITS_IN_BYTE[s[i]];
  return n;
}

const BITS_IN_BYTE = new Uint8Array(256);
for (let i = 1; i < 256; i++) BITS_IN_BYTE[i] = (i & 1) + BITS_IN_BYTE[i >> 1];

/** Parses BYTE|BIT; replies a syntax error and returns undefined for anything else. */
function unitArg(ctx: Ctx, arg: Uint8Array): boolean | undefined {
  if (eqi(arg, "bit")) return true;
  if (eqi(arg, "byte")) return false;
  ctx.reply.error(SYNTAX);
  return undefined;
}

function bitcount(ctx: Ctx, args: Uint8Array[]): void {
  const v = lookupRead(ctx, toKey(args[1]));
  if (v === undefined) return ctx.reply.int(0); // Redis 7.0 checks nothing else for a missing key
  const s = stringBytes(v);
  if (!s) return ctx.reply.error(WRONGTYPE);
  if (args.length === 2) return ctx.reply.int(popcount(s, 0, s.length - 1));
  if (args.length !== 4 && args.length !== 5) return ctx.reply.error(SYNTAX);
  let start = int64Arg(ctx, args[2]);
  if (start === undefined) return;
  let end = int64Arg(ctx, args[3]);
  if (end === undefined) return;
  let isBit = false;
  if (args.length === 5) {
    const u = unitArg(ctx, args[4]);
    if (u === undefined) return;
    isBit = u;
  }
  const total = isBit ? s.length * 8 : s.length;
  if (start < 0 && end < 0 && start > end) return ctx.reply.int(0);
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return ctx.reply.int(0);
  if (!isBit) return ctx.reply.int(popcount(s, start, end));
  const sb = Math.floor(start / 8), eb = Math.floor(end / 8);
  let count = popcount(s, sb, eb);
  // Subtract the bits of the edge bytes that fall outside the bit range.
  count -= BITS_IN_BYTE[s[sb] & (~((1 << (8 - (start & 7))) - 1) & 0xff)];
  count -= BITS_IN_BYTE[s[eb] & ((1 << (7 - (end & 7))) - 1)];
  ctx.reply.int(count);
}

/** First bit equal to `bit` in bit positions [from, to] of s, or -1. */
function findBit(s: Uint8Array, bit: number, from: number, to: number): number {
  const skip = bit ? 0 : 0xff;
  let i = from;
  while (i <= to) {
    if ((i & 7) === 0 && i + 7 <= to && s[i >>> 3] === skip) {
      i += 8;
      continue;
    }
    if (((s[i >>> 3] >> (7 - (i & 7))) & 1) === bit) return i;
    i++;
  }
  return -1;
}

function bitpos(ctx: Ctx, args: Uint8Array[]): void {
  const b = parseInt64(args[2]);
  if (b === undefined) return ctx.reply.error(NOT_INT);
  if (b !== 0 && b !== 1) return ctx.reply.error("ERR The bit argument must be 1 or 0.");
  const v = lookupRead(ctx, toKey(args[1]));
  if (v === undefined) return ctx.reply.int(b ? -1 : 0);
  const s = stringBytes(v);
  if (!s) return ctx.reply.error(WRONGTYPE);
  let start = 0, end = s.length - 1;
  let isBit = false, endGiven = false;
  if (args.length >= 4 && args.length <= 6) {
    const st = int64Arg(ctx, args[3]);
    if (st === undefined) return;
    start = st;
    if (args.length === 6) {
      const u = unitArg(ctx, args[5]);
      if (u === undefined) return;
      isBit = u;
    }
    const total = isBit ? s.length * 8 : s.length;
    if (args.length >= 5) {
      const e = int64Arg(ctx, args[4]);
      if (e === undefined) return;
      end = e;
      endGiven = true;
    } else end = total - 1;
    if (start < 0) start = total + start;
    if (end < 0) end = total + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
  } else if (args.length !== 3) return ctx.reply.error(SYNTAX);
  if (start > end) return ctx.reply.int(-1);
  const from = isBit ? start : start * 8;
  const to = isBit ? end : end * 8 + 7;
  const pos = findBit(s, b, from, to);
  if (pos >= 0 || b === 1) return ctx.reply.int(pos);
  // No clear bit in range: without an explicit end the string counts as zero-padded on the right.
  ctx.reply.int(endGiven ? -1 : (Math.floor(to / 8) + 1) * 8);
}

function bitop(ctx: Ctx, args: Uint8Array[]): void {
  const opname = args[1];
  const op = eqi(opname, "and")
    ? 0
    : eqi(opname, "or")
    ? 1
    : eqi(opname, "xor")
    ? 2
    : eqi(opname, "not")
    ? 3
    : -1;
  if (op < 0) return ctx.reply.error(SYNTAX);
  if (op === 3 && args.length !== 4) {
    return ctx.reply.error("ERR BITOP NOT must be called with a single source key.");
  }
  const srcs: Uint8Array[] = [];
  let maxlen = 0;
  for (let j = 3; j < args.length; j++) {
    const v = lookupRead(ctx, toKey(args[j]));
    if (v === undefined) {
      srcs.push(EMPTY);
      continue;
    }
    const s = stringBytes(v);
    if (!s) return ctx.reply.error(WRONGTYPE);
    srcs.push(s);
    if (s.length > maxlen) maxlen = s.length;
  }
  const dest = toKey(args[2]);
  if (maxlen === 0) {
    if (ctx.db.delete(dest)) ctx.changed(dest, "del", "g");
    return ctx.reply.int(0);
  }
  const res = new Uint8Array(maxlen);
  const first = srcs[0];
  if (op === 3) {
    for (let i = 0; i < maxlen; i++) res[i] = ~first[i] & 0xff;
  } else {
    res.set(first);
    for (let k = 1; k < srcs.length; k++) {
      const s = srcs[k];
      if (op === 0) {
        for (let i = 0; i < maxlen; i++) res[i] &= i < s.length ? s[i] : 0;
      } else if (op === 1) {
        for (let i = 0; i < s.length; i++) res[i] |= s[i];
      } else {
        for (let i = 0; i < s.length; i++) res[i] ^= s[i];
      }
    }
  }
  ctx.db.set(dest, res);
  ctx.changed(dest, "set", "$");
  ctx.reply.int(maxlen);
}

const EMPTY = new Uint8Array(0);

export const bitmapCommands: CommandDef[] = [
  { name: "setbit", run: setbit },
  { name: "getbit", run: getbit },
  { name: "bitcount", run: bitcount },
  { name: "bitpos", run: bitpos },
  { name: "bitop", run: bitop },
];
