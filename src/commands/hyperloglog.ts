// HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST (Redis's hyperloglog.c). The
// value is a plain string in Redis's HLL byte format (src/store/hll.ts), kept as a MutableString
// so registers are updated in place.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { MutableString, stringBytes, type Value } from "../store/types.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { bytesToLatin1 } from "../util/numbers.ts";
import {
  cacheValid,
  createHll,
  decodeSparse,
  denseRegisters,
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  hllCount,
  hllCountRaw,
  hllMerge,
  hllSet,
  invalidateCache,
  isHll,
  readCache,
  sparseToDense,
  writeCache,
} from "../store/hll.ts";
import { lookupRead, WRONGTYPE } from "./bitmaps.ts";

const NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT = "INVALIDOBJ Corrupted HLL object detected";

/** isHLLObjectOrReply: the HLL bytes of a value, or undefined after replying the error. */
function hllBytes(ctx: Ctx, v: Value): Uint8Array | undefined {
  const b = stringBytes(v);
  if (!b) ctx.reply.error(WRONGTYPE);
  else if (!isHll(b)) ctx.reply.error(NOT_HLL);
  else return b;
  return undefined;
}

/** dbUnshareStringValue: the stored value as a MutableString we may modify in place. */
function writable(ctx: Ctx, key: string, v: Value): MutableString {
  if (v instanceof MutableString) return v;
  const ms = MutableString.from(v as Uint8Array);
  ctx.db.replace(key, ms);
  return ms;
}

function sparseMax(ctx: Ctx): number {
  const c = ctx.server.config;
  return c.def("hll-sparse-max-bytes") ? c.num("hll-sparse-max-bytes") : 3000;
}

function pfadd(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const v = ctx.db.get(key);
  let ms: MutableString;
  let updated = 0;
  if (v === undefined) {
    ms = createHll();
    ctx.db.set(key, ms);
    updated++;
  } else {
    if (!hllBytes(ctx, v)) return;
    ms = writable(ctx, key, v);
  }
  const max = sparseMax(ctx);
  for (let j = 2; j < args.length; j++) {
    const r = hllAdd(ms, args[j], max);
    if (r === 1) updated++;
    else if (r === -1) return ctx.reply.error(CORRUPT);
  }
  if (updated) {
    invalidateCache(ms.buf);
    ctx.changed(key, "pfadd", "$");
  }
  ctx.reply.int(updated ? 1 : 0);
}

function pfcount(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length > 2) {
    // Union of several HLLs: merge into one byte per register, count that.
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < args.length; j++) {
      const v = lookupRead(ctx, toKey(args[j]));
      if (v === undefined) continue;
      const b = hllBytes(ctx, v);
      if (!b) return;
      if (!hllMerge(max, b)) return ctx.reply.error(CORRUPT);
    }
    return ctx.reply.int(hllCountRaw(max));
  }
  const key = toKey(args[1]);
  const v = lookupRead(ctx, key);
  if (v === undefined) return ctx.reply.int(0);
  const b = hllBytes(ctx, v);
  if (!b) return;
  if (cacheValid(b)) return ctx.reply.int(readCache(b));
  const card = hllCount(b);
  if (card === undefined) return ctx.reply.error(CORRUPT);
  // Caching the cardinality modifies the string: Redis invalidates WATCH and propagates PFCOUNT
  // (with no keyspace event), so replicas and the WAL hold the same bytes.
  const ms = writable(ctx, key, v);
  writeCache(ms.buf, card);
  ctx.server.touchWatched(ctx.db.id, key);
  ctx.server.wp.dirty++;
  ctx.propagate(args);
  ctx.reply.int(card);
}

function pfmerge(ctx: Ctx, args: Uint8Array[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < args.length; j++) {
    const v = lookupRead(ctx, toKey(args[j]));
    if (v === undefined) continue;
    const b = hllBytes(ctx, v);
    if (!b) return;
    if (b[4] === HLL_DENSE) useDense = true;
    if (!hllMerge(max, b)) return ctx.reply.error(CORRUPT);
  }
  const key = toKey(args[1]);
  const v = ctx.db.get(key);
  let ms: MutableString;
  if (v === undefined) {
    ms = createHll();
    ctx.db.set(key, ms);
  } else ms = writable(ctx, key, v); // already validated: the destination is also a source
  if (useDense && !sparseToDense(ms)) return ctx.reply.error(CORRUPT);
  const limit = sparseMax(ctx);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] !== 0) hllSet(ms, j, max[j], limit);
  }
  invalidateCache(ms.buf);
  ctx.changed(key, "pfadd", "$"); // Redis reports a merge as a mass PFADD
  ctx.reply.ok();
}

function pfdebug(ctx: Ctx, args: Uint8Array[]): void {
  const sub = bytesToLatin1(args[1]);
  const key = toKey(args[2]);
  const v = ctx.db.get(key);
  if (v === undefined) return ctx.reply.error("ERR The specified key does not exist");
  if (!hllBytes(ctx, v)) return;
  const ms = writable(ctx, key, v);
  const arityErr = () =>
    ctx.reply.error(`ERR Wrong number of arguments for the '${sub}' subcommand`);
  if (eqi(args[1], "getreg")) {
    if (args.length !== 3) return arityErr();
    if (ms.buf[4] === HLL_SPARSE) {
      if (!sparseToDense(ms)) return ctx.reply.error(CORRUPT);
      ctx.propagate(args); // the encoding changed: Redis forces propagation
    }
    const regs = denseRegisters(ms.bytes());
    ctx.reply.array(regs.length);
    for (const r of regs) ctx.reply.int(r);
  } else if (eqi(args[1], "decode")) {
    if (args.length !== 3) return arityErr();
    if (ms.buf[4] !== HLL_SPARSE) return ctx.reply.error("ERR HLL encoding is not sparse");
    ctx.reply.bulkStr(decodeSparse(ms.bytes()));
  } else if (eqi(args[1], "encoding")) {
    if (args.length !== 3) return arityErr();
    ctx.reply.simple(ms.buf[4] === HLL_DENSE ? "dense" : "sparse");
  } else if (eqi(args[1], "todense")) {
    if (args.length !== 3) return arityErr();
    let conv = 0;
    if (ms.buf[4] === HLL_SPARSE) {
      if (!sparseToDense(ms)) return ctx.reply.error(CORRUPT);
      conv = 1;
      ctx.propagate(args);
    }
    ctx.reply.int(conv);
  } else ctx.reply.error(`ERR Unknown PFDEBUG subcommand '${sub}'`);
}

/**
 * PFSELFTEST: checks that sparse and dense HLLs agree and stay within the expected error. A
 * lighter run than Redis's (10^5 elements instead of 10^7) so it does not stall the server.
 */
function pfselftest(ctx: Ctx): void {
  const sparse = createHll();
  const dense = createHll();
  sparseToDense(dense);
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seed = Math.floor(Math.random() * 0x7fffffff);
  const ele = new Uint8Array(8);
  const view = new DataView(ele.buffer);
  let checkpoint = 1;
  for (let j = 1; j <= 100000; j++) {
    view.setUint32(0, j ^ seed, true);
    view.setUint32(4, seed, true);
    hllAdd(dense, ele, 3000);
    hllAdd(sparse, ele, 3000);
    if (j === checkpoint) {
      const d = hllCount(dense.bytes())!;
      if (hllCount(sparse.bytes()) !== d) {
        return ctx.reply.error("TESTFAILED dense/sparse disagree");
      }
      const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
      if (Math.abs(checkpoint - d) > maxerr) {
        return ctx.reply.error(
          `TESTFAILED Too big error. card:${checkpoint} abserr:${Math.abs(checkpoint - d)}`,
        );
      }
      checkpoint *= 10;
    }
  }
  ctx.reply.ok();
}

export const hyperloglogCommands: CommandDef[] = [
  { name: "pfadd", run: pfadd },
  { name: "pfcount", run: pfcount },
  { name: "pfmerge", run: pfmerge },
  { name: "pfdebug", run: pfdebug },
  { name: "pfselftest", run: pfselftest },
];
