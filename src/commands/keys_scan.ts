// Keyspace iteration, as Redis's db.c: SCAN (MATCH COUNT TYPE) over the dictScan-style index,
// KEYS (one blocking pass, like Redis) and RANDOMKEY.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { eqi, lowerAscii, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { globMatch } from "../util/glob.ts";
import { typeName } from "../store/types.ts";
import { lookupRead, NOT_INT, SYNTAX } from "./keys_lookup.ts";

const ULONG_MAX = (1n << 64n) - 1n;

/** True for C's isspace in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * parseScanCursorOrReply: Redis reads the cursor with strtoul, so "" is 0, a sign is allowed and
 * "-1" wraps to 2^64-1, parsing stops at a NUL byte, and anything else after the digits is an
 * error. Only the low 32 bits reach the index: dictScan masks the cursor with the table size and
 * sets every higher bit itself, so the rest never changes the result.
 */
export function parseScanCursor(b: Uint8Array): number | undefined {
  const end = b.indexOf(0) < 0 ? b.length : b.indexOf(0);
  if (end === 0) return 0;
  if (isSpace(b[0])) return undefined;
  let i = 0;
  let neg = false;
  if (b[0] === 43 || b[0] === 45) {
    neg = b[0] === 45;
    i = 1;
  }
  if (i === end) return undefined; // a lone sign: strtoul parsed nothing
  let v = 0n;
  for (; i < end; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10n + BigInt(d);
    if (v > ULONG_MAX) return undefined; // ERANGE
  }
  if (neg) v = (1n << 64n) - v;
  return Number(v & 0xffffffffn);
}

/** The TYPE argument as Redis's strcasecmp sees it: up to its first NUL, A-Z folded. */
function typeFilter(arg: Uint8Array): string {
  const nul = arg.indexOf(0);
  return lowerAscii(nul < 0 ? arg : arg.subarray(0, nul));
}

function scan(ctx: Ctx, args: Uint8Array[]): void {
  let cursor = parseScanCursor(args[1]);
  if (cursor === undefined) {
    ctx.reply.error("ERR invalid cursor");
    return;
  }
  let count = 10;
  let pattern: string | undefined;
  let type: string | undefined;
  for (let i = 2; i < args.length; i += 2) {
    const more = args.length - i;
    if (eqi(args[i], "count") && more >= 2) {
      const n = parseInt64(args[i + 1]);
      if (n === undefined) {
        ctx.reply.error(NOT_INT);
        return;
      }
      if (n < 1) {
        ctx.reply.error(SYNTAX);
        return;
      }
      count = Number(n);
    } else if (eqi(args[i], "match") && more >= 2) {
      const p = toKey(args[i + 1]);
      pattern = p === "*" ? undefined : p; // "*" is a no-op filter
    } else if (eqi(args[i], "type") && more >= 2) {
      type = typeFilter(args[i + 1]);
    } else {
      ctx.reply.error(SYNTAX);
      return;
    }
  }

  // Fetch first, filter after (as Redis): COUNT bounds the work, not the reply size. At most
  // COUNT*10 buckets are visited so a sparse table cannot stall the loop.
  const db = ctx.db;
  const keys: string[] = [];
  let maxIterations = count * 10;
  do {
    cursor = db.index.scanInto(cursor, keys);
  } while (cursor !== 0 && maxIterations-- > 0 && keys.length < count);

  // Filter in place. Every indexed key is in the dict, so only a db with TTLs needs the lookup.
  const checkExpiry = db.expires.size !== 0;
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (pattern !== undefined && !globMatch(pattern, key)) continue;
    if (type !== undefined) {
      const v = lookupRead(ctx, key, { noTouch: true });
      if (type !== (v === undefined ? "none" : typeName(v))) continue;
    }
    if (checkExpiry && db.get(key, false) === undefined) continue; // expireIfNeeded: deletes it
    keys[n++] = key;
  }
  const r = ctx.reply;
  r.array(2);
  r.bulkStr(String(cursor));
  r.array(n);
  for (let i = 0; i < n; i++) r.bulkBinary(keys[i]);
}

/** KEYS walks the whole db in one go like Redis (O(n)); expired keys are skipped, not deleted. */
function keys(ctx: Ctx, args: Uint8Array[]): void {
  const db = ctx.db;
  const pattern = toKey(args[1]);
  const all = pattern === "*";
  const now = Date.now();
  const checkTtl = db.expires.size > 0 && !ctx.server.loading;
  const out: string[] = [];
  for (const key of db.dict.keys()) {
    if (!all && !globMatch(pattern, key)) continue;
    if (checkTtl) {
      const at = db.expires.get(key);
      if (at !== undefined && at <= now) continue;
    }
    out.push(key);
  }
  ctx.reply.array(out.length);
  for (const k of out) ctx.reply.bulkBinary(k);
}

/** dbRandomKey: picks again while the pick turns out expired (deleting it on the way). */
function randomkey(ctx: Ctx): void {
  const db = ctx.db;
  const paused = ctx.server.loading;
  const allVolatile = db.dict.size === db.expires.size;
  let tries = 100;
  for (;;) {
    const key = db.index.random();
    if (key === undefined) {
      ctx.reply.nil();
      return;
    }
    const at = db.getExpire(key);
    if (at !== undefined) {
      // While expiry is paused every key may be logically expired: give up after some tries.
      if (allVolatile && paused && --tries === 0) {
        ctx.reply.bulkBinary(key);
        return;
      }
      if (at <= Date.now()) {
        db.get(key, false); // expireIfNeeded: deletes it unless expiry is paused
        continue;
      }
    }
    ctx.reply.bulkBinary(key);
    return;
  }
}

export const scanCommands: CommandDef[] = [
  { name: "scan", run: scan },
  { name: "keys", run: keys },
  { name: "randomkey", run: randomkey },
];
