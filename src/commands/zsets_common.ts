// Shared pieces of the sorted-set commands (and GEO, which stores points in sorted sets): key
// lookups, Redis's number parsing rules (strtod / string2ll), score and lex ranges, replies.

import type { Ctx } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import { loadLimits, ZSet, type ZsetLimits } from "../store/zset.ts";
import {
  LEX_MAX,
  LEX_MIN,
  type LexBound,
  type LexRange,
  type ScoreRange,
} from "../store/zset_ranges.ts";
import { parseInt64 } from "../util/numbers.ts";
import { toKey } from "../util/bytes.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const SYNTAX = "ERR syntax error";
export const NOT_INT = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const RANGE_NOT_FLOAT = "ERR min or max is not a float";
export const LEX_INVALID = "ERR min or max not valid string range item";

/**
 * Looks a key up as a sorted set: the set, undefined when missing, null after replying
 * WRONGTYPE. `read` counts keyspace hits/misses like lookupKeyRead (writes don't).
 */
export function lookupZset(ctx: Ctx, key: string, read: boolean): ZSet | undefined | null {
  const v = ctx.db.get(key);
  if (read) {
    if (v === undefined) ctx.server.stats.keyspaceMisses++;
    else ctx.server.stats.keyspaceHits++;
  }
  if (v === undefined) return undefined;
  if (v instanceof ZSet) return v;
  ctx.reply.error(WRONGTYPE);
  return null;
}

const limitsByServer = new WeakMap<Server, ZsetLimits>();

/** The live listpack thresholds (CONFIG SET applies to later writes, as in Redis). */
export function zsetLimits(ctx: Ctx): ZsetLimits {
  const server = ctx.server;
  let l = limitsByServer.get(server);
  if (l === undefined) {
    const limits: ZsetLimits = { maxEntries: 128, maxValue: 64 };
    l = limits;
    limitsByServer.set(server, limits);
    const cfg = server.config;
    // RESTORE and WAL replay build values without a command context: keep theirs current too.
    cfg.watch("zset-max-listpack-entries", (v) => {
      limits.maxEntries = loadLimits.maxEntries = Number(v);
    });
    cfg.watch("zset-max-listpack-value", (v) => {
      limits.maxValue = loadLimits.maxValue = Number(v);
    });
  }
  return l;
}

/** Stores a computed set at `key` (setKey: the old value and its TTL go) or deletes it if empty. */
export function storeResult(ctx: Ctx, key: string, z: ZSet, event: string): void {
  if (z.size > 0) {
    ctx.db.set(key, z, false);
    ctx.changed(key, event, "z");
  } else if (ctx.db.delete(key)) {
    ctx.changed(key, "del", "g");
  }
}

/** Deletes a set emptied by a command, with the "del" event Redis sends after the command's own. */
export function deleteIfEmpty(ctx: Ctx, key: string, z: ZSet): boolean {
  if (z.size !== 0) return false;
  ctx.db.delete(key);
  ctx.changed(key, "del", "g");
  return true;
}

// ---- numbers -----------------------------------------------------------------------------------

const WS = /^[ \t\n\v\f\r]*/;
const DEC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF = /^[+-]?inf(?:inity)?$/i;
const NAN = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?$/i;

/**
 * C's strtod over the whole string (leading whitespace skipped, as strtod does). Returns the value
 * and whether strtod would set ERANGE, or undefined when the text is not entirely a number.
 */
export function strtod(text: string): { v: number; erange: boolean } | undefined {
  const s = text.slice(WS.exec(text)![0].length);
  if (DEC.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) return { v, erange: true };
    return { v, erange: v === 0 && /[1-9]/.test(s.split(/[eE]/)[0]) };
  }
  const h = HEX.exec(s);
  if (h && (h[2] !== "" || (h[3] ?? "") !== "")) {
    const digits = h[2] + (h[3] ?? "");
    const exp = Number(h[4] ?? "0") - 4 * (h[3] ?? "").length;
    const mant = Number(BigInt("0x" + (digits || "0")));
    let v = mant * 2 ** Math.max(-1074, Math.min(1024, exp));
    if (exp < -1074) v = mant * 2 ** (exp + 600) * 2 ** -600;
    if (h[1] === "-") v = -v;
    return { v, erange: !Number.isFinite(v) || (v === 0 && mant !== 0) };
  }
  if (INF.test(s)) return { v: s[0] === "-" ? -Infinity : Infinity, erange: false };
  if (NAN.test(s)) return { v: NaN, erange: false };
  return undefined;
}

/** getDoubleFromObject (string2d): no leading space, no overflow, no NaN. */
export function parseScore(b: Uint8Array): number | undefined {
  const s = toKey(b);
  if (s.length === 0 || WS.exec(s)![0].length > 0) return undefined;
  const r = strtod(s);
  if (r === undefined || Number.isNaN(r.v)) return undefined;
  if (r.erange && (r.v === 0 || !Number.isFinite(r.v))) return undefined;
  return r.v;
}

/** getDoubleFromObjectOrReply: replies `msg` (or Redis's default) when invalid. */
export function doubleArg(ctx: Ctx, b: Uint8Array, msg = NOT_FLOAT): number | undefined {
  const v = parseScore(b);
  if (v === undefined) ctx.reply.error(msg);
  return v;
}

/** getLongFromObjectOrReply: a 64-bit integer (big values lose precision only, never range). */
export function longArg(ctx: Ctx, b: Uint8Array, msg = NOT_INT): number | undefined {
  const v = parseInt64(b);
  if (v === undefined) {
    ctx.reply.error(msg);
    return undefined;
  }
  return Number(v);
}

/** getRangeLongFromObjectOrReply with one message for both "not a number" and "out of range". */
export function longInRange(ctx: Ctx, b: Uint8Array, min: number, msg: string): number | undefined {
  const v = parseInt64(b);
  if (v === undefined || v < min) {
    ctx.reply.error(msg);
    return undefined;
  }
  return Number(v);
}

/** getPositiveLongFromObjectOrReply: one message for "not a number" and "negative". */
export function positiveLongArg(ctx: Ctx, b: Uint8Array, msg?: string): number | undefined {
  return longInRange(ctx, b, 0, msg ?? "ERR value is out of range, must be positive");
}

/** One bound of a score range (zslParseRange): strtod up to the first NUL, "(" = exclusive. */
function scoreBound(b: Uint8Array): [number, boolean] | undefined {
  let s = toKey(b);
  const nul = s.indexOf("\0");
  if (nul >= 0) s = s.slice(0, nul);
  const ex = s.startsWith("(");
  const text = ex ? s.slice(1) : s;
  // strtod converts nothing in "" yet leaves the end pointer on the NUL: Redis reads 0.
  if (text === "") return [0, ex];
  const r = strtod(text);
  if (r === undefined || Number.isNaN(r.v)) return undefined;
  return [r.v, ex];
}

export function parseScoreRange(min: Uint8Array, max: Uint8Array): ScoreRange | undefined {
  const a = scoreBound(min);
  const b = a && scoreBound(max);
  if (!a || !b) return undefined;
  return { min: a[0], minex: a[1], max: b[0], maxex: b[1] };
}

function lexBound(b: Uint8Array): [LexBound, boolean] | undefined {
  if (b.length === 0) return undefined;
  switch (b[0]) {
    case 43: // '+'
      return b.length === 1 ? [LEX_MAX, true] : undefined;
    case 45: // '-'
      return b.length === 1 ? [LEX_MIN, true] : undefined;
    case 40: // '('
      return [toKey(b.subarray(1)), true];
    case 91: // '['
      return [toKey(b.subarray(1)), false];
    default:
      return undefined;
  }
}

/** zslParseLexRange: "[a" "(a" "-" "+". */
export function parseLexRange(min: Uint8Array, max: Uint8Array): LexRange | undefined {
  const a = lexBound(min);
  const b = a && lexBound(max);
  if (!a || !b) return undefined;
  return { min: a[0], minex: a[1], max: b[0], maxex: b[1] };
}

// ---- replies -----------------------------------------------------------------------------------

/**
 * Writes (member, score) pairs collected in a flat array: a flat list in RESP2, [member, score]
 * pairs in RESP3 when `nested` (ZRANGE WITHSCORES and friends).
 */
export function replyPairs(ctx: Ctx, flat: (string | number)[], withScores: boolean): void {
  const r = ctx.reply;
  const n = flat.length / 2;
  if (!withScores) {
    r.array(n);
    for (let i = 0; i < flat.length; i += 2) r.bulkBinary(flat[i] as string);
    return;
  }
  const nested = r.proto === 3;
  r.array(nested ? n : n * 2);
  for (let i = 0; i < flat.length; i += 2) {
    if (nested) r.array(2);
    r.bulkBinary(flat[i] as string);
    r.double(flat[i + 1] as number);
  }
}
