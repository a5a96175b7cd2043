// CLIENT UNBLOCK: ends another client's blocking wait (as a timeout, or with -UNBLOCKED).

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { eqi } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

function clientUnblock(ctx: Ctx, args: Uint8Array[]): void {
  const id = parseInt64(args[2]);
  if (id === undefined || typeof id === "bigint") {
    ctx.reply.error("ERR value is not an integer or out of range");
    return;
  }
  let withError = false;
  if (args.length === 4) {
    if (eqi(args[3], "error")) withError = true;
    else if (!eqi(args[3], "timeout")) {
      ctx.reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  const target = ctx.server.clients.get(id);
  ctx.reply.int(target && ctx.server.blocking.unblock(target, withError) ? 1 : 0);
}

export const blockingCommands: CommandDef[] = [
  { name: "client|unblock", run: clientUnblock },
];
