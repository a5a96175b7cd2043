// String commands, get/set family (Redis's t_string.c): GET SET SETNX SETEX PSETEX GETSET GETDEL
// GETEX MGET MSET MSETNX. Counters and ranges live in strings_numeric.ts / strings_range.ts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { toKey } from "../util/bytes.ts";
import { valueSlab } from "../util/slab.ts";
import {
  configFlag,
  lookupRead,
  readString,
  writeString,
  WRONG,
  WRONGTYPE,
} from "./strings_common.ts";
import {
  EX,
  EXAT,
  expireAtMs,
  GET,
  KEEPTTL,
  NX,
  optionIs,
  parseStringOptions,
  PERSIST,
  PX,
  PXAT,
  XX,
} from "./strings_options.ts";
import { stringBytes } from "../store/types.ts";
import { numericCommands } from "./strings_numeric.ts";
import { rangeCommands } from "./strings_range.ts";

/** Replies the value of a key as GET does; false when the key holds another type. */
function getGeneric(ctx: Ctx, key: string): boolean {
  const v = readString(ctx, key);
  if (v === WRONG) {
    ctx.reply.error(WRONGTYPE);
    return false;
  }
  if (v === undefined) ctx.reply.nil();
  else ctx.reply.bulk(v);
  return true;
}

function get(ctx: Ctx, args: Uint8Array[]): void {
  getGeneric(ctx, toKey(args[1]));
}

/** What setGeneric replies: SET's +OK / nil, or SETNX's 1 / 0. */
interface SetReplies {
  ok: (ctx: Ctx) => void;
  abort: (ctx: Ctx) => void;
}

const SET_REPLIES: SetReplies = { ok: (c) => c.reply.ok(), abort: (c) => c.reply.nil() };
const SETNX_REPLIES: SetReplies = { ok: (c) => c.reply.int(1), abort: (c) => c.reply.int(0) };

/**
 * Redis's setGenericCommand. With an expire the command is propagated as
 * `SET key value PXAT <abs-ms>`; with GET (and no expire) as sent minus the GET tokens.
 */
function setGeneric(
  ctx: Ctx,
  args: Uint8Array[],
  flags: number,
  keyArg: Uint8Array,
  valArg: Uint8Array,
  expireArg: Uint8Array | undefined,
  replies: SetReplies,
  command: string,
): void {
  let at: bigint | undefined;
  if (expireArg) {
    at = expireAtMs(ctx, expireArg, flags, command);
    if (at === undefined) return;
  }
  const key = toKey(keyArg);
  if ((flags & GET) && !getGeneric(ctx, key)) return;
  const found = ctx.db.get(key) !== undefined;
  if (((flags & NX) && found) || ((flags & XX) && !found)) {
    if (!(flags & GET)) replies.abort(ctx);
    return;
  }
  const db = ctx.db;
  db.set(key, valueSlab.copy(valArg), (flags & KEEPTTL) !== 0);
  ctx.changed(key, "set", "$");
  if (at !== undefined) {
    db.setExpire(key, Number(at));
    ctx.propagate(["SET", keyArg, valArg, "PXAT", at.toString()]);
    ctx.changed(key, "expire", "g");
  } else if (flags & GET) {
    ctx.propagate(args.filter((a, j) => j < 3 || !optionIs(a, "get")));
  }
  if (!(flags & GET)) replies.ok(ctx);
}

function set(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length === 3) { // the common plain SET: no options object
    setGeneric(ctx, args, 0, args[1], args[2], undefined, SET_REPLIES, "set");
    return;
  }
  const opts = parseStringOptions(ctx, args, 3, true);
  if (!opts) return;
  setGeneric(ctx, args, opts.flags, args[1], args[2], opts.expire, SET_REPLIES, "set");
}

function setnx(ctx: Ctx, args: Uint8Array[]): void {
  setGeneric(ctx, args, NX, args[1], args[2], undefined, SETNX_REPLIES, "setnx");
}

function setex(ctx: Ctx, args: Uint8Array[]): void {
  setGeneric(ctx, args, EX, args[1], args[3], args[2], SET_REPLIES, "setex");
}

function psetex(ctx: Ctx, args: Uint8Array[]): void {
  setGeneric(ctx, args, PX, args[1], args[3], args[2], SET_REPLIES, "psetex");
}

function getset(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  if (!getGeneric(ctx, key)) return;
  ctx.db.set(key, valueSlab.copy(args[2]));
  ctx.changed(key, "set", "$");
  ctx.propagate(["SET", args[1], args[2]]);
}

function getdel(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  if (!getGeneric(ctx, key)) return;
  if (ctx.db.delete(key)) {
    ctx.propagate([configFlag(ctx, "lazyfree-lazy-user-del") ? "UNLINK" : "DEL", args[1]]);
    ctx.changed(key, "del", "g");
  }
}

/** GETEX: GET that also sets or removes the TTL; propagated as PEXPIREAT, PERSIST or DEL. */
function getex(ctx: Ctx, args: Uint8Array[]): void {
  const opts = parseStringOptions(ctx, args, 2, false);
  if (!opts) return;
  const key = toKey(args[1]);
  const v = readString(ctx, key);
  if (v === undefined) return ctx.reply.nil();
  if (v === WRONG) return ctx.reply.error(WRONGTYPE);
  const flags = opts.flags;
  let at: bigint | undefined;
  if (opts.expire) {
    at = expireAtMs(ctx, opts.expire, flags, "getex");
    if (at === undefined) return;
  }
  ctx.reply.bulk(v);
  const db = ctx.db;
  if (
    at !== undefined && (flags & (EXAT | PXAT)) && at <= BigInt(Date.now()) && !ctx.server.loading
  ) {
    // An absolute time already in the past deletes the key right away.
    db.delete(key);
    ctx.propagate([configFlag(ctx, "lazyfree-lazy-expire") ? "UNLINK" : "DEL", args[1]]);
    ctx.changed(key, "del", "g");
  } else if (at !== undefined) {
    db.setExpire(key, Number(at));
    ctx.propagate(["PEXPIREAT", args[1], at.toString()]);
    ctx.changed(key, "expire", "g");
  } else if ((flags & PERSIST) && db.persist(key)) {
    ctx.propagate(["PERSIST", args[1]]);
    ctx.changed(key, "persist", "g");
  }
}

function mget(ctx: Ctx, args: Uint8Array[]): void {
  const r = ctx.reply;
  r.array(args.length - 1);
  for (let j = 1; j < args.length; j++) {
    const v = lookupRead(ctx, toKey(args[j]));
    const b = v === undefined ? undefined : stringBytes(v);
    if (b === undefined) r.nil();
    else r.bulk(b);
  }
}

function msetGeneric(ctx: Ctx, args: Uint8Array[], nx: boolean): void {
  if (args.length % 2 === 0) {
    ctx.reply.error(`ERR wrong number of arguments for '${nx ? "msetnx" : "mset"}' command`);
    return;
  }
  const db = ctx.db;
  if (nx) {
    for (let j = 1; j < args.length; j += 2) {
      if (writeString(ctx, toKey(args[j])) !== undefined) return ctx.reply.int(0);
    }
  }
  for (let j = 1; j < args.length; j += 2) {
    const key = toKey(args[j]);
    db.set(key, valueSlab.copy(args[j + 1]));
    ctx.changed(key, "set", "$");
  }
  if (nx) ctx.reply.int(1);
  else ctx.reply.ok();
}

export const stringCommands: CommandDef[] = [
  { name: "get", run: get },
  { name: "set", run: set },
  { name: "setnx", run: setnx },
  { name: "setex", run: setex },
  { name: "psetex", run: psetex },
  { name: "getset", run: getset },
  { name: "getdel", run: getdel },
  { name: "getex", run: getex },
  { name: "mget", run: mget },
  { name: "mset", run: (ctx, args) => msetGeneric(ctx, args, false) },
  { name: "msetnx", run: (ctx, args) => msetGeneric(ctx, args, true) },
  ...numericCommands,
  ...rangeCommands,
];
