// Sorted-set commands (Redis's t_zset.c): ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
// ZCOUNT ZLEXCOUNT ZSCAN ZRANDMEMBER. Ranges, set algebra and pops live in the zsets_*.ts files;
// `zsetCommands` gathers them all.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import {
  listpackScoreText,
  ZADD_ADDED,
  ZADD_GT,
  ZADD_INCR,
  ZADD_LT,
  ZADD_NAN,
  ZADD_NOP,
  ZADD_NX,
  ZADD_UPDATED,
  ZADD_XX,
  ZSet,
} from "../store/zset.ts";
import "../store/zset_codec.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { formatDouble, parseInt64 } from "../util/numbers.ts";
import { globMatch } from "../util/glob.ts";
import {
  deleteIfEmpty,
  doubleArg,
  LEX_INVALID,
  longArg,
  lookupZset,
  parseLexRange,
  parseScoreRange,
  RANGE_NOT_FLOAT,
  replyPairs,
  SYNTAX,
  zsetLimits,
} from "./zsets_common.ts";
import { zsetRangeCommands } from "./zsets_range.ts";
import { zsetAlgebraCommands } from "./zsets_algebra.ts";
import { zsetPopCommands } from "./zsets_pop.ts";

/** ZADD and ZINCRBY (zaddGenericCommand); true when the set changed. GEOADD runs it too. */
export function zaddGeneric(ctx: Ctx, args: Uint8Array[], initialFlags: number): boolean {
  let flags = initialFlags;
  let ch = false;
  let idx = 2;
  for (; idx < args.length; idx++) {
    const o = args[idx];
    if (eqi(o, "nx")) flags |= ZADD_NX;
    else if (eqi(o, "xx")) flags |= ZADD_XX;
    else if (eqi(o, "ch")) ch = true;
    else if (eqi(o, "incr")) flags |= ZADD_INCR;
    else if (eqi(o, "gt")) flags |= ZADD_GT;
    else if (eqi(o, "lt")) flags |= ZADD_LT;
    else break;
  }
  const incr = (flags & ZADD_INCR) !== 0;
  const nx = (flags & ZADD_NX) !== 0, xx = (flags & ZADD_XX) !== 0;
  const gt = (flags & ZADD_GT) !== 0, lt = (flags & ZADD_LT) !== 0;
  const rest = args.length - idx;
  if (rest % 2 !== 0 || rest === 0) return fail(ctx, SYNTAX);
  const elements = rest / 2;
  if (nx && xx) return fail(ctx, "ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return fail(ctx, "ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && elements > 1) {
    return fail(ctx, "ERR INCR option supports a single increment-element pair");
  }
  const scores: number[] = new Array(elements);
  for (let j = 0; j < elements; j++) {
    const s = doubleArg(ctx, args[idx + j * 2]);
    if (s === undefined) return false;
    scores[j] = s;
  }
  const key = toKey(args[1]);
  let z = lookupZset(ctx, key, false);
  if (z === null) return false;
  let added = 0, updated = 0, processed = 0;
  let score = 0;
  if (z === undefined && !xx) {
    const limits = zsetLimits(ctx);
    z = ZSet.forFirstMember(args[idx + 1].length, limits);
    ctx.db.set(key, z);
  }
  if (z !== undefined) {
    const limits = zsetLimits(ctx);
    for (let j = 0; j < elements; j++) {
      const out = z.add(toKey(args[idx + 1 + j * 2]), scores[j], flags, limits);
      if (out & ZADD_NAN) {
        ctx.reply.error("ERR resulting score is not a number (NaN)");
        if (added || updated) ctx.changed(key, incr ? "zincr" : "zadd", "z");
        return added + updated > 0;
      }
      if (out & ZADD_ADDED) added++;
      if (out & ZADD_UPDATED) updated++;
      if (!(out & ZADD_NOP)) processed++;
      score = z.newScore;
    }
  }
  if (incr) {
    if (processed) ctx.reply.double(score);
    else ctx.reply.nil();
  } else ctx.reply.int(ch ? added + updated : added);
  if (added || updated) ctx.changed(key, incr ? "zincr" : "zadd", "z");
  return added + updated > 0;
}

function fail(ctx: Ctx, msg: string): false {
  ctx.reply.error(msg);
  return false;
}

function zadd(ctx: Ctx, args: Uint8Array[]): void {
  zaddGeneric(ctx, args, 0);
}

function zincrby(ctx: Ctx, args: Uint8Array[]): void {
  zaddGeneric(ctx, args, ZADD_INCR);
}

function zrem(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const z = lookupZset(ctx, key, false);
  if (z === null) return;
  if (z === undefined) return ctx.reply.int(0);
  let deleted = 0;
  for (let j = 2; j < args.length; j++) {
    if (z.delete(toKey(args[j]))) deleted++;
    if (z.size === 0) break;
  }
  if (deleted) {
    ctx.changed(key, "zrem", "z");
    deleteIfEmpty(ctx, key, z);
  }
  ctx.reply.int(deleted);
}

function zcard(ctx: Ctx, args: Uint8Array[]): void {
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z !== null) ctx.reply.int(z?.size ?? 0);
}

function zscore(ctx: Ctx, args: Uint8Array[]): void {
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z === null) return;
  const s = z?.score(toKey(args[2]));
  if (s === undefined) ctx.reply.nil();
  else ctx.reply.double(s);
}

function zmscore(ctx: Ctx, args: Uint8Array[]): void {
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z === null) return;
  ctx.reply.array(args.length - 2);
  for (let j = 2; j < args.length; j++) {
    const s = z?.score(toKey(args[j]));
    if (s === undefined) ctx.reply.nil();
    else ctx.reply.double(s);
  }
}

function zrankGeneric(ctx: Ctx, args: Uint8Array[], reverse: boolean): void {
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z === null) return;
  const r = z === undefined ? -1 : z.rank(toKey(args[2]), reverse);
  if (r < 0) ctx.reply.nil();
  else ctx.reply.int(r);
}

function zcount(ctx: Ctx, args: Uint8Array[]): void {
  const range = parseScoreRange(args[2], args[3]);
  if (!range) return ctx.reply.error(RANGE_NOT_FLOAT);
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z !== null) ctx.reply.int(z ? z.countInRange(range) : 0);
}

function zlexcount(ctx: Ctx, args: Uint8Array[]): void {
  const range = parseLexRange(args[2], args[3]);
  if (!range) return ctx.reply.error(LEX_INVALID);
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z !== null) ctx.reply.int(z ? z.countInLex(range) : 0);
}

/** parseScanCursorOrReply: strtoul rules (sign allowed, "" is 0, no leading space, 64 bits). */
function scanCursor(b: Uint8Array): bigint | undefined {
  const s = toKey(b);
  if (!/^(?:[+-]?\d+)?$/.test(s)) return undefined; // a lone sign converts nothing: invalid
  const digits = s.replace(/^[+-]/, "");
  const v = digits === "" ? 0n : BigInt(digits);
  if (v > 0xffffffffffffffffn) return undefined;
  return s.startsWith("-") ? (0x10000000000000000n - v) & 0xffffffffffffffffn : v;
}

function zscan(ctx: Ctx, args: Uint8Array[]): void {
  const cursor = scanCursor(args[2]);
  if (cursor === undefined) return ctx.reply.error("ERR invalid cursor");
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z === null) return;
  if (z === undefined) {
    ctx.reply.array(2);
    ctx.reply.bulkBinary("0");
    return ctx.reply.array(0);
  }
  let count = 10;
  let pattern: string | undefined;
  for (let i = 3; i < args.length; i += 2) {
    const more = args.length - i >= 2;
    if (eqi(args[i], "count") && more) {
      const n = longArg(ctx, args[i + 1]);
      if (n === undefined) return;
      if (n < 1) return ctx.reply.error(SYNTAX);
      count = n;
    } else if (eqi(args[i], "match") && more) {
      const p = toKey(args[i + 1]);
      pattern = p === "*" ? undefined : p;
    } else return ctx.reply.error(SYNTAX);
  }
  const flat: string[] = [];
  let next = 0;
  if (z.isCompact) {
    z.forEach((m, s) => flat.push(m, listpackScoreText(s, formatDouble)));
  } else {
    // Redis stops once the reply list (members and scores) holds `count` items.
    let c = Number(cursor & 0xffffffffn);
    let budget = count * 10;
    do {
      c = z.scanStep(c, (m, s) => flat.push(m, formatDouble(s)));
    } while (c !== 0 && budget-- > 0 && flat.length < count);
    next = c;
  }
  ctx.reply.array(2);
  ctx.reply.bulkBinary(String(next));
  let n = 0;
  for (let i = 0; i < flat.length; i += 2) if (!pattern || globMatch(pattern, flat[i])) n++;
  ctx.reply.array(n * 2);
  for (let i = 0; i < flat.length; i += 2) {
    if (pattern && !globMatch(pattern, flat[i])) continue;
    ctx.reply.bulkBinary(flat[i]);
    ctx.reply.bulkBinary(flat[i + 1]);
  }
}

const HALF_LONG = 4611686018427387904n;
const MAX_RANDOM_REPLY = 1 << 27;

function zrandmember(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length === 2) {
    const z = lookupZset(ctx, toKey(args[1]), true);
    if (z === null) return;
    if (z === undefined) return ctx.reply.nil();
    return ctx.reply.bulkBinary(z.randomEntry()[0]);
  }
  const l = parseInt64(args[2]);
  if (l === undefined) return ctx.reply.error("ERR value is not an integer or out of range");
  if (args.length > 4 || (args.length === 4 && !eqi(args[3], "withscores"))) {
    return ctx.reply.error(SYNTAX);
  }
  const withScores = args.length === 4;
  if (withScores && (BigInt(l) < -HALF_LONG || BigInt(l) > HALF_LONG - 1n)) {
    return ctx.reply.error("ERR value is out of range");
  }
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z === null) return;
  if (z === undefined) return ctx.reply.array(0);
  const uniq = l >= 0;
  const count = Math.abs(Number(l));
  if (count === 0) return ctx.reply.array(0);
  // Redis would build a reply of any size; past ~100M entries that only exhausts memory.
  if (!uniq && count > MAX_RANDOM_REPLY) return ctx.reply.error("ERR value is out of range");
  const flat: (string | number)[] = [];
  if (!uniq || count === 1) {
    for (let i = 0; i < count; i++) flat.push(...z.randomEntry());
  } else if (count >= z.size) {
    z.forEachReverse((m, s) => flat.push(m, s));
  } else {
    const all: [string, number][] = [];
    z.forEach((m, s) => all.push([m, s]));
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (all.length - i));
      [all[i], all[j]] = [all[j], all[i]];
      flat.push(all[i][0], all[i][1]);
    }
  }
  replyPairs(ctx, flat, withScores);
}

export const zsetCommands: CommandDef[] = [
  { name: "zadd", run: zadd },
  { name: "zincrby", run: zincrby },
  { name: "zrem", run: zrem },
  { name: "zcard", run: zcard },
  { name: "zscore", run: zscore },
  { name: "zmscore", run: zmscore },
  { name: "zrank", run: (ctx, args) => zrankGeneric(ctx, args, false) },
  { name: "zrevrank", run: (ctx, args) => zrankGeneric(ctx, args, true) },
  { name: "zcount", run: zcount },
  { name: "zlexcount", run: zlexcount },
  { name: "zscan", run: zscan },
  { name: "zrandmember", run: zrandmember },
  ...zsetRangeCommands,
  ...zsetAlgebraCommands,
  ...zsetPopCommands,
];
