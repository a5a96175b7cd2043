// String commands on lengths and byte ranges: APPEND STRLEN GETRANGE SUBSTR SETRANGE LCS.
// APPEND and SETRANGE grow a MutableString in place (amortized O(1), reported as "raw").

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { toKey } from "../util/bytes.ts";
import { valueSlab } from "../util/slab.ts";
import { parseInt64 } from "../util/numbers.ts";
import { MutableString, stringBytes, type Value } from "../store/types.ts";
import { computeLcs, lcsTableBytes } from "../util/lcs.ts";
import {
  checkStringLength,
  NOT_INT,
  readString,
  SYNTAX,
  WRONG,
  WRONGTYPE,
} from "./strings_common.ts";
import { optionIs } from "./strings_options.ts";

const EMPTY = new Uint8Array(0);

/** The value as a MutableString, converting (and storing) it first (dbUnshareStringValue). */
function unshare(ctx: Ctx, key: string, v: Value, bytes: Uint8Array, extra: number): MutableString {
  if (v instanceof MutableString) return v;
  const ms = MutableString.from(bytes, extra);
  ctx.db.replace(key, ms);
  return ms;
}

function append(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const add = args[2];
  const v = ctx.db.get(key);
  if (v === undefined) {
    // A new key stores the argument as SET would (so it may report int / embstr).
    ctx.db.set(key, valueSlab.copy(add));
    ctx.changed(key, "append", "$");
    return ctx.reply.int(add.length);
  }
  const cur = stringBytes(v);
  if (cur === undefined) return ctx.reply.error(WRONGTYPE);
  if (!checkStringLength(ctx, cur.length, add.length)) return;
  const ms = unshare(ctx, key, v, cur, add.length);
  ms.reserve(ms.len + add.length);
  ms.buf.set(add, ms.len);
  ms.len += add.length;
  ctx.changed(key, "append", "$");
  ctx.reply.int(ms.len);
}

function strlen(ctx: Ctx, args: Uint8Array[]): void {
  const v = readString(ctx, toKey(args[1]));
  if (v === WRONG) return ctx.reply.error(WRONGTYPE);
  ctx.reply.int(v === undefined ? 0 : v.length);
}

function getrange(ctx: Ctx, args: Uint8Array[]): void {
  const s = parseInt64(args[2]);
  const e = parseInt64(args[3]);
  if (s === undefined || e === undefined) return ctx.reply.error(NOT_INT);
  const v = readString(ctx, toKey(args[1]));
  if (v === undefined) return ctx.reply.bulk(EMPTY);
  if (v === WRONG) return ctx.reply.error(WRONGTYPE);
  // BigInt keeps 64-bit indexes exact, as Redis's long long arithmetic.
  const n = BigInt(v.length);
  let start = BigInt(s);
  let end = BigInt(e);
  if (start < 0n && end < 0n && start > end) return ctx.reply.bulk(EMPTY);
  if (start < 0n) start += n;
  if (end < 0n) end += n;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= n) end = n - 1n;
  if (start > end || n === 0n) return ctx.reply.bulk(EMPTY);
  ctx.reply.bulk(v.subarray(Number(start), Number(end) + 1));
}

function setrange(ctx: Ctx, args: Uint8Array[]): void {
  const off = parseInt64(args[2]);
  if (off === undefined) return ctx.reply.error(NOT_INT);
  if (off < 0) return ctx.reply.error("ERR offset is out of range");
  const value = args[3];
  const key = toKey(args[1]);
  const v = ctx.db.get(key);
  let ms: MutableString;
  if (v === undefined) {
    if (value.length === 0) return ctx.reply.int(0);
    if (!checkStringLength(ctx, Number(off), value.length)) return;
    ms = new MutableString(new Uint8Array(Number(off) + value.length), 0);
    ctx.db.set(key, ms);
  } else {
    const cur = stringBytes(v);
    if (cur === undefined) return ctx.reply.error(WRONGTYPE);
    if (value.length === 0) return ctx.reply.int(cur.length);
    if (!checkStringLength(ctx, Number(off), value.length)) return;
    ms = unshare(ctx, key, v, cur, 0);
  }
  const offset = Number(off);
  const end = offset + value.length;
  if (end > ms.len) {
    ms.reserve(end);
    ms.buf.fill(0, ms.len, offset); // the gap reads as zero bytes (sdsgrowzero)
    ms.len = end;
  }
  ms.buf.set(value, offset);
  ctx.changed(key, "setrange", "$");
  ctx.reply.int(ms.len);
}

function lcs(ctx: Ctx, args: Uint8Array[]): void {
  const a = readString(ctx, toKey(args[1]));
  const b = readString(ctx, toKey(args[2]));
  if (a === WRONG || b === WRONG) {
    return ctx.reply.error("ERR The specified keys must contain string values");
  }
  let getLen = false, getIdx = false, withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < args.length; j++) {
    const opt = args[j];
    if (optionIs(opt, "idx")) getIdx = true;
    else if (optionIs(opt, "len")) getLen = true;
    else if (optionIs(opt, "withmatchlen")) withMatchLen = true;
    else if (optionIs(opt, "minmatchlen") && j < args.length - 1) {
      const v = parseInt64(args[++j]);
      if (v === undefined) return ctx.reply.error(NOT_INT);
      minMatchLen = v < 0 ? 0 : Number(v);
    } else return ctx.reply.error(SYNTAX);
  }
  if (getIdx && getLen) {
    return ctx.reply.error("ERR If you want both the length and indexes, please just use IDX.");
  }
  const sa = a ?? EMPTY;
  const sb = b ?? EMPTY;
  if (lcsTableBytes(sa.length, sb.length) > ctx.server.config.num("proto-max-bulk-len")) {
    return ctx.reply.error(
      "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
    );
  }
  const res = computeLcs(sa, sb, { lcs: !getLen, matches: getIdx, minMatchLen });
  const r = ctx.reply;
  if (getIdx) {
    r.map(2);
    r.bulkStr("matches");
    r.array(res.matches!.length);
    for (const m of res.matches!) {
      r.array(withMatchLen ? 3 : 2);
      r.array(2);
      r.int(m.aStart);
      r.int(m.aEnd);
      r.array(2);
      r.int(m.bStart);
      r.int(m.bEnd);
      if (withMatchLen) r.int(m.len);
    }
    r.bulkStr("len");
    r.int(res.length);
  } else if (getLen) r.int(res.length);
  else r.bulk(res.lcs!);
}

export const rangeCommands: CommandDef[] = [
  { name: "append", run: append },
  { name: "strlen", run: strlen },
  { name: "getrange", run: getrange },
  { name: "substr", run: getrange },
  { name: "setrange", run: setrange },
  { name: "lcs", run: lcs },
];
