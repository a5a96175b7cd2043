// Sorted-set range commands (t_zset.c's zrangeGenericCommand and zremrangeGenericCommand):
// ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) ZRANGESTORE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE
// ZRANGEBYLEX ZREVRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { type Emit, ZSet } from "../store/zset.ts";
import type { LexRange, ScoreRange } from "../store/zset_ranges.ts";
import { eqi, toKey } from "../util/bytes.ts";
import {
  deleteIfEmpty,
  LEX_INVALID,
  longArg,
  lookupZset,
  parseLexRange,
  parseScoreRange,
  RANGE_NOT_FLOAT,
  replyPairs,
  storeResult,
  SYNTAX,
  zsetLimits,
} from "./zsets_common.ts";

type RangeType = "auto" | "rank" | "score" | "lex";
type Direction = "auto" | "forward" | "reverse";

/** Clamps a rank range like Redis; undefined when it selects nothing. */
function clampRanks(start: number, end: number, len: number): [number, number] | undefined {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return undefined;
  return [start, Math.min(end, len - 1)];
}

/**
 * The one ZRANGE implementation behind all range reads and ZRANGESTORE. `first` is the index of
 * the source key; `store` is the destination key for ZRANGESTORE.
 */
function zrangeGeneric(
  ctx: Ctx,
  args: Uint8Array[],
  first: number,
  store: string | undefined,
  type: RangeType,
  dir: Direction,
): void {
  let minIdx = first + 1, maxIdx = first + 2;
  let withScores = false;
  let offset = 0, limit = -1;
  for (let j = first + 3; j < args.length; j++) {
    const left = args.length - j - 1;
    const a = args[j];
    if (store === undefined && eqi(a, "withscores")) withScores = true;
    else if (eqi(a, "limit") && left >= 2) {
      const o = longArg(ctx, args[j + 1]);
      if (o === undefined) return;
      const l = longArg(ctx, args[j + 2]);
      if (l === undefined) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (dir === "auto" && eqi(a, "rev")) dir = "reverse";
    else if (type === "auto" && eqi(a, "bylex")) type = "lex";
    else if (type === "auto" && eqi(a, "byscore")) type = "score";
    else return ctx.reply.error(SYNTAX);
  }
  if (dir === "auto") dir = "forward";
  if (type === "auto") type = "rank";
  if (limit !== -1 && type === "rank") {
    return ctx.reply.error(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
  }
  if (withScores && type === "lex") {
    return ctx.reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  const reverse = dir === "reverse";
  if (reverse && type !== "rank") [minIdx, maxIdx] = [maxIdx, minIdx];
  let start = 0, end = 0;
  let score: ScoreRange | undefined;
  let lex: LexRange | undefined;
  if (type === "rank") {
    const s = longArg(ctx, args[minIdx]);
    if (s === undefined) return;
    const e = longArg(ctx, args[maxIdx]);
    if (e === undefined) return;
    start = s;
    end = e;
  } else if (type === "score") {
    score = parseScoreRange(args[minIdx], args[maxIdx]);
    if (!score) return ctx.reply.error(RANGE_NOT_FLOAT);
  } else {
    lex = parseLexRange(args[minIdx], args[maxIdx]);
    if (!lex) return ctx.reply.error(LEX_INVALID);
  }
  const z = lookupZset(ctx, toKey(args[first]), true);
  if (z === null) return;

  // Results go either to the client (collected, then written) or into the destination set.
  const flat: (string | number)[] = [];
  let dst: ZSet | undefined;
  let emit: Emit = (m, s) => flat.push(m, s);
  if (store !== undefined) {
    const limits = zsetLimits(ctx);
    const out = new ZSet();
    dst = out;
    emit = (m, s) => out.add(m, s, 0, limits);
    if (z && type === "rank") {
      // zrangeResultBeginStore sizes the destination from the known result length.
      const r = clampRanks(start, end, z.size);
      if (r) out.growFor(r[1] - r[0] + 1, limits);
    }
  }
  if (z !== undefined) {
    if (type === "rank") {
      const r = clampRanks(start, end, z.size);
      if (r) z.rangeByRank(r[0], r[1], reverse, emit);
    } else if (type === "score") z.rangeByScore(score!, offset, limit, reverse, emit);
    else z.rangeByLex(lex!, offset, limit, reverse, emit);
  }
  if (store === undefined) return replyPairs(ctx, flat, withScores);
  ctx.reply.int(dst!.size);
  storeResult(ctx, store, dst!, "zrangestore");
}

function zremrangeGeneric(ctx: Ctx, args: Uint8Array[], type: "rank" | "score" | "lex"): void {
  let start = 0, end = 0;
  let score: ScoreRange | undefined;
  let lex: LexRange | undefined;
  if (type === "rank") {
    const s = longArg(ctx, args[2]);
    if (s === undefined) return;
    const e = longArg(ctx, args[3]);
    if (e === undefined) return;
    start = s;
    end = e;
  } else if (type === "score") {
    score = parseScoreRange(args[2], args[3]);
    if (!score) return ctx.reply.error(RANGE_NOT_FLOAT);
  } else {
    lex = parseLexRange(args[2], args[3]);
    if (!lex) return ctx.reply.error(LEX_INVALID);
  }
  const key = toKey(args[1]);
  const z = lookupZset(ctx, key, false);
  if (z === null) return;
  if (z === undefined) return ctx.reply.int(0);
  let deleted: number;
  if (type === "rank") {
    const r = clampRanks(start, end, z.size);
    if (!r) return ctx.reply.int(0);
    deleted = z.deleteRangeByRank(r[0], r[1]);
  } else if (type === "score") deleted = z.deleteRangeByScore(score!);
  else deleted = z.deleteRangeByLex(lex!);
  if (deleted) {
    ctx.changed(key, "zremrangeby" + type, "z");
    deleteIfEmpty(ctx, key, z);
  }
  ctx.reply.int(deleted);
}

export const zsetRangeCommands: CommandDef[] = [
  { name: "zrange", run: (ctx, a) => zrangeGeneric(ctx, a, 1, undefined, "auto", "auto") },
  {
    name: "zrangestore",
    run: (ctx, a) => zrangeGeneric(ctx, a, 2, toKey(a[1]), "auto", "auto"),
  },
  { name: "zrevrange", run: (ctx, a) => zrangeGeneric(ctx, a, 1, undefined, "rank", "reverse") },
  {
    name: "zrangebyscore",
    run: (ctx, a) => zrangeGeneric(ctx, a, 1, undefined, "score", "forward"),
  },
  {
    name: "zrevrangebyscore",
    run: (ctx, a) => zrangeGeneric(ctx, a, 1, undefined, "score", "reverse"),
  },
  { name: "zrangebylex", run: (ctx, a) => zrangeGeneric(ctx, a, 1, undefined, "lex", "forward") },
  {
    name: "zrevrangebylex",
    run: (ctx, a) => zrangeGeneric(ctx, a, 1, undefined, "lex", "reverse"),
  },
  { name: "zremrangebyrank", run: (ctx, a) => zremrangeGeneric(ctx, a, "rank") },
  { name: "zremrangebyscore", run: (ctx, a) => zremrangeGeneric(ctx, a, "score") },
  { name: "zremrangebylex", run: (ctx, a) => zremrangeGeneric(ctx, a, "lex") },
];
