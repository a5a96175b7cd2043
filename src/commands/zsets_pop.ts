// Popping from sorted sets (t_zset.c's genericZpopCommand): ZPOPMIN ZPOPMAX ZMPOP and the blocking
// BZPOPMIN BZPOPMAX BZMPOP, which propagate as ZPOPMIN/ZPOPMAX like Redis 7.0.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { parseTimeout } from "../server/blocking.ts";
import { ZSet } from "../store/zset.ts";
import { eqi, toKey } from "../util/bytes.ts";
import {
  deleteIfEmpty,
  longInRange,
  lookupZset,
  positiveLongArg,
  SYNTAX,
  WRONGTYPE,
} from "./zsets_common.ts";

interface PopShape {
  /** Reply [key, …] (ZMPOP and the blocking forms). */
  emitKey: boolean;
  /** [member, score] pairs instead of a flat list. */
  nested: boolean;
  /** A null array instead of an empty one when no key holds anything (ZMPOP). */
  nilWhenEmpty: boolean;
}

/**
 * Pops up to `count` (-1: one, no COUNT given) entries from the first existing key. Returns the
 * key popped from with the set's size before popping, or undefined when nothing was popped.
 */
function genericZpop(
  ctx: Ctx,
  keys: string[],
  max: boolean,
  count: number,
  shape: PopShape,
): [string, number] | undefined {
  let key = "";
  let z: ZSet | undefined;
  for (const k of keys) {
    const v = lookupZset(ctx, k, false);
    if (v === null) return undefined;
    if (v !== undefined) {
      key = k;
      z = v;
      break;
    }
  }
  const r = ctx.reply;
  if (z === undefined) {
    if (shape.nilWhenEmpty) r.nilArray();
    else r.array(0);
    return undefined;
  }
  if (count === 0) {
    r.array(0);
    return undefined;
  }
  const llen = z.size;
  let n = Math.min(count === -1 ? 1 : count, llen);
  if (!shape.emitKey) r.array(shape.nested ? n : n * 2);
  else if (!shape.nested) {
    r.array(n * 2 + 1);
    r.bulkBinary(key);
  } else {
    r.array(2);
    r.bulkBinary(key);
    r.array(n);
  }
  while (n-- > 0) {
    const [m, s] = z.pop(max);
    if (shape.nested) r.array(2);
    r.bulkBinary(m);
    r.double(s);
  }
  ctx.changed(key, max ? "zpopmax" : "zpopmin", "z");
  deleteIfEmpty(ctx, key, z);
  return [key, llen];
}

function zpopMinMax(ctx: Ctx, args: Uint8Array[], max: boolean): void {
  if (args.length > 3) return ctx.reply.error(SYNTAX);
  let count = -1;
  if (args.length === 3) {
    const c = positiveLongArg(ctx, args[2]);
    if (c === undefined) return;
    count = c;
  }
  const nested = ctx.reply.proto === 3 && count !== -1;
  genericZpop(ctx, [toKey(args[1])], max, count, {
    emitKey: false,
    nested,
    nilWhenEmpty: false,
  });
}

/** The served form of every blocking pop, as Redis 7.0 rewrites it for AOF and replicas. */
function propagatePop(ctx: Ctx, key: string, max: boolean, count: number, llen: number): void {
  const name = max ? "ZPOPMAX" : "ZPOPMIN";
  const k = Uint8Array.from(key, (c) => c.charCodeAt(0));
  if (count === -1) ctx.propagate([name, k]);
  else ctx.propagate([name, k, String(Math.min(count, llen))]);
}

/**
 * BZPOPMIN/BZPOPMAX/BZMPOP (blockingGenericZpopCommand): serves from the first non-empty key or
 * blocks. A re-run after a key changed skips keys of another type, as Redis only serves zsets.
 */
function blockingZpop(
  ctx: Ctx,
  keys: string[],
  max: boolean,
  timeoutArg: Uint8Array,
  count: number,
  shape: PopShape,
): void {
  const timeout = parseTimeout(ctx, timeoutArg);
  if (timeout === undefined) return;
  const woken = ctx.server.blocking.isWaiting(ctx);
  for (const key of keys) {
    const v = ctx.db.get(key);
    if (v === undefined) continue;
    if (!(v instanceof ZSet)) {
      if (woken) continue;
      return ctx.reply.error(WRONGTYPE);
    }
    if (v.size === 0) continue;
    const popped = genericZpop(ctx, [key], max, count, shape);
    if (popped) propagatePop(ctx, key, max, count, popped[1]);
    return;
  }
  if (!ctx.block(keys, timeout)) ctx.reply.nilArray();
}

function bzpopMinMax(ctx: Ctx, args: Uint8Array[], max: boolean): void {
  const keys = args.slice(1, -1).map(toKey);
  blockingZpop(ctx, keys, max, args[args.length - 1], -1, {
    emitKey: true,
    nested: false,
    nilWhenEmpty: false,
  });
}

/** ZMPOP numkeys key… MIN|MAX [COUNT n], and BZMPOP timeout numkeys … */
function zmpopGeneric(ctx: Ctx, args: Uint8Array[], numIdx: number, blocking: boolean): void {
  const numkeys = longInRange(ctx, args[numIdx], 1, "ERR numkeys should be greater than 0");
  if (numkeys === undefined) return;
  const whereIdx = numIdx + numkeys + 1;
  if (whereIdx >= args.length) return ctx.reply.error(SYNTAX);
  let max: boolean;
  if (eqi(args[whereIdx], "min")) max = false;
  else if (eqi(args[whereIdx], "max")) max = true;
  else return ctx.reply.error(SYNTAX);
  let count = -1;
  for (let j = whereIdx + 1; j < args.length; j++) {
    if (count === -1 && eqi(args[j], "count") && j + 1 < args.length) {
      const c = longInRange(ctx, args[++j], 1, "ERR count should be greater than 0");
      if (c === undefined) return;
      count = c;
    } else return ctx.reply.error(SYNTAX);
  }
  if (count === -1) count = 1;
  const keys = args.slice(numIdx + 1, whereIdx).map(toKey);
  const shape = { emitKey: true, nested: true, nilWhenEmpty: true };
  if (blocking) return blockingZpop(ctx, keys, max, args[1], count, shape);
  const popped = genericZpop(ctx, keys, max, count, shape);
  if (popped) propagatePop(ctx, popped[0], max, count, popped[1]);
}

export const zsetPopCommands: CommandDef[] = [
  { name: "zpopmin", run: (ctx, a) => zpopMinMax(ctx, a, false) },
  { name: "zpopmax", run: (ctx, a) => zpopMinMax(ctx, a, true) },
  { name: "zmpop", run: (ctx, a) => zmpopGeneric(ctx, a, 1, false) },
  { name: "bzpopmin", run: (ctx, a) => bzpopMinMax(ctx, a, false) },
  { name: "bzpopmax", run: (ctx, a) => bzpopMinMax(ctx, a, true) },
  { name: "bzmpop", run: (ctx, a) => zmpopGeneric(ctx, a, 2, true) },
];
