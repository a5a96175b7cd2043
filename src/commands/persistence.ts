// Persistence commands over the WAL: BGREWRITEAOF (compaction), and BGSAVE/SAVE/LASTSAVE, which
// Reredis implements as a compaction too (the base file is its snapshot; there is no RDB file).

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { startRewrite, walState } from "../wal/lifecycle.ts";
import { eqi } from "../util/bytes.ts";

const NO_WAL = "ERR Reredis saves through its append only file: enable it with appendonly yes";

function bgrewriteaof(ctx: Ctx): void {
  const server = ctx.server;
  if (!server.aof) {
    // Redis writes an AOF even when appendonly is off; Reredis has no log to compact then.
    ctx.reply.error("ERR Append only file is disabled (appendonly no): nothing to rewrite");
    return;
  }
  if (server.rewriteRunning) {
    ctx.reply.error("ERR Background append only file rewriting already in progress");
    return;
  }
  startRewrite(server)?.catch(() => {});
  ctx.reply.simple("Background append only file rewriting started");
}

function bgsave(ctx: Ctx, args: Uint8Array[]): void {
  const server = ctx.server;
  if (args.length > 2 || (args.length === 2 && !eqi(args[1], "schedule"))) {
    ctx.reply.error("ERR syntax error");
    return;
  }
  if (!server.aof) {
    ctx.reply.error(NO_WAL);
    return;
  }
  if (server.rewriteRunning) {
    if (args.length === 2) {
      walState(server).scheduled = true;
      ctx.reply.simple("Background saving scheduled");
    } else {
      ctx.reply.error(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
      );
    }
    return;
  }
  startRewrite(server)?.catch(() => {});
  ctx.reply.simple("Background saving started");
}

/**
 * SAVE: replies once a base holding the dataset as of this command is durable. The client waits;
 * the server keeps serving others (Redis blocks everyone here).
 */
function save(ctx: Ctx): void {
  const server = ctx.server;
  if (!server.aof) {
    ctx.reply.error(NO_WAL);
    return;
  }
  if (server.rewriteRunning) {
    ctx.reply.error("ERR Background save already in progress");
    return;
  }
  const run = startRewrite(server)!;
  if (ctx.inExec || !ctx.conn) {
    // A reply can't wait inside EXEC or a script: the log holds every write already.
    run.catch(() => {});
    ctx.reply.ok();
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
  ctx.reply.int(Math.floor(walState(ctx.server).lastSaveAt / 1000));
}

export const persistenceCommands: CommandDef[] = [
  { name: "bgrewriteaof", run: bgrewriteaof },
  { name: "bgsave", run: bgsave },
  { name: "save", run: save },
  { name: "lastsave", run: lastsave },
];
