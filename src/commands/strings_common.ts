// Helpers shared by the string command modules: key lookups with Redis's read statistics and
// type checks, the maximum string length check, and byte conversions for propagated arguments.

import type { Ctx } from "../server/client.ts";
import { stringBytes, type Value } from "../store/types.ts";
import { valueSlab } from "../util/slab.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const NOT_INT = "ERR value is not an integer or out of range";
export const SYNTAX = "ERR syntax error";

/** A string lookup's outcome: the bytes, absent, or a value of another type. */
export type StringLookup = Uint8Array | undefined | typeof WRONG;
export const WRONG: unique symbol = Symbol("wrongtype");

/** Redis's lookupKeyRead: the live value, counting a keyspace hit or miss. */
export function lookupRead(ctx: Ctx, key: string): Value | undefined {
  const v = ctx.db.get(key);
  if (v === undefined) ctx.server.stats.keyspaceMisses++;
  else ctx.server.stats.keyspaceHits++;
  return v;
}

/** The string bytes of a value (read lookup), or WRONG for other types. */
export function readString(ctx: Ctx, key: string): StringLookup {
  const v = lookupRead(ctx, key);
  if (v === undefined) return undefined;
  return stringBytes(v) ?? WRONG;
}

/** Same for a write lookup (lookupKeyWrite: expires the key, no hit/miss statistics). */
export function writeString(ctx: Ctx, key: string): StringLookup {
  const v = ctx.db.get(key);
  if (v === undefined) return undefined;
  return stringBytes(v) ?? WRONG;
}

/** Redis's checkStringLength: replies and returns false when a string would grow too big. */
export function checkStringLength(ctx: Ctx, size: number, append: number): boolean {
  if (size + append > ctx.server.config.num("proto-max-bulk-len")) {
    ctx.reply.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return false;
  }
  return true;
}

/** ASCII text (numbers we computed) → bytes to store (carved from the value slab). */
export function ascii(s: string): Uint8Array {
  return valueSlab.latin1(s);
}

/** A boolean config that may not be registered yet (e.g. lazyfree-*): false when unknown. */
export function configFlag(ctx: Ctx, name: string): boolean {
  return ctx.server.config.def(name) !== undefined && ctx.server.config.bool(name);
}
