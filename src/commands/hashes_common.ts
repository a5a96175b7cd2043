// Hash lookups shared by the hash command modules: the type check and the listpack limits.

import type { Ctx } from "../server/client.ts";
import { type HashLimits, RedisHash } from "../store/hash.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

/**
 * Looks a key up as a hash: the hash, undefined when missing, null after replying WRONGTYPE.
 * `read` counts keyspace hits/misses like Redis's lookupKeyRead (writes use lookupKeyWrite).
 */
export function lookupHash(ctx: Ctx, key: string, read: boolean): RedisHash | undefined | null {
  const v = ctx.db.get(key);
  if (read) {
    if (v === undefined) ctx.server.stats.keyspaceMisses++;
    else ctx.server.stats.keyspaceHits++;
  }
  if (v === undefined) return undefined;
  if (v instanceof RedisHash) return v;
  ctx.reply.error(WRONGTYPE);
  return null;
}

/** The listpack thresholds, read live so CONFIG SET affects the next write. */
export function hashLimits(ctx: Ctx): HashLimits {
  const cfg = ctx.server.config;
  return {
    maxEntries: cfg.num("hash-max-listpack-entries"),
    maxValue: cfg.num("hash-max-listpack-value"),
  };
}
