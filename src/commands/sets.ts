// Set commands (Redis's t_set.c): SADD SREM SCARD SISMEMBER SMISMEMBER SMOVE SPOP SRANDMEMBER
// SSCAN. SMEMBERS and the algebra (SINTER SUNION SDIFF, their STORE forms, SINTERCARD) live in
// sets_algebra.ts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { RedisSet } from "../store/set.ts";
import "../store/set_codec.ts";
import { fromKey, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { lookupSet, maxIntsetEntries, replyMembers } from "./sets_common.ts";
import { setAlgebraCommands } from "./sets_algebra.ts";
import { randomCountArg, tooManyPicks } from "./hashes_random_scan.ts";
import {
  EMPTY_SCAN,
  parseScanCursor,
  parseScanOptions,
  replyScan,
  scanBuckets,
  scanMatches,
} from "./scan_collections.ts";

/** SPOP switches to "pick the survivors" when fewer than count / 5 members would remain. */
const SPOP_MOVE_STRATEGY_MUL = 5;

function sadd(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  let s = lookupSet(ctx, key, false);
  if (s === null) return;
  const isNew = s === undefined;
  s ??= new RedisSet();
  const max = maxIntsetEntries(ctx);
  let added = 0;
  for (let i = 2; i < args.length; i++) if (s.add(toKey(args[i]), max)) added++;
  if (isNew) ctx.db.set(key, s);
  if (added > 0) ctx.changed(key, "sadd", "s");
  ctx.reply.int(added);
}

function srem(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const s = lookupSet(ctx, key, false);
  if (s === null) return;
  if (s === undefined) {
    ctx.reply.int(0);
    return;
  }
  let deleted = 0;
  let keyRemoved = false;
  for (let i = 2; i < args.length; i++) {
    if (!s.remove(toKey(args[i]))) continue;
    deleted++;
    if (s.size === 0) {
      ctx.db.delete(key);
      keyRemoved = true;
      break;
    }
  }
  if (deleted > 0) {
    ctx.changed(key, "srem", "s");
    if (keyRemoved) ctx.changed(key, "del", "g");
  }
  ctx.reply.int(deleted);
}

function scard(ctx: Ctx, args: Uint8Array[]): void {
  const s = lookupSet(ctx, toKey(args[1]), true);
  if (s !== null) ctx.reply.int(s?.size ?? 0);
}

function sismember(ctx: Ctx, args: Uint8Array[]): void {
  const s = lookupSet(ctx, toKey(args[1]), true);
  if (s !== null) ctx.reply.int(s?.has(toKey(args[2])) ? 1 : 0);
}

function smismember(ctx: Ctx, args: Uint8Array[]): void {
  const s = lookupSet(ctx, toKey(args[1]), true);
  if (s === null) return;
  ctx.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) ctx.reply.int(s?.has(toKey(args[i])) ? 1 : 0);
}

function smove(ctx: Ctx, args: Uint8Array[]): void {
  const srcKey = toKey(args[1]);
  const dstKey = toKey(args[2]);
  const src = lookupSet(ctx, srcKey, false);
  if (src === null) return;
  if (src === undefined) {
    // Redis answers 0 before looking at the destination's type.
    ctx.reply.int(0);
    return;
  }
  const dst = lookupSet(ctx, dstKey, false);
  if (dst === null) return;
  const member = toKey(args[3]);
  if (src === dst) {
    ctx.reply.int(src.has(member) ? 1 : 0);
    return;
  }
  if (!src.remove(member)) {
    ctx.reply.int(0);
    return;
  }
  ctx.changed(srcKey, "srem", "s");
  if (src.size === 0) {
    ctx.db.delete(srcKey);
    ctx.changed(srcKey, "del", "g");
  }
  let target = dst;
  if (!target) {
    target = new RedisSet();
    ctx.db.set(dstKey, target);
  }
  if (target.add(member, maxIntsetEntries(ctx))) ctx.changed(dstKey, "sadd", "s");
  ctx.reply.int(1);
}

function spop(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length === 3) return spopWithCount(ctx, args);
  if (args.length > 3) {
    ctx.reply.error("ERR syntax error");
    return;
  }
  const key = toKey(args[1]);
  const s = lookupSet(ctx, key, false);
  if (s === null) return;
  if (s === undefined) {
    ctx.reply.nil();
    return;
  }
  const m = s.pop();
  ctx.changed(key, "spop", "s");
  ctx.propagate(["SREM", args[1], fromKey(m)]);
  ctx.reply.bulkBinary(m);
  if (s.size === 0) {
    ctx.db.delete(key);
    ctx.changed(key, "del", "g");
  }
}

function spopWithCount(ctx: Ctx, args: Uint8Array[]): void {
  const l = parseInt64(args[2]);
  if (l === undefined || l < 0) {
    ctx.reply.error("ERR value is out of range, must be positive");
    return;
  }
  const key = toKey(args[1]);
  const s = lookupSet(ctx, key, false);
  if (s === null) return;
  const count = Number(l);
  if (s === undefined || count === 0) {
    ctx.reply.set(0);
    return;
  }
  const size = s.size;
  ctx.changed(key, "spop", "s");
  // CASE 1: popping at least everything returns the whole set, propagated as DEL. Redis replies
  // through SUNION's fresh result set, so a hashtable of few integers comes back sorted; past
  // set-max-intset-entries that copy is a hashtable too and its order is ours either way.
  if (count >= size) {
    const max = maxIntsetEntries(ctx);
    if (s.isCompact || size > max) replyMembers(ctx, s);
    else {
      const all = new RedisSet();
      s.forEach((m) => all.add(m, max));
      replyMembers(ctx, all);
    }
    ctx.db.delete(key);
    ctx.changed(key, "del", "g");
    ctx.propagate(["DEL", args[1]]);
    return;
  }
  ctx.reply.set(count);
  const remaining = size - count;
  const popped = (m: string) => {
    ctx.reply.bulkBinary(m);
    ctx.propagate(["SREM", args[1], fromKey(m)]);
  };
  // CASE 2: few to pop compared to what stays: pop random members one by one.
  if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
    for (let i = 0; i < count; i++) popped(s.pop());
    return;
  }
  // CASE 3: most members go: move the few survivors to a new set (re-encoded from scratch, so
  // a hashtable can become an intset again, as in Redis), reply what is left in the old one.
  const survivors = new RedisSet();
  const max = maxIntsetEntries(ctx);
  for (let i = 0; i < remaining; i++) survivors.add(s.pop(), max);
  s.forEach(popped);
  ctx.db.replace(key, survivors);
}

function srandmember(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length === 3) return srandmemberWithCount(ctx, args);
  if (args.length > 3) {
    ctx.reply.error("ERR syntax error");
    return;
  }
  const s = lookupSet(ctx, toKey(args[1]), true);
  if (s === null) return;
  if (s === undefined) ctx.reply.nil();
  else ctx.reply.bulkBinary(s.random());
}

function srandmemberWithCount(ctx: Ctx, args: Uint8Array[]): void {
  const arg = randomCountArg(ctx, args[2]);
  if (arg === undefined) return;
  const l = Number(arg);
  const s = lookupSet(ctx, toKey(args[1]), true);
  if (s === null) return;
  const r = ctx.reply;
  if (s === undefined || l === 0) {
    r.array(0);
    return;
  }
  let count = Math.abs(l);
  const size = s.size;
  // CASE 1: negative count (repetitions allowed, random order), or a single member.
  if (l < 0 || count === 1) {
    if (tooManyPicks(ctx, count)) return;
    r.array(count);
    while (count-- > 0) r.bulkBinary(s.random());
    return;
  }
  // CASE 2: asking for at least the whole set returns the whole set (an intset in order).
  if (count >= size) {
    r.array(size);
    s.forEach((m) => r.bulkBinary(m));
    return;
  }
  r.array(count);
  // CASE 3: close to the size, drop random members from a full copy.
  if (count * 3 > size) {
    const all = s.toArray();
    let n = all.length;
    while (n > count) {
      const i = Math.floor(Math.random() * n);
      all[i] = all[--n];
    }
    for (let i = 0; i < count; i++) r.bulkBinary(all[i]);
    return;
  }
  // CASE 4: much smaller than the size, collect distinct random picks.
  const picked = new Set<string>();
  while (picked.size < count) picked.add(s.random());
  for (const m of picked) r.bulkBinary(m);
}

function sscan(ctx: Ctx, args: Uint8Array[]): void {
  const cursor = parseScanCursor(ctx, args[2]);
  if (cursor === undefined) return;
  const s = lookupSet(ctx, toKey(args[1]), true);
  if (s === null) return;
  if (s === undefined) {
    ctx.reply.raw(EMPTY_SCAN);
    return;
  }
  const opts = parseScanOptions(ctx, args, 3);
  if (!opts) return;
  let items: string[] = [];
  let next = 0;
  const collect = (m: string) => items.push(m);
  // An intset is returned whole with cursor 0, whatever the cursor, as Redis does.
  if (s.isCompact) s.forEach(collect);
  else next = scanBuckets(cursor, opts.count, (c) => s.scanStep(c, collect), () => items.length);
  if (opts.pattern !== undefined) items = items.filter((m) => scanMatches(opts, m));
  replyScan(ctx, next, items);
}

export const setCommands: CommandDef[] = [
  { name: "sadd", run: sadd },
  { name: "srem", run: srem },
  { name: "scard", run: scard },
  { name: "sismember", run: sismember },
  { name: "smismember", run: smismember },
  { name: "smove", run: smove },
  { name: "spop", run: spop },
  { name: "srandmember", run: srandmember },
  { name: "sscan", run: sscan },
  ...setAlgebraCommands,
];
