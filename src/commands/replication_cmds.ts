// ROLE and WAIT for a server that has no replicas (replication does not exist yet): ROLE reports a
// master with offset 0, WAIT returns 0 at once when it asks for no replicas and otherwise waits out
// its timeout, as Redis does when no replica acknowledges.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { parseInt64 } from "../util/numbers.ts";

function role(ctx: Ctx): void {
  ctx.reply.array(3);
  ctx.reply.bulkStr("master");
  ctx.reply.int(0);
  ctx.reply.array(0);
}

function wait(ctx: Ctx, args: Uint8Array[]): void {
  const replicas = parseInt64(args[1]);
  if (replicas === undefined) return ctx.reply.error("ERR value is not an integer or out of range");
  const timeout = parseInt64(args[2]);
  if (timeout === undefined) {
    return ctx.reply.error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return ctx.reply.error("ERR timeout is negative");
  if (replicas <= 0 || !ctx.block([], Number(timeout), (c) => c.reply.int(0))) ctx.reply.int(0);
}

export const replicationCommands: CommandDef[] = [
  { name: "role", run: role },
  { name: "wait", run: wait },
];
