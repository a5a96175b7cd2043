// Hash commands (Redis's t_hash.c): HSET HSETNX HMSET HGET HMGET HDEL HEXISTS HLEN HSTRLEN HKEYS
// HVALS HGETALL HINCRBY HINCRBYFLOAT. HRANDFIELD and HSCAN live in hashes_random_scan.ts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { RedisHash } from "../store/hash.ts";
import "../store/hash_codec.ts";
import { fromKey, toKey } from "../util/bytes.ts";
import { addInt64, parseInt64 } from "../util/numbers.ts";
import { intOfMember } from "../store/intset.ts";
import {
  addLongDouble,
  formatLongDoubleHuman,
  isFiniteLongDouble,
  parseLongDouble,
} from "../util/long_double.ts";
import { hashRandomScanCommands } from "./hashes_random_scan.ts";
import { hashLimits as limits, lookupHash } from "./hashes_common.ts";

const NOT_INT = "ERR value is not an integer or out of range";

/**
 * hashTypeLookupWriteOrCreate: the hash to write into, a fresh one (not yet in the db) when the
 * key is missing, or null after WRONGTYPE. `commit` adds a fresh hash to the db.
 */
function hashForWrite(ctx: Ctx, key: string): { h: RedisHash; commit: () => void } | null {
  const found = lookupHash(ctx, key, false);
  if (found === null) return null;
  if (found) return { h: found, commit: () => {} };
  const h = new RedisHash();
  return { h, commit: () => ctx.db.set(key, h) };
}

/** HSET and HMSET: field/value pairs; HSET replies the number of new fields, HMSET +OK. */
function hsetGeneric(ctx: Ctx, args: Uint8Array[], isHmset: boolean): void {
  if (args.length % 2 === 1) {
    ctx.reply.error(`ERR wrong number of arguments for '${isHmset ? "hmset" : "hset"}' command`);
    return;
  }
  const key = toKey(args[1]);
  const w = hashForWrite(ctx, key);
  if (!w) return;
  const strs: string[] = [];
  for (let i = 2; i < args.length; i++) strs.push(toKey(args[i]));
  const lim = limits(ctx);
  w.h.tryConversion(strs, lim);
  let created = 0;
  for (let i = 0; i < strs.length; i += 2) if (w.h.set(strs[i], strs[i + 1], lim)) created++;
  w.commit();
  ctx.changed(key, "hset", "h");
  if (isHmset) ctx.reply.ok();
  else ctx.reply.int(created);
}

function hset(ctx: Ctx, args: Uint8Array[]): void {
  hsetGeneric(ctx, args, false);
}

function hmset(ctx: Ctx, args: Uint8Array[]): void {
  hsetGeneric(ctx, args, true);
}

function hsetnx(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const w = hashForWrite(ctx, key);
  if (!w) return;
  const field = toKey(args[2]);
  if (w.h.has(field)) {
    ctx.reply.int(0);
    return;
  }
  const value = toKey(args[3]);
  const lim = limits(ctx);
  w.h.tryConversion([field, value], lim);
  w.h.set(field, value, lim);
  w.commit();
  ctx.changed(key, "hset", "h");
  ctx.reply.int(1);
}

function hget(ctx: Ctx, args: Uint8Array[]): void {
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h === null) return;
  const v = h?.get(toKey(args[2]));
  if (v === undefined) ctx.reply.nil();
  else ctx.reply.bulkBinary(v);
}

function hmget(ctx: Ctx, args: Uint8Array[]): void {
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h === null) return;
  ctx.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const v = h?.get(toKey(args[i]));
    if (v === undefined) ctx.reply.nil();
    else ctx.reply.bulkBinary(v);
  }
}

function hdel(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const h = lookupHash(ctx, key, false);
  if (h === null) return;
  if (h === undefined) {
    ctx.reply.int(0);
    return;
  }
  let deleted = 0;
  let keyRemoved = false;
  for (let i = 2; i < args.length; i++) {
    if (!h.delete(toKey(args[i]))) continue;
    deleted++;
    if (h.size === 0) {
      ctx.db.delete(key);
      keyRemoved = true;
      break;
    }
  }
  if (deleted > 0) {
    ctx.changed(key, "hdel", "h");
    if (keyRemoved) ctx.changed(key, "del", "g");
  }
  ctx.reply.int(deleted);
}

function hlen(ctx: Ctx, args: Uint8Array[]): void {
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h !== null) ctx.reply.int(h?.size ?? 0);
}

function hstrlen(ctx: Ctx, args: Uint8Array[]): void {
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h !== null) ctx.reply.int(h?.get(toKey(args[2]))?.length ?? 0);
}

function hexists(ctx: Ctx, args: Uint8Array[]): void {
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h !== null) ctx.reply.int(h?.has(toKey(args[2])) ? 1 : 0);
}

/** HKEYS / HVALS / HGETALL (genericHgetallCommand): a map for pairs, a flat array otherwise. */
function hgetallGeneric(ctx: Ctx, args: Uint8Array[], keys: boolean, values: boolean): void {
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h === null) return;
  const r = ctx.reply;
  const n = h?.size ?? 0;
  if (keys && values) r.map(n);
  else r.array(n);
  h?.forEach((f, v) => {
    if (keys) r.bulkBinary(f);
    if (values) r.bulkBinary(v);
  });
}

function hkeys(ctx: Ctx, args: Uint8Array[]): void {
  hgetallGeneric(ctx, args, true, false);
}

function hvals(ctx: Ctx, args: Uint8Array[]): void {
  hgetallGeneric(ctx, args, false, true);
}

function hgetall(ctx: Ctx, args: Uint8Array[]): void {
  hgetallGeneric(ctx, args, true, true);
}

function hincrby(ctx: Ctx, args: Uint8Array[]): void {
  const incr = parseInt64(args[3]);
  if (incr === undefined) {
    ctx.reply.error(NOT_INT);
    return;
  }
  const key = toKey(args[1]);
  const w = hashForWrite(ctx, key);
  if (!w) return;
  const field = toKey(args[2]);
  const cur = w.h.get(field);
  let value: number | bigint = 0;
  if (cur !== undefined) {
    const v = intOfMember(cur);
    if (v === undefined) {
      ctx.reply.error("ERR hash value is not an integer");
      return;
    }
    value = v;
  }
  const next = addInt64(value, incr);
  if (next === undefined) {
    ctx.reply.error("ERR increment or decrement would overflow");
    return;
  }
  w.h.set(field, String(next), limits(ctx));
  w.commit();
  ctx.changed(key, "hincrby", "h");
  ctx.reply.int(next);
}

/** HINCRBYFLOAT in long double arithmetic, like INCRBYFLOAT; propagated as HSET of the result. */
function hincrbyfloat(ctx: Ctx, args: Uint8Array[]): void {
  const incr = parseLongDouble(args[3]);
  if (incr === undefined) {
    ctx.reply.error("ERR value is not a valid float");
    return;
  }
  if (!isFiniteLongDouble(incr)) {
    ctx.reply.error("ERR value is NaN or Infinity");
    return;
  }
  const key = toKey(args[1]);
  const w = hashForWrite(ctx, key);
  if (!w) return;
  const field = toKey(args[2]);
  const cur = w.h.get(field);
  let value = cur === undefined ? parseLongDouble(ZERO) : parseLongDouble(fromKey(cur));
  if (value === undefined) {
    ctx.reply.error("ERR hash value is not a float");
    return;
  }
  value = addLongDouble(value, incr);
  if (!isFiniteLongDouble(value)) {
    ctx.reply.error("ERR increment would produce NaN or Infinity");
    return;
  }
  const text = formatLongDoubleHuman(value);
  w.h.set(field, text, limits(ctx));
  w.commit();
  ctx.changed(key, "hincrbyfloat", "h");
  const bytes = fromKey(text);
  ctx.propagate(["HSET", args[1], args[2], bytes]);
  ctx.reply.bulk(bytes);
}

const ZERO = new Uint8Array([48]);

export const hashCommands: CommandDef[] = [
  { name: "hset", run: hset },
  { name: "hmset", run: hmset },
  { name: "hsetnx", run: hsetnx },
  { name: "hget", run: hget },
  { name: "hmget", run: hmget },
  { name: "hdel", run: hdel },
  { name: "hlen", run: hlen },
  { name: "hstrlen", run: hstrlen },
  { name: "hexists", run: hexists },
  { name: "hkeys", run: hkeys },
  { name: "hvals", run: hvals },
  { name: "hgetall", run: hgetall },
  { name: "hincrby", run: hincrby },
  { name: "hincrbyfloat", run: hincrbyfloat },
  ...hashRandomScanCommands,
];
