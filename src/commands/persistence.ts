// Persistence commands over the WAL: BGREWRITEAOF (compaction), and BGSAVE/SAVE/LASTSAVE, which
// Reredis implements as a compaction too (the base file is its snapshot).

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import { AofRewrite, RewriteAborted } from "../wal/rewrite.ts";

/** Starts a compaction unless one runs; resolves when it ends (rejects on failure). */
export function startRewrite(server: Server): Promise<void> | undefined {
  const aof = server.aof;
  if (!aof || server.rewriteRunning) return undefined;
  const rw = new AofRewrite(server, aof);
  const started = Date.now();
  server.rewriteRunning = rw.run().then(() => {
    server.stats.aofLastRewriteStatus = "ok";
    server.stats.aofLastRewriteSecs = Math.round((Date.now() - started) / 1000);
  }).catch((e) => {
    server.stats.aofLastRewriteStatus = "err";
    const why = e instanceof RewriteAborted ? `aborted: ${e.message}` : String(e);
    server.log.warning(`Background AOF rewrite failed: ${why}`);
    throw e;
  }).finally(() => {
    server.rewriteRunning = undefined;
  });
  server.log.notice("Background append only file rewriting started");
  return server.rewriteRunning;
}

function bgrewriteaof(ctx: Ctx): void {
  if (!ctx.server.aof) {
    ctx.reply.error("ERR Append only file is disabled (appendonly no): nothing to rewrite");
    return;
  }
  if (ctx.server.rewriteRunning) {
    ctx.reply.error("ERR Background append only file rewriting already in progress");
    return;
  }
  startRewrite(ctx.server)?.catch(() => {});
  ctx.reply.simple("Background append only file rewriting started");
}

function bgsave(ctx: Ctx): void {
  if (!ctx.server.aof) {
    ctx.reply.error("ERR Background saving needs appendonly yes in Reredis");
    return;
  }
  if (ctx.server.rewriteRunning) {
    ctx.reply.simple("Background saving scheduled");
    return;
  }
  startRewrite(ctx.server)?.catch(() => {});
  ctx.reply.simple("Background saving started");
}

/** SAVE waits for a compaction to finish; the client is blocked, the server keeps serving. */
function save(ctx: Ctx): void {
  const run = ctx.server.rewriteRunning ?? startRewrite(ctx.server);
  if (!run) {
    ctx.reply.error("ERR Background saving needs appendonly yes in Reredis");
    return;
  }
  ctx.blocked = true;
  run.then(() => ctx.reply.ok(), (e) => ctx.reply.error(`ERR ${String(e)}`)).finally(() => {
    ctx.blocked = false;
    ctx.flush();
    ctx.process();
  });
}

function lastsave(ctx: Ctx): void {
  const t = ctx.server.aof?.lastRewriteAt || ctx.server.startedAt;
  ctx.reply.int(Math.floor(t / 1000));
}

export const persistenceCommands: CommandDef[] = [
  { name: "bgrewriteaof", run: bgrewriteaof },
  { name: "bgsave", run: bgsave },
  { name: "save", run: save },
  { name: "lastsave", run: lastsave },
];
