// Set algebra (Redis's sinterGenericCommand / sunionDiffGenericCommand): SMEMBERS SINTER
// SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE. Result sets are built the way Redis
// builds them (a fresh intset fed member by member), so their encoding and, for intsets, their
// reply order match Redis's.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { RedisSet } from "../store/set.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { lookupSet, maxIntsetEntries, replyMembers } from "./sets_common.ts";

/** Looks up every source key; null after WRONGTYPE (checked on every key, missing ones too). */
function lookupAll(ctx: Ctx, keys: Uint8Array[]): (RedisSet | undefined)[] | null {
  const sets: (RedisSet | undefined)[] = [];
  for (const k of keys) {
    const s = lookupSet(ctx, toKey(k), true);
    if (s === null) return null;
    sets.push(s);
  }
  return sets;
}

/** Stores a STORE command's result (setKey: the TTL goes) or deletes the destination if empty. */
function storeResult(ctx: Ctx, dst: string, result: RedisSet, event: string): void {
  if (result.size > 0) {
    ctx.db.set(dst, result);
    ctx.changed(dst, event, "s");
    ctx.reply.int(result.size);
    return;
  }
  ctx.reply.int(0);
  if (ctx.db.delete(dst)) ctx.changed(dst, "del", "g");
}

/**
 * SINTER family. `dst` set: store the result; `cardinality`: reply only the count, stopping at
 * `limit` when it is not 0.
 */
function sinterGeneric(
  ctx: Ctx,
  keys: Uint8Array[],
  dst: string | undefined,
  cardinality = false,
  limit = 0,
): void {
  const found = lookupAll(ctx, keys);
  if (!found) return;
  if (found.some((s) => s === undefined)) {
    // An intersection with an empty set is empty.
    if (dst !== undefined) {
      if (ctx.db.delete(dst)) ctx.changed(dst, "del", "g");
      ctx.reply.int(0);
    } else if (cardinality) ctx.reply.int(0);
    else ctx.reply.set(0);
    return;
  }
  // Smallest first: fewest candidates to test against the others.
  const sets = (found as RedisSet[]).slice().sort((a, b) => a.size - b.size);
  const first = sets[0];
  const inAll = (m: string): boolean => {
    for (let j = 1; j < sets.length; j++) {
      if (sets[j] !== first && !sets[j].has(m)) return false;
    }
    return true;
  };
  if (cardinality) {
    let n = 0;
    const members = first.toArray();
    for (const m of members) {
      if (!inAll(m)) continue;
      if (++n === limit) break;
    }
    ctx.reply.int(n);
    return;
  }
  if (dst === undefined) {
    const out: string[] = [];
    first.forEach((m) => {
      if (inAll(m)) out.push(m);
    });
    ctx.reply.set(out.length);
    for (const m of out) ctx.reply.bulkBinary(m);
    return;
  }
  const result = new RedisSet();
  const max = maxIntsetEntries(ctx);
  first.forEach((m) => {
    if (inAll(m)) result.add(m, max);
  });
  storeResult(ctx, dst, result, "sinterstore");
}

/** SUNION / SDIFF and their STORE forms (missing keys are empty sets). */
function sunionDiffGeneric(
  ctx: Ctx,
  keys: Uint8Array[],
  dst: string | undefined,
  op: "union" | "diff",
): void {
  const sets = lookupAll(ctx, keys);
  if (!sets) return;
  const max = maxIntsetEntries(ctx);
  const result = new RedisSet();
  if (op === "union") {
    for (const s of sets) s?.forEach((m) => result.add(m, max));
  } else if (sets[0] !== undefined && !sets.slice(1).includes(sets[0])) {
    const first = sets[0];
    // Redis picks between two algorithms by estimated work; they build the result differently
    // (only survivors vs. everything then removals), which shows in the result's encoding.
    let algoOne = 0;
    let algoTwo = 0;
    for (const s of sets) {
      if (!s) continue;
      algoOne += first.size;
      algoTwo += s.size;
    }
    if (Math.floor(algoOne / 2) <= algoTwo) {
      const others = sets.slice(1).filter((s): s is RedisSet => s !== undefined);
      first.forEach((m) => {
        if (!others.some((s) => s.has(m))) result.add(m, max);
      });
    } else {
      first.forEach((m) => result.add(m, max));
      for (let j = 1; j < sets.length && result.size > 0; j++) {
        sets[j]?.forEach((m) => result.remove(m));
      }
    }
  }
  if (dst === undefined) replyMembers(ctx, result);
  else storeResult(ctx, dst, result, op === "union" ? "sunionstore" : "sdiffstore");
}

function smembers(ctx: Ctx, args: Uint8Array[]): void {
  sinterGeneric(ctx, args.slice(1, 2), undefined);
}

function sinter(ctx: Ctx, args: Uint8Array[]): void {
  sinterGeneric(ctx, args.slice(1), undefined);
}

function sinterstore(ctx: Ctx, args: Uint8Array[]): void {
  sinterGeneric(ctx, args.slice(2), toKey(args[1]));
}

function sintercard(ctx: Ctx, args: Uint8Array[]): void {
  const numkeys = parseInt64(args[1]);
  if (numkeys === undefined || numkeys < 1) {
    ctx.reply.error("ERR numkeys should be greater than 0");
    return;
  }
  if (numkeys > args.length - 2) {
    ctx.reply.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  const n = Number(numkeys);
  let limit = 0;
  for (let j = 2 + n; j < args.length; j++) {
    if (eqi(args[j], "limit") && j < args.length - 1) {
      const l = parseInt64(args[++j]);
      if (l === undefined || l < 0) {
        ctx.reply.error("ERR LIMIT can't be negative");
        return;
      }
      limit = Number(l);
    } else {
      ctx.reply.error("ERR syntax error");
      return;
    }
  }
  sinterGeneric(ctx, args.slice(2, 2 + n), undefined, true, limit);
}

function sunion(ctx: Ctx, args: Uint8Array[]): void {
  sunionDiffGeneric(ctx, args.slice(1), undefined, "union");
}

function sunionstore(ctx: Ctx, args: Uint8Array[]): void {
  sunionDiffGeneric(ctx, args.slice(2), toKey(args[1]), "union");
}

function sdiff(ctx: Ctx, args: Uint8Array[]): void {
  sunionDiffGeneric(ctx, args.slice(1), undefined, "diff");
}

function sdiffstore(ctx: Ctx, args: Uint8Array[]): void {
  sunionDiffGeneric(ctx, args.slice(2), toKey(args[1]), "diff");
}

export const setAlgebraCommands: CommandDef[] = [
  { name: "smembers", run: smembers },
  { name: "sinter", run: sinter },
  { name: "sinterstore", run: sinterstore },
  { name: "sintercard", run: sintercard },
  { name: "sunion", run: sunion },
  { name: "sunionstore", run: sunionstore },
  { name: "sdiff", run: sdiff },
  { name: "sdiffstore", run: sdiffstore },
];
