// Transactions: MULTI EXEC DISCARD WATCH UNWATCH. Queued commands run inside one write-path
// unit, so the WAL and replicas receive a transaction as one atomic MULTI … EXEC record.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { toKey } from "../util/bytes.ts";

function multi(ctx: Ctx): void {
  if (ctx.multi) {
    ctx.reply.error("ERR MULTI calls can not be nested");
    return;
  }
  ctx.multi = [];
  ctx.multiError = false;
  ctx.reply.ok();
}

function discardState(ctx: Ctx): void {
  ctx.multi = undefined;
  ctx.multiError = false;
  ctx.server.unwatchAll(ctx);
}

function discard(ctx: Ctx): void {
  if (!ctx.multi) {
    ctx.reply.error("ERR DISCARD without MULTI");
    return;
  }
  discardState(ctx);
  ctx.reply.ok();
}

/** Redis 7.0: a WATCHed key that was live at WATCH time and has expired since aborts EXEC. */
function watchedKeyExpired(ctx: Ctx): boolean {
  const now = Date.now();
  for (const w of ctx.watchedKeys) {
    if (w.expiredAtWatch) continue;
    const at = ctx.server.dbs[w.db].getExpire(w.key);
    if (at !== undefined && at <= now) return true;
  }
  return false;
}

function exec(ctx: Ctx): void {
  const queued = ctx.multi;
  if (!queued) {
    ctx.reply.error("ERR EXEC without MULTI");
    return;
  }
  if (ctx.multiError) {
    discardState(ctx);
    ctx.reply.error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  if (ctx.watchDirty || watchedKeyExpired(ctx)) {
    discardState(ctx);
    ctx.reply.nilArray();
    return;
  }
  const server = ctx.server;
  server.unwatchAll(ctx);
  ctx.multi = undefined;
  ctx.reply.array(queued.length);
  server.wp.begin(true);
  ctx.inExec = true;
  try {
    for (const q of queued) server.call(ctx, q.cmd, q.args);
  } finally {
    ctx.inExec = false;
    server.wp.end();
  }
}

function watch(ctx: Ctx, args: Uint8Array[]): void {
  if (ctx.multi) {
    ctx.reply.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  const server = ctx.server;
  const dbId = ctx.db.id;
  let m = server.watched.get(dbId);
  if (!m) server.watched.set(dbId, m = new Map());
  const now = Date.now();
  for (let i = 1; i < args.length; i++) {
    const key = toKey(args[i]);
    let set = m.get(key);
    if (!set) m.set(key, set = new Set());
    if (set.has(ctx)) continue;
    set.add(ctx);
    const at = ctx.db.getExpire(key);
    ctx.watchedKeys.push({ db: dbId, key, expiredAtWatch: at !== undefined && at <= now });
  }
  ctx.reply.ok();
}

function unwatch(ctx: Ctx): void {
  ctx.server.unwatchAll(ctx);
  ctx.reply.ok();
}

export const transactionCommands: CommandDef[] = [
  { name: "multi", run: multi },
  { name: "exec", run: exec },
  { name: "discard", run: discard },
  { name: "watch", run: watch },
  { name: "unwatch", run: unwatch },
];
