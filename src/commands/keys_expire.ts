// Expiry commands, as Redis 7.0's expire.c: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT),
// TTL PTTL EXPIRETIME PEXPIRETIME, PERSIST. Expires propagate as PEXPIREAT <absolute ms>.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { bytesToLatin1, parseInt64 } from "../util/numbers.ts";
import { lookupRead, NOT_INT, replyInt64 } from "./keys_lookup.ts";

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

/** parseExtendedExpireArgumentsOrReply: the NX/XX/GT/LT flags, or undefined after an error. */
function parseFlags(ctx: Ctx, args: Uint8Array[]): number | undefined {
  let flags = 0;
  for (let j = 3; j < args.length; j++) {
    const a = args[j];
    if (eqi(a, "nx")) flags |= NX;
    else if (eqi(a, "xx")) flags |= XX;
    else if (eqi(a, "gt")) flags |= GT;
    else if (eqi(a, "lt")) flags |= LT;
    else {
      ctx.reply.error(`ERR Unsupported option ${cString(a)}`);
      return undefined;
    }
  }
  if ((flags & NX) && (flags & (XX | GT | LT))) {
    ctx.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return undefined;
  }
  if ((flags & GT) && (flags & LT)) {
    ctx.reply.error("ERR GT and LT options at the same time are not compatible");
    return undefined;
  }
  return flags;
}

/** An argument as C's %s prints it: up to the first NUL byte. */
function cString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return bytesToLatin1(nul < 0 ? b : b.subarray(0, nul));
}

/**
 * The absolute expire time in ms from argv[2], with Redis's overflow checks, or undefined after
 * an error reply. A bigint only when the value is beyond the safe-integer range.
 */
function absoluteTime(
  ctx: Ctx,
  arg: Uint8Array,
  basetime: number,
  seconds: boolean,
  name: string,
): number | bigint | undefined {
  const v = parseInt64(arg);
  if (v === undefined) {
    ctx.reply.error(NOT_INT);
    return undefined;
  }
  // Fast path: small enough that ms conversion and the base time stay exact in a double.
  if (typeof v === "number" && Math.abs(v) < 2 ** 42) return (seconds ? v * 1000 : v) + basetime;
  let when = BigInt(v);
  const invalid = (): undefined => {
    ctx.reply.error(`ERR invalid expire time in '${name}' command`);
    return undefined;
  };
  if (seconds) {
    if (when > MAX / 1000n || when < MIN / 1000n) return invalid();
    when *= 1000n;
  }
  if (when > MAX - BigInt(basetime)) return invalid();
  when += BigInt(basetime);
  return Number.isSafeInteger(Number(when)) ? Number(when) : when;
}

function expireGeneric(ctx: Ctx, args: Uint8Array[], relative: boolean, seconds: boolean): void {
  const name = relative ? (seconds ? "expire" : "pexpire") : (seconds ? "expireat" : "pexpireat");
  const flags = parseFlags(ctx, args);
  if (flags === undefined) return;
  const when = absoluteTime(ctx, args[2], relative ? Date.now() : 0, seconds, name);
  if (when === undefined) return;
  const db = ctx.db;
  const key = toKey(args[1]);
  if (db.get(key) === undefined) {
    ctx.reply.int(0);
    return;
  }
  const whenMs = Number(when);
  if (flags) {
    const current = db.getExpire(key);
    if (
      ((flags & NX) && current !== undefined) ||
      ((flags & XX) && current === undefined) ||
      // No TTL counts as infinite: GT always fails, LT always passes.
      ((flags & GT) && (current === undefined || whenMs <= current)) ||
      ((flags & LT) && current !== undefined && whenMs >= current)
    ) {
      ctx.reply.int(0);
      return;
    }
  }
  if (whenMs <= Date.now() && !ctx.server.loading) {
    // Already in the past: the key is deleted now and the deletion propagated as DEL.
    db.delete(key);
    ctx.propagate(["DEL", args[1]]);
    ctx.changed(key, "del", "g");
  } else {
    db.setExpire(key, whenMs);
    ctx.propagate(["PEXPIREAT", args[1], String(when), ...args.slice(3)]);
    ctx.changed(key, "expire", "g");
  }
  ctx.reply.int(1);
}

function expire(ctx: Ctx, args: Uint8Array[]): void {
  expireGeneric(ctx, args, true, true);
}

function pexpire(ctx: Ctx, args: Uint8Array[]): void {
  expireGeneric(ctx, args, true, false);
}

function expireat(ctx: Ctx, args: Uint8Array[]): void {
  expireGeneric(ctx, args, false, true);
}

function pexpireat(ctx: Ctx, args: Uint8Array[]): void {
  expireGeneric(ctx, args, false, false);
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 no key, -1 no expire. */
function ttlGeneric(ctx: Ctx, args: Uint8Array[], ms: boolean, absolute: boolean): void {
  const key = toKey(args[1]);
  if (lookupRead(ctx, key, { noTouch: true }) === undefined) {
    ctx.reply.int(-2);
    return;
  }
  const at = ctx.db.getExpire(key);
  if (at === undefined) {
    ctx.reply.int(-1);
    return;
  }
  let t = absolute ? at : at - Date.now();
  if (t < 0) t = 0;
  replyInt64(ctx, ms ? t : Math.floor((t + 500) / 1000));
}

function persist(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  if (ctx.db.get(key) !== undefined && ctx.db.persist(key)) {
    ctx.changed(key, "persist", "g");
    ctx.reply.int(1);
  } else ctx.reply.int(0);
}

export const expireCommands: CommandDef[] = [
  { name: "expire", run: expire },
  { name: "pexpire", run: pexpire },
  { name: "expireat", run: expireat },
  { name: "pexpireat", run: pexpireat },
  { name: "ttl", run: (ctx, args) => ttlGeneric(ctx, args, false, false) },
  { name: "pttl", run: (ctx, args) => ttlGeneric(ctx, args, true, false) },
  { name: "expiretime", run: (ctx, args) => ttlGeneric(ctx, args, false, true) },
  { name: "pexpiretime", run: (ctx, args) => ttlGeneric(ctx, args, true, true) },
  { name: "persist", run: persist },
];
