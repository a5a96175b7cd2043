// List commands (Redis's t_list.c): LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
// LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP. The blocking variants live in lists_blocking.ts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { ListValue, setListMaxListpackSize } from "../store/list.ts";
import type { Server } from "../server/server.ts";
import "../store/list_codec.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT = "ERR value is not an integer or out of range";
const SYNTAX = "ERR syntax error";
const LONG_MIN = -9223372036854775808n;

export type End = "left" | "right";

/**
 * Looks a key up as a list: the list, undefined when missing, null after replying WRONGTYPE.
 * `read` counts keyspace hits/misses like Redis's lookupKeyRead (writes use lookupKeyWrite).
 */
export function lookupList(ctx: Ctx, key: string, read = false): ListValue | undefined | null {
  if (!watching.has(ctx.server)) watchPackLimits(ctx.server);
  const v = ctx.db.get(key);
  if (read) {
    if (v === undefined) ctx.server.stats.keyspaceMisses++;
    else ctx.server.stats.keyspaceHits++;
  }
  if (v === undefined) return undefined;
  if (v instanceof ListValue) return v;
  ctx.reply.error(WRONGTYPE);
  return null;
}

const watching = new WeakSet<Server>();

/** Keeps the packed-list limits in step with list-max-listpack-size (later writes use them). */
function watchPackLimits(server: Server): void {
  watching.add(server);
  server.config.watch("list-max-listpack-size", (v) => setListMaxListpackSize(Number(v)));
}

/** A C `long` argument (getLongFromObjectOrReply); out-of-safe-range values lose precision only. */
export function longArg(ctx: Ctx, b: Uint8Array, msg = NOT_INT): number | undefined {
  const v = parseInt64(b);
  if (v === undefined) {
    ctx.reply.error(msg);
    return undefined;
  }
  return Number(v);
}

/** getRangeLongFromObjectOrReply(min, LONG_MAX, msg): one message for "not a number" and "< min". */
export function longAtLeast(ctx: Ctx, b: Uint8Array, min: number, msg: string): number | undefined {
  const v = parseInt64(b);
  if (v === undefined || v < min) {
    ctx.reply.error(msg);
    return undefined;
  }
  return Number(v);
}

/** LEFT / RIGHT (case-insensitive); replies a syntax error otherwise. */
export function endArg(ctx: Ctx, b: Uint8Array): End | undefined {
  if (eqi(b, "left")) return "left";
  if (eqi(b, "right")) return "right";
  ctx.reply.error(SYNTAX);
  return undefined;
}

export const popFrom = (l: ListValue, end: End): string | undefined =>
  end === "left" ? l.popHead() : l.popTail();

/** Events after popping `key` (listElementsRemoved): lpop/rpop, then del when it emptied. */
export function elementsRemoved(ctx: Ctx, key: string, end: End, l: ListValue): void {
  ctx.changed(key, end === "left" ? "lpop" : "rpop", "l");
  if (l.size === 0) {
    ctx.db.delete(key);
    ctx.changed(key, "del", "g");
  }
}

/** Pops up to `count` elements and replies [key, [elements]] (LMPOP/BLMPOP); returns how many. */
export function popRangeWithKey(
  ctx: Ctx,
  l: ListValue,
  key: string,
  end: End,
  count: number,
): number {
  const n = Math.min(count, l.size);
  ctx.reply.array(2);
  ctx.reply.bulkBinary(key);
  ctx.reply.array(n);
  for (let i = 0; i < n; i++) ctx.reply.bulkBinary(popFrom(l, end)!);
  elementsRemoved(ctx, key, end, l);
  return n;
}

function push(ctx: Ctx, args: Uint8Array[], end: End, onlyExisting: boolean): void {
  const key = toKey(args[1]);
  let l = lookupList(ctx, key);
  if (l === null) return;
  if (l === undefined) {
    if (onlyExisting) {
      ctx.reply.int(0);
      return;
    }
    l = new ListValue();
    ctx.db.set(key, l);
  }
  for (let j = 2; j < args.length; j++) {
    if (end === "left") l.pushHead(toKey(args[j]));
    else l.pushTail(toKey(args[j]));
  }
  l.compact();
  ctx.reply.int(l.size);
  ctx.changed(key, end === "left" ? "lpush" : "rpush", "l");
}

function pop(ctx: Ctx, args: Uint8Array[], end: End): void {
  if (args.length > 3) {
    ctx.reply.error(
      `ERR wrong number of arguments for '${end === "left" ? "lpop" : "rpop"}' command`,
    );
    return;
  }
  const hasCount = args.length === 3;
  let count = 0;
  if (hasCount) {
    const c = longAtLeast(ctx, args[2], 0, "ERR value is out of range, must be positive");
    if (c === undefined) return;
    count = c;
  }
  const key = toKey(args[1]);
  const l = lookupList(ctx, key);
  if (l === null) return;
  if (l === undefined) {
    hasCount ? ctx.reply.nilArray() : ctx.reply.nil();
    return;
  }
  if (hasCount && count === 0) {
    ctx.reply.emptyArray();
    return;
  }
  if (!hasCount) ctx.reply.bulkBinary(popFrom(l, end)!);
  else {
    const n = Math.min(count, l.size);
    ctx.reply.array(n);
    for (let i = 0; i < n; i++) ctx.reply.bulkBinary(popFrom(l, end)!);
  }
  elementsRemoved(ctx, key, end, l);
}

function llen(ctx: Ctx, args: Uint8Array[]): void {
  const l = lookupList(ctx, toKey(args[1]), true);
  if (l !== null) ctx.reply.int(l?.size ?? 0);
}

/** Replies elements start..end (negative indexes count from the tail), as addListRangeReply. */
function rangeReply(ctx: Ctx, l: ListValue, start: number, end: number): void {
  const n = l.size;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) {
    ctx.reply.emptyArray();
    return;
  }
  if (end >= n) end = n - 1;
  ctx.reply.array(end - start + 1);
  for (const e of l.range(start, end)) ctx.reply.bulkBinary(e);
}

function lrange(ctx: Ctx, args: Uint8Array[]): void {
  const start = longArg(ctx, args[2]);
  if (start === undefined) return;
  const end = longArg(ctx, args[3]);
  if (end === undefined) return;
  const l = lookupList(ctx, toKey(args[1]), true);
  if (l === null) return;
  if (l === undefined) ctx.reply.emptyArray();
  else rangeReply(ctx, l, start, end);
}

function lindex(ctx: Ctx, args: Uint8Array[]): void {
  const l = lookupList(ctx, toKey(args[1]), true);
  if (l === null) return;
  if (l === undefined) {
    ctx.reply.nil();
    return;
  }
  const index = longArg(ctx, args[2]);
  if (index === undefined) return;
  const e = l.get(index < 0 ? l.size + index : index);
  e === undefined ? ctx.reply.nil() : ctx.reply.bulkBinary(e);
}

function lset(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const l = lookupList(ctx, key);
  if (l === null) return;
  if (l === undefined) {
    ctx.reply.error("ERR no such key");
    return;
  }
  const index = longArg(ctx, args[2]);
  if (index === undefined) return;
  if (!l.set(index < 0 ? l.size + index : index, toKey(args[3]))) {
    ctx.reply.error("ERR index out of range");
    return;
  }
  ctx.reply.ok();
  ctx.changed(key, "lset", "l");
}

function linsert(ctx: Ctx, args: Uint8Array[]): void {
  let after: boolean;
  if (eqi(args[2], "after")) after = true;
  else if (eqi(args[2], "before")) after = false;
  else {
    ctx.reply.error(SYNTAX);
    return;
  }
  const key = toKey(args[1]);
  const l = lookupList(ctx, key);
  if (l === null) return;
  if (l === undefined) {
    ctx.reply.int(0);
    return;
  }
  const at = l.indexOf(toKey(args[3]));
  if (at < 0) {
    ctx.reply.int(-1);
    return;
  }
  l.insertAt(after ? at + 1 : at, toKey(args[4]));
  ctx.changed(key, "linsert", "l");
  ctx.reply.int(l.size);
}

function lrem(ctx: Ctx, args: Uint8Array[]): void {
  const count = longArg(ctx, args[2]);
  if (count === undefined) return;
  const key = toKey(args[1]);
  const l = lookupList(ctx, key);
  if (l === null) return;
  if (l === undefined) {
    ctx.reply.int(0);
    return;
  }
  const removed = l.removeMatching(toKey(args[3]), Math.abs(count), count < 0);
  if (removed > 0) ctx.changed(key, "lrem", "l");
  if (l.size === 0) {
    ctx.db.delete(key);
    ctx.changed(key, "del", "g");
  }
  ctx.reply.int(removed);
}

function ltrim(ctx: Ctx, args: Uint8Array[]): void {
  let start = longArg(ctx, args[2]);
  if (start === undefined) return;
  let end = longArg(ctx, args[3]);
  if (end === undefined) return;
  const key = toKey(args[1]);
  const l = lookupList(ctx, key);
  if (l === null) return;
  if (l === undefined) {
    ctx.reply.ok();
    return;
  }
  const n = l.size;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  let fromHead: number, fromTail: number;
  if (start > end || start >= n) {
    fromHead = n;
    fromTail = 0;
  } else {
    if (end >= n) end = n - 1;
    fromHead = start;
    fromTail = n - end - 1;
  }
  l.trim(fromHead, fromTail);
  if (fromHead + fromTail > 0) ctx.changed(key, "ltrim", "l");
  else {
    // Nothing removed: Redis still notifies and touches WATCH, but dirty stays (no propagation).
    ctx.server.wp.event(ctx.db.id, key, "ltrim", "l");
    ctx.server.touchWatched(ctx.db.id, key);
  }
  if (l.size === 0) {
    ctx.db.delete(key);
    ctx.changed(key, "del", "g");
  }
  ctx.reply.ok();
}

function lpos(ctx: Ctx, args: Uint8Array[]): void {
  let rank = 1;
  let count = -1; // -1: COUNT not given
  let maxlen = 0;
  // RANK -9223372036854775808 cannot be negated in C: Redis then takes every match from the tail.
  let rankMin = false;
  for (let j = 3; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (eqi(args[j], "rank") && more) {
      j++;
      const r = parseInt64(args[j]);
      if (r === undefined) {
        ctx.reply.error(NOT_INT);
        return;
      }
      if (r === 0) {
        ctx.reply.error(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
        return;
      }
      rankMin = r === LONG_MIN;
      rank = Number(r);
    } else if (eqi(args[j], "count") && more) {
      j++;
      const c = longAtLeast(ctx, args[j], 0, "ERR COUNT can't be negative");
      if (c === undefined) return;
      count = c;
    } else if (eqi(args[j], "maxlen") && more) {
      j++;
      const m = longAtLeast(ctx, args[j], 0, "ERR MAXLEN can't be negative");
      if (m === undefined) return;
      maxlen = m;
    } else {
      ctx.reply.error(SYNTAX);
      return;
    }
  }
  const fromTail = rank < 0;
  if (rankMin) rank = 1;
  else if (rank < 0) rank = -rank;
  const l = lookupList(ctx, toKey(args[1]), true);
  if (l === null) return;
  if (l === undefined) {
    count !== -1 ? ctx.reply.emptyArray() : ctx.reply.nil();
    return;
  }
  const ele = toKey(args[2]);
  const n = l.size;
  const scan = maxlen === 0 ? n : Math.min(maxlen, n);
  const found: number[] = [];
  let matches = 0;
  let k = -1;
  for (const e of fromTail ? l.valuesReversed() : l.values()) {
    if (++k >= scan) break;
    if (e !== ele) continue;
    const i = fromTail ? n - 1 - k : k;
    matches++;
    if (matches < rank) continue;
    found.push(i);
    if (count === -1) break;
    if (count !== 0 && !rankMin && matches - rank + 1 >= count) break;
  }
  if (count !== -1) {
    ctx.reply.array(found.length);
    for (const i of found) ctx.reply.int(i);
  } else if (found.length > 0) ctx.reply.int(found[0]);
  else ctx.reply.nil();
}

/**
 * The core of LMOVE/RPOPLPUSH (and their blocking forms once the source has elements): pops from
 * `src`, pushes on `dst`, replies the element. `propagateAs` replaces the propagated command.
 * Returns false when nothing was moved (missing source or a wrong type, already replied).
 */
export function lmoveGeneric(
  ctx: Ctx,
  srcArg: Uint8Array,
  dstArg: Uint8Array,
  from: End,
  to: End,
  propagateAs?: (string | Uint8Array)[],
): boolean {
  const src = toKey(srcArg);
  const sl = lookupList(ctx, src);
  if (sl === null) return false;
  if (sl === undefined) {
    ctx.reply.nil();
    return false;
  }
  const dst = toKey(dstArg);
  let dl = lookupList(ctx, dst);
  if (dl === null) return false;
  const value = popFrom(sl, from)!;
  if (dl === undefined) {
    dl = new ListValue();
    ctx.db.set(dst, dl);
  }
  if (to === "left") dl.pushHead(value);
  else dl.pushTail(value);
  dl.compact();
  ctx.changed(dst, to === "left" ? "lpush" : "rpush", "l");
  ctx.reply.bulkBinary(value);
  elementsRemoved(ctx, src, from, sl);
  if (propagateAs) ctx.propagate(propagateAs);
  return true;
}

function lmove(ctx: Ctx, args: Uint8Array[]): void {
  const from = endArg(ctx, args[3]);
  if (from === undefined) return;
  const to = endArg(ctx, args[4]);
  if (to === undefined) return;
  lmoveGeneric(ctx, args[1], args[2], from, to);
}

function rpoplpush(ctx: Ctx, args: Uint8Array[]): void {
  lmoveGeneric(ctx, args[1], args[2], "right", "left");
}

/** LMPOP/BLMPOP arguments after numkeys: the keys, the end to pop from and the count. */
export interface MpopArgs {
  keys: Uint8Array[];
  end: End;
  count: number;
}

/** Parses `numkeys key… LEFT|RIGHT [COUNT n]` starting at `numkeysIdx` (lmpopGenericCommand). */
export function parseMpop(ctx: Ctx, args: Uint8Array[], numkeysIdx: number): MpopArgs | undefined {
  const numkeys = longAtLeast(ctx, args[numkeysIdx], 1, "ERR numkeys should be greater than 0");
  if (numkeys === undefined) return undefined;
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= args.length) {
    ctx.reply.error(SYNTAX);
    return undefined;
  }
  const end = endArg(ctx, args[whereIdx]);
  if (end === undefined) return undefined;
  let count = -1;
  for (let j = whereIdx + 1; j < args.length; j++) {
    if (count === -1 && eqi(args[j], "count") && j < args.length - 1) {
      j++;
      const c = longAtLeast(ctx, args[j], 1, "ERR count should be greater than 0");
      if (c === undefined) return undefined;
      count = c;
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  return { keys: args.slice(numkeysIdx + 1, whereIdx), end, count: count === -1 ? 1 : count };
}

/**
 * Pops from the first non-empty list among `keys`, replies [key, [elements]] and propagates
 * `LPOP|RPOP key n`. Returns "served", "none" (all missing) or "error" (WRONGTYPE replied).
 * `skipWrongType` ignores non-list keys (a blocked client woken up, as Redis only serves lists).
 */
export function mpopFirst(
  ctx: Ctx,
  m: MpopArgs,
  skipWrongType = false,
): "served" | "none" | "error" {
  for (const k of m.keys) {
    const key = toKey(k);
    const v = ctx.db.get(key);
    if (v === undefined) continue;
    if (!(v instanceof ListValue)) {
      if (skipWrongType) continue;
      ctx.reply.error(WRONGTYPE);
      return "error";
    }
    const n = popRangeWithKey(ctx, v, key, m.end, m.count);
    ctx.propagate([m.end === "left" ? "LPOP" : "RPOP", k, String(n)]);
    return "served";
  }
  return "none";
}

function lmpop(ctx: Ctx, args: Uint8Array[]): void {
  const m = parseMpop(ctx, args, 1);
  if (m === undefined) return;
  if (mpopFirst(ctx, m) === "none") ctx.reply.nilArray();
}

/** Key positions for LMPOP-style commands: `numkeys` at `idx`, the keys right after it. */
export function mpopKeys(idx: number): (args: Uint8Array[]) => number[] {
  return (args) => {
    const n = args.length > idx ? parseInt64(args[idx]) : undefined;
    if (n === undefined || n < 1 || idx + Number(n) >= args.length) return [];
    return Array.from({ length: Number(n) }, (_, i) => idx + 1 + i);
  };
}

export const listCommands: CommandDef[] = [
  { name: "lpush", run: (c, a) => push(c, a, "left", false) },
  { name: "rpush", run: (c, a) => push(c, a, "right", false) },
  { name: "lpushx", run: (c, a) => push(c, a, "left", true) },
  { name: "rpushx", run: (c, a) => push(c, a, "right", true) },
  { name: "lpop", run: (c, a) => pop(c, a, "left") },
  { name: "rpop", run: (c, a) => pop(c, a, "right") },
  { name: "llen", run: llen },
  { name: "lrange", run: lrange },
  { name: "lindex", run: lindex },
  { name: "lset", run: lset },
  { name: "linsert", run: linsert },
  { name: "lrem", run: lrem },
  { name: "ltrim", run: ltrim },
  { name: "lpos", run: lpos },
  { name: "lmove", run: lmove },
  { name: "rpoplpush", run: rpoplpush },
  { name: "lmpop", run: lmpop, getKeys: mpopKeys(1) },
];
