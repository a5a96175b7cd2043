// HSCAN / SSCAN / ZSCAN plumbing shared by the collection types: Redis's cursor parsing
// (parseScanCursorOrReply), option parsing and the bucket loop of scanGenericCommand.

import type { Ctx } from "../server/client.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { globMatch } from "../util/glob.ts";

const SYNTAX = "ERR syntax error";
const MAX_U64 = 18446744073709551615n;
export const EMPTY_SCAN = new TextEncoder().encode("*2\r\n$1\r\n0\r\n*0\r\n");

/**
 * Parses a cursor as Redis does with strtoul: optional sign ('-' wraps around, "-1" is
 * 2^64-1), digits only, no leading space; an empty string is cursor 0. Replies
 * "ERR invalid cursor" and returns undefined otherwise. The result is a 64-bit unsigned bigint.
 */
export function parseScanCursor(ctx: Ctx, b: Uint8Array): bigint | undefined {
  let i = 0;
  let neg = false;
  if (b.length > 0 && (b[0] === 43 || b[0] === 45)) {
    neg = b[0] === 45;
    i = 1;
    if (b.length === 1) return invalidCursor(ctx);
  }
  let v = 0n;
  for (; i < b.length; i++) {
    const c = b[i];
    if (c < 48 || c > 57) return invalidCursor(ctx);
    v = v * 10n + BigInt(c - 48);
    if (v > MAX_U64) return invalidCursor(ctx);
  }
  return neg && v !== 0n ? MAX_U64 + 1n - v : v;
}

function invalidCursor(ctx: Ctx): undefined {
  ctx.reply.error("ERR invalid cursor");
  return undefined;
}

export interface ScanOptions {
  count: number;
  /** The MATCH pattern as a binary string; undefined when absent or "*". */
  pattern: string | undefined;
}

/** Parses COUNT / MATCH from `args[start…]` (no TYPE: that is SCAN's alone). */
export function parseScanOptions(
  ctx: Ctx,
  args: Uint8Array[],
  start: number,
): ScanOptions | undefined {
  const opts: ScanOptions = { count: 10, pattern: undefined };
  for (let i = start; i < args.length; i += 2) {
    const more = args.length - i;
    if (eqi(args[i], "count") && more >= 2) {
      const n = parseInt64(args[i + 1]);
      if (n === undefined) {
        ctx.reply.error("ERR value is not an integer or out of range");
        return undefined;
      }
      if (n < 1) {
        ctx.reply.error(SYNTAX);
        return undefined;
      }
      opts.count = Number(n);
    } else if (eqi(args[i], "match") && more >= 2) {
      const p = toKey(args[i + 1]);
      opts.pattern = p === "*" ? undefined : p;
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  return opts;
}

/**
 * scanGenericCommand's loop over a big encoding: visits buckets until `count` items were
 * collected or 10 × count buckets were visited. `step` visits one cursor position and returns
 * the next (0 when done); `collected` says how many reply items exist so far.
 */
export function scanBuckets(
  cursor: bigint,
  count: number,
  step: (cursor: number) => number,
  collected: () => number,
): number {
  // ScanIndex tables stay below 2^32 buckets, so the low 32 bits address every bucket.
  let c = Number(cursor & 0xffffffffn);
  let maxIterations = count * 10;
  do {
    c = step(c);
  } while (c !== 0 && maxIterations-- > 0 && collected() < count);
  return c;
}

/** True when `s` passes the MATCH filter. */
export function scanMatches(opts: ScanOptions, s: string): boolean {
  return opts.pattern === undefined || globMatch(opts.pattern, s);
}

/** Replies [cursor, [items…]] (flat items, as Redis 7.0 does in both protocols). */
export function replyScan(ctx: Ctx, cursor: number, items: string[]): void {
  const r = ctx.reply;
  r.array(2);
  r.bulkBinary(String(cursor));
  r.array(items.length);
  for (const s of items) r.bulkBinary(s);
}
