// HRANDFIELD (Redis 7.0's count / WITHVALUES / negative-count rules) and HSCAN.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { RedisHash } from "../store/hash.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { lookupHash } from "./hashes_common.ts";
import {
  EMPTY_SCAN,
  parseScanCursor,
  parseScanOptions,
  replyScan,
  scanBuckets,
  scanMatches,
} from "./scan_collections.ts";

const LONG_MAX = 9223372036854775807n;

/**
 * Random replies longer than this many elements are refused: Redis would try to build them and
 * run out of memory (hundreds of MB per 100 M elements); we answer an error instead of crashing.
 */
export const MAX_RANDOM_REPLY = 100_000_000;

/**
 * A count argument in [-LONG_MAX, LONG_MAX] (getRangeLongFromObjectOrReply), kept exact (a
 * bigint beyond 2^53) so the range checks compare like C's longs.
 */
export function randomCountArg(ctx: Ctx, b: Uint8Array): number | bigint | undefined {
  const v = parseInt64(b);
  if (v === undefined) {
    ctx.reply.error("ERR value is not an integer or out of range");
    return undefined;
  }
  if (v < -LONG_MAX) {
    ctx.reply.error(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    return undefined;
  }
  return v;
}

/** Replies an error when a repeated-picks reply of `count` elements is too big to build. */
export function tooManyPicks(ctx: Ctx, count: number): boolean {
  if (count <= MAX_RANDOM_REPLY) return false;
  ctx.reply.error(`ERR count is too large (at most ${MAX_RANDOM_REPLY} repeated elements)`);
  return true;
}

function hrandfield(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length >= 3) {
    const l = randomCountArg(ctx, args[2]);
    if (l === undefined) return;
    if (args.length > 4 || (args.length === 4 && !eqi(args[3], "withvalues"))) {
      ctx.reply.error("ERR syntax error");
      return;
    }
    const withValues = args.length === 4;
    // LONG_MAX / 2: the RESP2 reply length (2 × count) must not overflow.
    if (withValues && (l > 4611686018427387903n || l < -4611686018427387903n)) {
      ctx.reply.error("ERR value is out of range");
      return;
    }
    hrandfieldWithCount(ctx, args, Number(l), withValues);
    return;
  }
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h === null) return;
  if (h === undefined) ctx.reply.nil();
  else ctx.reply.bulkBinary(h.randomField());
}

function replyPair(ctx: Ctx, h: RedisHash, field: string, withValues: boolean): void {
  if (withValues && ctx.reply.proto === 3) ctx.reply.array(2);
  ctx.reply.bulkBinary(field);
  if (withValues) ctx.reply.bulkBinary(h.get(field)!);
}

function hrandfieldWithCount(ctx: Ctx, args: Uint8Array[], l: number, withValues: boolean): void {
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h === null) return;
  const r = ctx.reply;
  if (h === undefined || l === 0) {
    r.array(0);
    return;
  }
  const uniq = l > 0;
  let count = Math.abs(l);
  const size = h.size;
  // RESP3 nests [field, value] pairs; RESP2 flattens them.
  const header = (n: number) => r.array(withValues && r.proto === 2 ? n * 2 : n);

  // CASE 1: negative count (repetitions allowed, random order), or a single field.
  if (!uniq || count === 1) {
    if (tooManyPicks(ctx, count)) return;
    header(count);
    while (count-- > 0) replyPair(ctx, h, h.randomField(), withValues);
    return;
  }
  // CASE 2: asking for at least the whole hash returns the whole hash.
  if (count >= size) {
    header(size);
    h.forEach((f) => replyPair(ctx, h, f, withValues));
    return;
  }
  header(count);
  // CASE 3: close to the size, drop random fields from a full copy.
  if (count * 3 > size) {
    const fields: string[] = [];
    h.forEach((f) => fields.push(f));
    let n = fields.length;
    while (n > count) {
      const i = Math.floor(Math.random() * n);
      fields[i] = fields[--n];
    }
    for (let i = 0; i < count; i++) replyPair(ctx, h, fields[i], withValues);
    return;
  }
  // CASE 4: much smaller than the size, collect distinct random picks.
  const picked = new Set<string>();
  while (picked.size < count) picked.add(h.randomField());
  for (const f of picked) replyPair(ctx, h, f, withValues);
}

function hscan(ctx: Ctx, args: Uint8Array[]): void {
  const cursor = parseScanCursor(ctx, args[2]);
  if (cursor === undefined) return;
  const h = lookupHash(ctx, toKey(args[1]), true);
  if (h === null) return;
  if (h === undefined) {
    ctx.reply.raw(EMPTY_SCAN);
    return;
  }
  const opts = parseScanOptions(ctx, args, 3);
  if (!opts) return;
  let items: string[] = [];
  let next = 0;
  const collect = (f: string, v: string) => items.push(f, v);
  // A listpack is returned whole with cursor 0, whatever the cursor, as Redis does.
  if (h.isCompact) h.forEach(collect);
  else {
    next = scanBuckets(cursor, opts.count, (c) => h.scanStep(c, collect), () => items.length);
  }
  if (opts.pattern !== undefined) {
    const kept: string[] = [];
    for (let i = 0; i < items.length; i += 2) {
      if (scanMatches(opts, items[i])) kept.push(items[i], items[i + 1]);
    }
    items = kept;
  }
  replyScan(ctx, next, items);
}

export const hashRandomScanCommands: CommandDef[] = [
  { name: "hrandfield", run: hrandfield },
  { name: "hscan", run: hscan },
];
