// Set lookups shared by the set command modules: the type check and the intset limit.

import type { Ctx } from "../server/client.ts";
import { RedisSet } from "../store/set.ts";
import { WRONGTYPE } from "./hashes_common.ts";

/**
 * Looks a key up as a set: the set, undefined when missing, null after replying WRONGTYPE.
 * `read` counts keyspace hits/misses like Redis's lookupKeyRead (writes use lookupKeyWrite).
 */
export function lookupSet(ctx: Ctx, key: string, read: boolean): RedisSet | undefined | null {
  const v = ctx.db.get(key);
  if (read) {
    if (v === undefined) ctx.server.stats.keyspaceMisses++;
    else ctx.server.stats.keyspaceHits++;
  }
  if (v === undefined) return undefined;
  if (v instanceof RedisSet) return v;
  ctx.reply.error(WRONGTYPE);
  return null;
}

/** set-max-intset-entries, read live so CONFIG SET affects the next write. */
export function maxIntsetEntries(ctx: Ctx): number {
  return ctx.server.config.num("set-max-intset-entries");
}

/** Replies the members of a set as a RESP3 set (array in RESP2), in iteration order. */
export function replyMembers(ctx: Ctx, s: RedisSet): void {
  ctx.reply.set(s.size);
  s.forEach((m) => ctx.reply.bulkBinary(m));
}
