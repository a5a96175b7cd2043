// Sorted-set algebra (t_zset.c's zunionInterDiffGenericCommand): ZUNION ZINTER ZDIFF, their STORE
// forms and ZINTERCARD. Plain sets are accepted as inputs, every member scoring 1.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { ZSet } from "../store/zset.ts";
import { RedisSet } from "../store/set.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import {
  doubleArg,
  longArg,
  replyPairs,
  storeResult,
  SYNTAX,
  WRONGTYPE,
  zsetLimits,
} from "./zsets_common.ts";

type Op = "union" | "inter" | "diff";
type Aggregate = "sum" | "min" | "max";

/** One input: a sorted set, a set, or nothing (missing key), with its weight. */
interface Source {
  value: ZSet | RedisSet | undefined;
  weight: number;
}

function sizeOf(s: Source): number {
  return s.value?.size ?? 0;
}

/** Iterates an input as Redis's zuiNext does (sorted sets from the highest score down). */
function forEachOf(s: Source, fn: (member: string, score: number) => void): void {
  const v = s.value;
  if (v instanceof ZSet) v.forEachReverse(fn);
  else if (v) v.forEach((m) => fn(m, 1));
}

function scoreIn(s: Source, member: string): number | undefined {
  const v = s.value;
  if (v instanceof ZSet) return v.score(member);
  return v?.has(member) ? 1 : undefined;
}

/** zunionInterAggregate; a NaN sum (inf + -inf) becomes 0 as in Redis. */
function aggregate(target: number, val: number, how: Aggregate): number {
  if (how === "sum") {
    const r = target + val;
    return Number.isNaN(r) ? 0 : r;
  }
  if (how === "min") return val < target ? val : target;
  return val > target ? val : target;
}

function zsetOp(
  ctx: Ctx,
  args: Uint8Array[],
  dst: string | undefined,
  numIdx: number,
  op: Op,
  cardOnly: boolean,
): void {
  const setnum = longArg(ctx, args[numIdx]);
  if (setnum === undefined) return;
  if (setnum < 1) {
    const name = ctx.current?.cmd.fullName ?? "";
    return ctx.reply.error(`ERR at least 1 input key is needed for '${name}' command`);
  }
  if (setnum > args.length - (numIdx + 1)) return ctx.reply.error(SYNTAX);
  const src: Source[] = [];
  let j = numIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v = ctx.db.get(toKey(args[j]));
    if (v === undefined) ctx.server.stats.keyspaceMisses++;
    else ctx.server.stats.keyspaceHits++;
    if (v !== undefined && !(v instanceof ZSet) && !(v instanceof RedisSet)) {
      return ctx.reply.error(WRONGTYPE);
    }
    src.push({ value: v, weight: 1 });
  }
  let how: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  while (j < args.length) {
    const remaining = args.length - j;
    const a = args[j];
    if (op !== "diff" && !cardOnly && remaining >= setnum + 1 && eqi(a, "weights")) {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = doubleArg(ctx, args[j], "ERR weight value is not a float");
        if (w === undefined) return;
        src[i].weight = w;
      }
    } else if (op !== "diff" && !cardOnly && remaining >= 2 && eqi(a, "aggregate")) {
      const b = args[j + 1];
      if (eqi(b, "sum")) how = "sum";
      else if (eqi(b, "min")) how = "min";
      else if (eqi(b, "max")) how = "max";
      else return ctx.reply.error(SYNTAX);
      j += 2;
    } else if (dst === undefined && !cardOnly && eqi(a, "withscores")) {
      withScores = true;
      j++;
    } else if (cardOnly && remaining >= 2 && eqi(a, "limit")) {
      const l = parseInt64(args[j + 1]);
      if (l === undefined) return ctx.reply.error("ERR LIMIT can't be negative");
      if (l < 0) return ctx.reply.error("ERR LIMIT can't be negative");
      limit = Number(l);
      j += 2;
    } else return ctx.reply.error(SYNTAX);
  }
  // Smallest inputs first (a stable sort, like glibc's qsort): the order sums are added in.
  if (op !== "diff") src.sort((a, b) => sizeOf(a) - sizeOf(b));

  const result = ZSet.skiplist();
  const limits = zsetLimits(ctx);
  let cardinality = 0;
  if (op === "inter") {
    const first = src[0];
    if (sizeOf(first) > 0) {
      const found = new Error(); // thrown to stop early at ZINTERCARD's LIMIT
      try {
        forEachOf(first, (member, s0) => {
          let score = first.weight * s0;
          if (Number.isNaN(score)) score = 0;
          for (let k = 1; k < src.length; k++) {
            const other = src[k];
            const v = other.value === first.value ? s0 : scoreIn(other, member);
            if (v === undefined) return;
            score = aggregate(score, v * other.weight, how);
          }
          if (cardOnly) {
            cardinality++;
            if (limit && cardinality >= limit) throw found;
          } else result.add(member, score, 0, limits);
        });
      } catch (e) {
        if (e !== found) throw e;
      }
    }
  } else if (op === "union") {
    const acc = new Map<string, number>();
    for (const s of src) {
      forEachOf(s, (member, v) => {
        let score = s.weight * v;
        if (Number.isNaN(score)) score = 0;
        const cur = acc.get(member);
        acc.set(member, cur === undefined ? score : aggregate(cur, score, how));
      });
    }
    for (const [m, s] of acc) result.add(m, s, 0, limits);
  } else {
    const first = src[0];
    forEachOf(first, (member, s0) => {
      for (let k = 1; k < src.length; k++) {
        if (src[k].value === first.value || scoreIn(src[k], member) !== undefined) return;
      }
      result.add(member, s0, 0, limits);
    });
  }

  if (dst !== undefined) {
    result.shrinkIfSmall(limits);
    ctx.reply.int(result.size);
    storeResult(ctx, dst, result, `z${op}store`);
  } else if (cardOnly) ctx.reply.int(cardinality);
  else {
    const flat: (string | number)[] = [];
    result.forEach((m, s) => flat.push(m, s));
    replyPairs(ctx, flat, withScores);
  }
}

export const zsetAlgebraCommands: CommandDef[] = [
  { name: "zunionstore", run: (ctx, a) => zsetOp(ctx, a, toKey(a[1]), 2, "union", false) },
  { name: "zinterstore", run: (ctx, a) => zsetOp(ctx, a, toKey(a[1]), 2, "inter", false) },
  { name: "zdiffstore", run: (ctx, a) => zsetOp(ctx, a, toKey(a[1]), 2, "diff", false) },
  { name: "zunion", run: (ctx, a) => zsetOp(ctx, a, undefined, 1, "union", false) },
  { name: "zinter", run: (ctx, a) => zsetOp(ctx, a, undefined, 1, "inter", false) },
  { name: "zintercard", run: (ctx, a) => zsetOp(ctx, a, undefined, 1, "inter", true) },
  { name: "zdiff", run: (ctx, a) => zsetOp(ctx, a, undefined, 1, "diff", false) },
];
