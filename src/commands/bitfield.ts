// BITFIELD / BITFIELD_RO: signed and unsigned integers of 1..64 bits at arbitrary bit offsets of
// a string, with OVERFLOW WRAP|SAT|FAIL, as Redis's bitfieldGeneric. Arithmetic is done in bigint
// so 64-bit wrap-around is exact.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { stringBytes } from "../store/types.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { lookupRead, parseBitOffset, stringForBitWrite, WRONGTYPE } from "./bitmaps.ts";

const BAD_TYPE =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

const enum Overflow {
  Wrap,
  Sat,
  Fail,
}

interface BitfieldOp {
  write: boolean;
  incr: boolean;
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: Overflow;
}

/** getBitfieldTypeFromArgument: i1..i64 or u1..u63. */
function parseType(arg: Uint8Array): { signed: boolean; bits: number } | undefined {
  if (arg.length < 2 || (arg[0] !== 105 && arg[0] !== 117)) return undefined; // 'i' | 'u'
  const signed = arg[0] === 105;
  const n = parseInt64(arg.subarray(1));
  if (typeof n !== "number" || n < 1 || n > (signed ? 64 : 63)) return undefined;
  return { signed, bits: n };
}

function getBits(p: Uint8Array, offset: number, bits: number): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++, offset++) {
    const byte = offset >>> 3;
    const bit = byte < p.length ? (p[byte] >> (7 - (offset & 7))) & 1 : 0;
    v = (v << 1n) | BigInt(bit);
  }
  return v;
}

function setBits(p: Uint8Array, offset: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(bits, value);
  for (let j = 0; j < bits; j++, offset++) {
    const bitval = Number((u >> BigInt(bits - 1 - j)) & 1n);
    const byte = offset >>> 3;
    const bit = 7 - (offset & 7);
    p[byte] = (p[byte] & ~(1 << bit)) | (bitval << bit);
  }
}

function read(p: Uint8Array, op: BitfieldOp): bigint {
  const u = getBits(p, op.offset, op.bits);
  return op.signed ? BigInt.asIntN(op.bits, u) : u;
}

/**
 * checkSigned/UnsignedBitfieldOverflow in exact arithmetic: the stored value for `value + incr`
 * under the overflow policy, or null when the policy is FAIL and it does not fit.
 */
function fit(op: BitfieldOp, value: bigint, incr: bigint): bigint | null {
  const bits = BigInt(op.bits);
  const max = op.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const min = op.signed ? -max - 1n : 0n;
  const sum = value + incr;
  let over = 0;
  if (value > max || sum > max) over = 1;
  else if (value < min || sum < min) over = -1;
  if (over === 0) return sum;
  if (op.overflow === Overflow.Fail) return null;
  if (op.overflow === Overflow.Sat) return over > 0 ? max : min;
  return op.signed ? BigInt.asIntN(op.bits, sum) : BigInt.asUintN(op.bits, sum);
}

function bitfieldGeneric(ctx: Ctx, args: Uint8Array[], readonly: boolean): void {
  const ops: BitfieldOp[] = [];
  let overflow = Overflow.Wrap;
  let writes = false;
  let highest = 0;
  for (let j = 2; j < args.length; j++) {
    const rem = args.length - j - 1;
    const sub = args[j];
    let write: boolean, incr = false;
    if (eqi(sub, "get") && rem >= 2) write = false;
    else if (eqi(sub, "set") && rem >= 3) write = true;
    else if (eqi(sub, "incrby") && rem >= 3) write = incr = true;
    else if (eqi(sub, "overflow") && rem >= 1) {
      const t = args[++j];
      if (eqi(t, "wrap")) overflow = Overflow.Wrap;
      else if (eqi(t, "sat")) overflow = Overflow.Sat;
      else if (eqi(t, "fail")) overflow = Overflow.Fail;
      else return ctx.reply.error("ERR Invalid OVERFLOW type specified");
      continue;
    } else return ctx.reply.error("ERR syntax error");
    const type = parseType(args[j + 1]);
    if (!type) return ctx.reply.error(BAD_TYPE);
    const offset = parseBitOffset(ctx, args[j + 2], type.bits);
    if (offset === undefined) return;
    let value = 0n;
    if (write) {
      writes = true;
      highest = Math.max(highest, offset + type.bits - 1);
      const v = parseInt64(args[j + 3]);
      if (v === undefined) return ctx.reply.error("ERR value is not an integer or out of range");
      value = BigInt(v);
    }
    ops.push({ write, incr, ...type, offset, value, overflow });
    j += write ? 3 : 2;
  }

  const key = toKey(args[1]);
  let data: Uint8Array | undefined;
  let grown = false;
  if (!writes) {
    const v = lookupRead(ctx, key);
    if (v !== undefined) {
      data = stringBytes(v);
      if (!data) return ctx.reply.error(WRONGTYPE);
    }
  } else {
    if (readonly) return ctx.reply.error("ERR BITFIELD_RO only supports the GET subcommand");
    const w = stringForBitWrite(ctx, key, highest);
    if (!w) return;
    data = w.ms.bytes();
    grown = w.grown;
  }

  const r = ctx.reply;
  r.array(ops.length);
  let changes = 0;
  const empty = new Uint8Array(0);
  for (const op of ops) {
    const p = data ?? empty;
    if (!op.write) {
      r.int(normalize(read(p, op)));
      continue;
    }
    const old = read(p, op);
    const next = op.incr ? fit(op, old, op.value) : fit(op, op.value, 0n);
    if (next === null) r.nil();
    else {
      r.int(normalize(op.incr ? next : old));
      setBits(p, op.offset, op.bits, next);
      if (grown || next !== old) changes++;
    }
  }
  if (changes > 0) ctx.changed(key, "setbit", "$");
}

function normalize(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

function bitfield(ctx: Ctx, args: Uint8Array[]): void {
  bitfieldGeneric(ctx, args, false);
}

function bitfieldRo(ctx: Ctx, args: Uint8Array[]): void {
  bitfieldGeneric(ctx, args, true);
}

export const bitfieldCommands: CommandDef[] = [
  { name: "bitfield", run: bitfield },
  { name: "bitfield_ro", run: bitfieldRo },
];
