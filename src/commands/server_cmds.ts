// Server administration: DBSIZE FLUSHDB FLUSHALL TIME SHUTDOWN LOLWUT, as Redis 7.0's server.c and
// db.c. MEMORY and DEBUG live in memory_cmd.ts and debug_cmd.ts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { eqi } from "../util/bytes.ts";
import { REDIS_VERSION } from "./table.ts";
import { parseInt64 } from "../util/numbers.ts";

function dbsize(ctx: Ctx): void {
  ctx.reply.int(ctx.db.size);
}

/** Parses FLUSHALL/FLUSHDB's optional ASYNC|SYNC; false after replying with an error. */
function flushMode(ctx: Ctx, args: Uint8Array[]): boolean {
  if (args.length === 1) return true;
  if (args.length === 2 && (eqi(args[1], "async") || eqi(args[1], "sync"))) return true;
  ctx.reply.error("ERR syntax error");
  return false;
}

/**
 * Both flushes swap in fresh structures and let the GC free the old ones, so even a flush of
 * millions of keys costs the loop only the swap (Redis's lazyfree, without a thread).
 */
function flushdb(ctx: Ctx, args: Uint8Array[]): void {
  if (!flushMode(ctx, args)) return;
  ctx.server.flushDb(ctx.db);
  ctx.propagate(args);
  ctx.reply.ok();
}

function flushall(ctx: Ctx, args: Uint8Array[]): void {
  if (!flushMode(ctx, args)) return;
  const s = ctx.server;
  for (const db of s.dbs) s.flushDb(db);
  ctx.propagate(args);
  ctx.reply.ok();
}

function time(ctx: Ctx): void {
  const us = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  ctx.reply.array(2);
  ctx.reply.bulkStr(String(us / 1000000n));
  ctx.reply.bulkStr(String(us % 1000000n));
}

/** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: drains the WAL, then exits (no reply on success). */
function shutdown(ctx: Ctx, args: Uint8Array[]): void {
  let abort = false;
  let flags = 0;
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (eqi(a, "nosave") || eqi(a, "save") || eqi(a, "now") || eqi(a, "force")) flags++;
    else if (eqi(a, "abort")) abort = true;
    else {
      ctx.reply.error("ERR syntax error");
      return;
    }
  }
  if (abort) {
    ctx.reply.error(flags > 0 ? "ERR syntax error" : "ERR No shutdown in progress.");
    return;
  }
  ctx.server.log.warning("User requested shutdown...");
  void ctx.server.exitAfterShutdown();
}

/** LOLWUT [VERSION v]: Redis draws art for some versions; ours prints the version line only. */
function lolwut(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length >= 3 && eqi(args[1], "version") && parseInt64(args[2]) === undefined) {
    ctx.reply.error("ERR value is not an integer or out of range");
    return;
  }
  ctx.reply.verbatim(`Redis ver. ${REDIS_VERSION}\n`);
}

export const serverCommands: CommandDef[] = [
  { name: "dbsize", run: dbsize },
  { name: "flushdb", run: flushdb },
  { name: "flushall", run: flushall },
  { name: "time", run: time },
  { name: "shutdown", run: shutdown },
  { name: "lolwut", run: lolwut },
];
