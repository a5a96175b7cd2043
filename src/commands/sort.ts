// SORT and SORT_RO (Redis's sort.c): sorts a list, set or sorted set numerically or ALPHA, by its
// elements or by other keys (BY pattern, `->field` of a hash, BY nosort), with LIMIT, GET patterns
// (`#` is the element) and STORE into a list. SORT … STORE propagates verbatim, as in Redis 7.0: a
// set sorted BY nosort into STORE is sorted ALPHA instead, so the stored list is deterministic.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { ListValue } from "../store/list.ts";
import { RedisSet } from "../store/set.ts";
import { ZSet } from "../store/zset.ts";
import { RedisHash } from "../store/hash.ts";
import { stringBytes, type Value } from "../store/types.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { pqsort } from "../util/pqsort.ts";
import { longArg, WRONGTYPE } from "./lists.ts";
import { zsetLimits } from "./zsets_common.ts";
import { sortScore } from "./sort_strtod.ts";

const SYNTAX = "ERR syntax error";

interface SortItem {
  ele: string;
  score: number;
  /** The BY value compared in ALPHA mode; null when the BY key is missing. */
  by: string | null;
}

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  by: string | undefined;
  dontsort: boolean;
  gets: string[];
  store: Uint8Array | undefined;
}

/** The part of a pattern C code sees (strchr/strstr stop at the first NUL). */
const cString = (s: string): string => {
  const z = s.indexOf("\0");
  return z < 0 ? s : s.slice(0, z);
};

/** Parses the options after the key; replies and returns undefined on errors. */
function parseOptions(ctx: Ctx, args: Uint8Array[], readonly: boolean): SortOptions | undefined {
  const o: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    by: undefined,
    dontsort: false,
    gets: [],
    store: undefined,
  };
  const cluster = ctx.server.clusterEnabled;
  for (let j = 2; j < args.length; j++) {
    const left = args.length - j - 1;
    const a = args[j];
    if (eqi(a, "asc")) o.desc = false;
    else if (eqi(a, "desc")) o.desc = true;
    else if (eqi(a, "alpha")) o.alpha = true;
    else if (eqi(a, "limit") && left >= 2) {
      const start = longArg(ctx, args[j + 1]);
      if (start === undefined) return undefined;
      const count = longArg(ctx, args[j + 2]);
      if (count === undefined) return undefined;
      o.limitStart = start;
      o.limitCount = count;
      j += 2;
    } else if (!readonly && eqi(a, "store") && left >= 1) {
      o.store = args[++j];
    } else if (eqi(a, "by") && left >= 1) {
      o.by = toKey(args[++j]);
      // A pattern without '*' names no key: keep the native order ("BY nosort").
      if (!cString(o.by).includes("*")) o.dontsort = true;
      else if (cluster) {
        ctx.reply.error("ERR BY option of SORT denied in Cluster mode.");
        return undefined;
      }
    } else if (eqi(a, "get") && left >= 1) {
      if (cluster) {
        ctx.reply.error("ERR GET option of SORT denied in Cluster mode.");
        return undefined;
      }
      o.gets.push(toKey(args[++j]));
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  return o;
}

/** lookupKeyByPattern: `#` is the element; `*` takes it; `key->field` reads a hash field. */
function lookupByPattern(ctx: Ctx, pattern: string, ele: string): string | null {
  const cpat = cString(pattern);
  if (cpat === "#") return ele;
  const star = cpat.indexOf("*");
  if (star < 0) return null;
  const arrow = cpat.indexOf("->", star + 1);
  const field = arrow >= 0 && arrow + 2 < cpat.length ? pattern.slice(arrow + 2) : undefined;
  const postfixEnd = field === undefined ? pattern.length : arrow;
  const key = pattern.slice(0, star) + ele + pattern.slice(star + 1, postfixEnd);
  const v = readKey(ctx, key);
  if (v === undefined) return null;
  if (field !== undefined) return v instanceof RedisHash ? v.get(field) ?? null : null;
  const b = stringBytes(v);
  return b === undefined ? null : toKey(b);
}

/** lookupKeyRead: the value (expiring it if due) and the keyspace hit/miss counters. */
function readKey(ctx: Ctx, key: string): Value | undefined {
  const v = ctx.db.get(key);
  if (v === undefined) ctx.server.stats.keyspaceMisses++;
  else ctx.server.stats.keyspaceHits++;
  return v;
}

/** memcmp, then length: compareStringObjects (binary-safe). */
const binaryCmp = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0;
/** strcoll in the C / C.UTF-8 locale: byte order up to the first NUL. */
const collateCmp = (a: string, b: string): number => binaryCmp(cString(a), cString(b));

function comparator(o: SortOptions): (a: SortItem, b: SortItem) => number {
  const sign = o.desc ? -1 : 1;
  if (!o.alpha) {
    return (a, b) =>
      sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : binaryCmp(a.ele, b.ele));
  }
  // Redis compares binary-safe when storing and with strcoll when replying.
  const cmp = o.store ? binaryCmp : collateCmp;
  if (o.by !== undefined) {
    return (a, b) => {
      if (a.by === null || b.by === null) {
        return sign * (a.by === b.by ? 0 : a.by === null ? -1 : 1);
      }
      return sign * cmp(a.by, b.by);
    };
  }
  return (a, b) => sign * cmp(a.ele, b.ele);
}

/** The elements to sort, in the order Redis loads them (its "dontsort" fast paths included). */
function loadVector(
  v: ListValue | RedisSet | ZSet,
  o: SortOptions,
  range: { start: number; end: number },
): string[] {
  const out: string[] = [];
  const { start, end } = range;
  const len = v.size;
  const partial = start !== 0 || end !== len - 1;
  if (v instanceof ListValue) {
    if (!o.dontsort) return [...v.values()];
    const count = partial ? end - start + 1 : len;
    if (end >= start) {
      let skip = start;
      for (const e of o.desc ? v.valuesReversed() : v.values()) {
        if (out.length >= count) break;
        if (skip > 0) skip--;
        else out.push(e);
      }
      range.end -= start;
      range.start = 0;
    }
    return out;
  }
  if (v instanceof RedisSet) return v.toArray();
  if (!o.dontsort) {
    v.forEach((m) => out.push(m));
    return out;
  }
  const count = partial ? end - start + 1 : len;
  if (count > 0) v.rangeByRank(start, start + count - 1, o.desc, (m) => out.push(m));
  range.end -= start;
  range.start = 0;
  return out;
}

function sortGeneric(ctx: Ctx, args: Uint8Array[], readonly: boolean): void {
  const o = parseOptions(ctx, args, readonly);
  if (o === undefined) return;
  const found = readKey(ctx, toKey(args[1]));
  if (
    found !== undefined && !(found instanceof ListValue) && !(found instanceof RedisSet) &&
    !(found instanceof ZSet)
  ) {
    ctx.reply.error(WRONGTYPE);
    return;
  }
  const v = found ?? new ListValue();
  // A set has no order of its own: sort it when the result is stored or a script reads it, so
  // replicas and script effects are deterministic. (Id 0 is the script caller, scripting/engine.ts.)
  if (o.dontsort && v instanceof RedisSet && (o.store || (ctx.id === 0 && !ctx.conn))) {
    o.dontsort = false;
    o.alpha = true;
    o.by = undefined;
  }
  // Redis converts a listpack sorted set to a skiplist here, for good (OBJECT ENCODING shows it).
  if (v instanceof ZSet) v.growFor(Number.POSITIVE_INFINITY, zsetLimits(ctx));

  const len = v.size;
  const range = {
    start: o.limitStart < 0 ? 0 : o.limitStart,
    end: 0,
  };
  range.end = o.limitCount < 0 ? len - 1 : range.start + o.limitCount - 1;
  if (range.start >= len) {
    range.start = len - 1;
    range.end = len - 2;
  }
  if (range.end >= len) range.end = len - 1;

  const elements = loadVector(v, o, range);
  const items: SortItem[] = elements.map((ele) => ({ ele, score: 0, by: null }));
  let conversionError = false;
  if (!o.dontsort) {
    for (const it of items) {
      let byval: string | null;
      if (o.by !== undefined) {
        byval = lookupByPattern(ctx, o.by, it.ele);
        if (byval === null) continue;
      } else byval = it.ele;
      if (o.alpha) {
        if (o.by !== undefined) it.by = byval;
      } else {
        const score = sortScore(byval);
        if (score === undefined) conversionError = true;
        else it.score = score;
      }
    }
    const cmp = comparator(o);
    // glibc's qsort is a stable merge sort; Redis's pqsort (partial, unstable) runs with BY + LIMIT.
    if (o.by !== undefined && (range.start !== 0 || range.end !== items.length - 1)) {
      pqsort(items, cmp, range.start, range.end);
    } else items.sort(cmp);
  }

  const { start, end } = range;
  const perItem = o.gets.length || 1;
  const outputLen = Math.max(0, perItem * (end - start + 1));
  if (conversionError) {
    ctx.reply.error("ERR One or more scores can't be converted into double");
    return;
  }
  if (o.store === undefined) {
    ctx.reply.array(outputLen);
    for (let j = start; j <= end; j++) {
      const ele = items[j].ele;
      if (o.gets.length === 0) ctx.reply.bulkBinary(ele);
      for (const pattern of o.gets) {
        const val = lookupByPattern(ctx, pattern, ele);
        if (val === null) ctx.reply.nil();
        else ctx.reply.bulkBinary(val);
      }
    }
    return;
  }
  const result = new ListValue(outputLen);
  for (let j = start; j <= end; j++) {
    const ele = items[j].ele;
    if (o.gets.length === 0) result.pushTail(ele);
    for (const pattern of o.gets) result.pushTail(lookupByPattern(ctx, pattern, ele) ?? "");
  }
  result.compact();
  const dst = toKey(o.store);
  if (outputLen > 0) {
    ctx.db.set(dst, result);
    ctx.changed(dst, "sortstore", "l");
  } else if (ctx.db.delete(dst)) {
    ctx.changed(dst, "del", "g");
  }
  ctx.reply.int(outputLen);
}

export const sortCommands: CommandDef[] = [
  { name: "sort", run: (c, a) => sortGeneric(c, a, false) },
  { name: "sort_ro", run: (c, a) => sortGeneric(c, a, true) },
];
