// DEBUG, the subset tests and tools use: SLEEP, SET-ACTIVE-EXPIRE, OBJECT, JMAP-free introspection.
// Guarded by enable-debug-command exactly as Redis 7.0.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseDouble } from "../util/numbers.ts";
import { bytesToLatin1 } from "../util/numbers.ts";
import { protectedActionAllowed } from "./config_cmd.ts";
import { encodingOf } from "./keys_object.ts";
import { replyHelp } from "./help_reply.ts";
import { stringBytes } from "../store/types.ts";

const HELP = [
  "OBJECT <key>",
  "    Show low level info about the key and associated value.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
];

/** Blocks the thread without spinning, as DEBUG SLEEP blocks Redis's only thread. */
function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function debug(ctx: Ctx, args: Uint8Array[]): void {
  if (!protectedActionAllowed(ctx, "enable-debug-command")) {
    ctx.reply.error(
      'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
    );
    return;
  }
  const sub = args[1];
  if (eqi(sub, "help") && args.length === 2) return replyHelp(ctx, args, HELP);
  if (eqi(sub, "sleep") && args.length === 3) {
    const secs = parseDouble(bytesToLatin1(args[2])) ?? 0;
    sleepSync(secs * 1000);
    return ctx.reply.ok();
  }
  if (eqi(sub, "set-active-expire") && args.length === 3) {
    ctx.server.activeExpireEnabled = bytesToLatin1(args[2]) !== "0";
    return ctx.reply.ok();
  }
  if (eqi(sub, "object") && args.length === 3) {
    const key = toKey(args[2]);
    const v = ctx.db.get(key, false);
    if (v === undefined) return ctx.reply.error("ERR no such key");
    const s = stringBytes(v);
    const len = s ? s.length : v instanceof Object && "memoryUsage" in v ? v.memoryUsage() : 0;
    return ctx.reply.simple(
      `Value at:0x0 refcount:1 encoding:${
        encodingOf(v)
      } serializedlength:${len} lru:0 lru_seconds_idle:0`,
    );
  }
  ctx.reply.error(
    `ERR unknown subcommand '${bytesToLatin1(sub)}'. Try DEBUG HELP.`,
  );
}

export const debugCommands: CommandDef[] = [{ name: "debug", run: debug }];
