// Key lookups for the keyspace commands with Redis's side effects (db.c lookupKey): read lookups
// count keyspace hits/misses and raise "keymiss"; write lookups only expire. Also shared replies.

import type { Ctx } from "../server/client.ts";
import type { Value } from "../store/types.ts";

export const NOT_INT = "ERR value is not an integer or out of range";
export const SYNTAX = "ERR syntax error";

/** Redis's LOOKUP_* flags that change what a read lookup does besides returning the value. */
export interface LookupFlags {
  /** LOOKUP_NOTOUCH: leave the key's access time alone (TYPE, EXISTS, TTL, OBJECT). */
  noTouch?: boolean;
  /** LOOKUP_NONOTIFY: no "keymiss" event on a miss (OBJECT). */
  noNotify?: boolean;
}

/** lookupKeyReadWithFlags: the live value, counting a hit or a miss. */
export function lookupRead(ctx: Ctx, key: string, flags?: LookupFlags): Value | undefined {
  const db = ctx.db;
  const v = db.get(key, !flags?.noTouch);
  const stats = ctx.server.stats;
  if (v !== undefined) stats.keyspaceHits++;
  else {
    stats.keyspaceMisses++;
    if (!flags?.noNotify) ctx.server.wp.event(db.id, key, "keymiss", "m");
  }
  return v;
}

/** A 64-bit integer reply from a stored number, clamped to the int64 range (huge expire times). */
export function replyInt64(ctx: Ctx, n: number): void {
  if (Number.isSafeInteger(n)) ctx.reply.int(n);
  else if (n >= 9223372036854775807) ctx.reply.int(9223372036854775807n);
  else if (n <= -9223372036854775808) ctx.reply.int(-9223372036854775808n);
  else ctx.reply.int(BigInt(Math.trunc(n)));
}

/** A config parameter's text, or `fallback` while no module has registered it (maxmemory-policy). */
export function configText(ctx: Ctx, name: string, fallback: string): string {
  const c = ctx.server.config;
  return c.def(name) ? c.text(name) : fallback;
}
