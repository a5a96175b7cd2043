// Blocking list commands (t_list.c): BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP. They serve at once when
// a list has elements, else block on the keys and are re-run when one changes (src/server/blocking.ts).

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { parseTimeout } from "../server/blocking.ts";
import { ListValue } from "../store/list.ts";
import { toKey } from "../util/bytes.ts";
import {
  elementsRemoved,
  type End,
  endArg,
  lmoveGeneric,
  mpopFirst,
  mpopKeys,
  parseMpop,
  popFrom,
  WRONGTYPE,
} from "./lists.ts";

/**
 * BLPOP/BRPOP: pops one element from the first non-empty list, replying [key, element] and
 * propagating `LPOP|RPOP key`. A woken client skips keys of another type: Redis only serves lists.
 */
function blockingPop(ctx: Ctx, args: Uint8Array[], end: End): void {
  const timeout = parseTimeout(ctx, args[args.length - 1]);
  if (timeout === undefined) return;
  const woken = ctx.server.blocking.isWaiting(ctx);
  const keys: string[] = [];
  for (let j = 1; j < args.length - 1; j++) {
    const key = toKey(args[j]);
    keys.push(key);
    const v = ctx.db.get(key);
    if (v === undefined) continue;
    if (!(v instanceof ListValue)) {
      if (woken) continue;
      ctx.reply.error(WRONGTYPE);
      return;
    }
    ctx.reply.array(2);
    ctx.reply.bulkBinary(key);
    ctx.reply.bulkBinary(popFrom(v, end)!);
    elementsRemoved(ctx, key, end, v);
    ctx.propagate([end === "left" ? "LPOP" : "RPOP", args[j]]);
    return;
  }
  // Inside MULTI/EXEC or a script, blocking is not allowed: answer as a timeout at once.
  if (!ctx.block(keys, timeout)) ctx.reply.nilArray();
}

/**
 * BLMOVE/BRPOPLPUSH (blmoveGenericCommand): LMOVE when the source has elements, else block on it.
 * Served, it propagates as LMOVE / RPOPLPUSH; a wrong-typed destination answers WRONGTYPE.
 */
function blockingMove(
  ctx: Ctx,
  args: Uint8Array[],
  from: End,
  to: End,
  timeout: number,
  rpoplpush: boolean,
): void {
  const src = toKey(args[1]);
  const v = ctx.db.get(src);
  const woken = ctx.server.blocking.isWaiting(ctx);
  if (v !== undefined && !(v instanceof ListValue) && !woken) {
    ctx.reply.error(WRONGTYPE);
    return;
  }
  if (v instanceof ListValue) {
    // A woken client is propagated with Redis's lower-case position words (shared.left/right).
    const propagated = rpoplpush
      ? ["RPOPLPUSH", args[1], args[2]]
      : ["LMOVE", args[1], args[2], woken ? from : args[3], woken ? to : args[4]];
    lmoveGeneric(ctx, args[1], args[2], from, to, propagated);
    return;
  }
  // Not allowed to block (MULTI/EXEC, scripts): Redis answers a null bulk here, not a null array.
  if (!ctx.block([src], timeout)) ctx.reply.nil();
}

function blmove(ctx: Ctx, args: Uint8Array[]): void {
  const from = endArg(ctx, args[3]);
  if (from === undefined) return;
  const to = endArg(ctx, args[4]);
  if (to === undefined) return;
  const timeout = parseTimeout(ctx, args[5]);
  if (timeout === undefined) return;
  blockingMove(ctx, args, from, to, timeout, false);
}

function brpoplpush(ctx: Ctx, args: Uint8Array[]): void {
  const timeout = parseTimeout(ctx, args[3]);
  if (timeout === undefined) return;
  blockingMove(ctx, args, "right", "left", timeout, true);
}

/** BLMPOP timeout numkeys key… LEFT|RIGHT [COUNT n]: the timeout is checked after the rest. */
function blmpop(ctx: Ctx, args: Uint8Array[]): void {
  const m = parseMpop(ctx, args, 2);
  if (m === undefined) return;
  const timeout = parseTimeout(ctx, args[1]);
  if (timeout === undefined) return;
  const woken = ctx.server.blocking.isWaiting(ctx);
  if (mpopFirst(ctx, m, woken) !== "none") return;
  if (!ctx.block(m.keys.map(toKey), timeout)) ctx.reply.nilArray();
}

export const listBlockingCommands: CommandDef[] = [
  { name: "blpop", run: (c, a) => blockingPop(c, a, "left") },
  { name: "brpop", run: (c, a) => blockingPop(c, a, "right") },
  { name: "blmove", run: blmove },
  { name: "brpoplpush", run: brpoplpush },
  { name: "blmpop", run: blmpop, getKeys: mpopKeys(2) },
];
