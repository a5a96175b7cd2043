// Counter commands on strings: INCR DECR INCRBY DECRBY (64-bit integers, as Redis's
// incrDecrCommand) and INCRBYFLOAT (80-bit long double, propagated as SET … KEEPTTL).

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { toKey } from "../util/bytes.ts";
import { addInt64, formatInt, type Int64, parseInt64 } from "../util/numbers.ts";
import { incrByFloat } from "../util/long_double.ts";
import { ascii, NOT_INT, writeString, WRONG, WRONGTYPE } from "./strings_common.ts";

const MIN_I64 = -9223372036854775808n;

/** Adds `incr` to the integer at args[1]; the TTL is kept (dbOverwrite). */
function incrDecr(ctx: Ctx, keyArg: Uint8Array, incr: Int64): void {
  const key = toKey(keyArg);
  const cur = writeString(ctx, key);
  if (cur === WRONG) return ctx.reply.error(WRONGTYPE);
  const value = cur === undefined ? 0 : parseInt64(cur);
  if (value === undefined) return ctx.reply.error(NOT_INT);
  const next = addInt64(value, incr);
  if (next === undefined) return ctx.reply.error("ERR increment or decrement would overflow");
  const bytes = ascii(formatInt(next));
  if (cur === undefined) ctx.db.set(key, bytes);
  else ctx.db.replace(key, bytes);
  ctx.changed(key, "incrby", "$");
  ctx.reply.int(next);
}

/** Parses an increment argument, replying the error when it is not a 64-bit integer. */
function incrementArg(ctx: Ctx, b: Uint8Array): Int64 | undefined {
  const v = parseInt64(b);
  if (v === undefined) ctx.reply.error(NOT_INT);
  return v;
}

function incr(ctx: Ctx, args: Uint8Array[]): void {
  incrDecr(ctx, args[1], 1);
}

function decr(ctx: Ctx, args: Uint8Array[]): void {
  incrDecr(ctx, args[1], -1);
}

function incrby(ctx: Ctx, args: Uint8Array[]): void {
  const v = incrementArg(ctx, args[2]);
  if (v !== undefined) incrDecr(ctx, args[1], v);
}

function decrby(ctx: Ctx, args: Uint8Array[]): void {
  const v = incrementArg(ctx, args[2]);
  if (v === undefined) return;
  // Negating LLONG_MIN would overflow.
  if (v === MIN_I64) return ctx.reply.error("ERR decrement would overflow");
  incrDecr(ctx, args[1], -v);
}

function incrbyfloat(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const cur = writeString(ctx, key);
  if (cur === WRONG) return ctx.reply.error(WRONGTYPE);
  const r = incrByFloat(cur, args[2]);
  if (!r.ok) {
    return ctx.reply.error(
      r.error === "overflow"
        ? "ERR increment would produce NaN or Infinity"
        : "ERR value is not a valid float",
    );
  }
  if (cur === undefined) ctx.db.set(key, r.value);
  else ctx.db.replace(key, r.value);
  ctx.changed(key, "incrbyfloat", "$");
  ctx.reply.bulk(r.value);
  // Replicas and the WAL get the result, so float formatting can never diverge on replay.
  ctx.propagate(["SET", args[1], r.value, "KEEPTTL"]);
}

export const numericCommands: CommandDef[] = [
  { name: "incr", run: incr },
  { name: "decr", run: decr },
  { name: "incrby", run: incrby },
  { name: "decrby", run: decrby },
  { name: "incrbyfloat", run: incrbyfloat },
];
