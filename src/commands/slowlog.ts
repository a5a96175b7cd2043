// SLOWLOG GET/LEN/RESET/HELP (Redis's slowlog.c): commands that ran for at least
// slowlog-log-slower-than microseconds (negative: off, 0: everything), newest first, at most
// slowlog-max-len entries. Arguments are capped as Redis caps them (32 args, 128 bytes each).

import type { CommandDef } from "./table.ts";
import { type Command, F } from "./table.ts";
import type { Client, Ctx } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import { bytesToLatin1, parseInt64 } from "../util/numbers.ts";
import { replyHelp } from "./help_reply.ts";
import { utf8 } from "../util/bytes.ts";
import { redactedArgs } from "./monitor.ts";

const MAX_ARGC = 32;
const MAX_STRING = 128;

interface Entry {
  id: number;
  time: number;
  usec: number;
  argv: Uint8Array[];
  peer: string;
  name: string;
}

interface SlowLog {
  entries: Entry[];
  nextId: number;
  threshold: number;
  maxLen: number;
}

const logs = new WeakMap<Server, SlowLog>();

/** Starts recording slow commands (called once at start-up). */
export function installSlowlog(server: Server): void {
  const log: SlowLog = { entries: [], nextId: 0, threshold: 10000, maxLen: 128 };
  logs.set(server, log);
  server.config.watch("slowlog-log-slower-than", (v) => (log.threshold = Number(v)));
  server.config.watch("slowlog-max-len", (v) => {
    log.maxLen = Number(v);
    if (log.entries.length > log.maxLen) log.entries.length = log.maxLen;
  });
  server.callHooks.push((c, cmd, args, usec) => {
    if (log.threshold < 0 || usec < log.threshold || (cmd.flags & F.skipSlowlog)) return;
    push(log, c, cmd, args, Math.floor(usec));
  });
}

function push(log: SlowLog, c: Client, cmd: Command, args: Uint8Array[], usec: number): void {
  const argc = Math.min(args.length, MAX_ARGC);
  const argv: Uint8Array[] = [];
  const hide = redactedArgs(cmd.fullName, args);
  for (let j = 0; j < argc; j++) {
    if (argc !== args.length && j === argc - 1) {
      argv.push(utf8(`... (${args.length - argc + 1} more arguments)`));
    } else if (hide?.has(j)) {
      argv.push(utf8("(redacted)"));
    } else if (args[j].length > MAX_STRING) {
      const more = utf8(`... (${args[j].length - MAX_STRING} more bytes)`);
      const b = new Uint8Array(MAX_STRING + more.length);
      b.set(args[j].subarray(0, MAX_STRING));
      b.set(more, MAX_STRING);
      argv.push(b);
    } else argv.push(args[j].slice());
  }
  log.entries.unshift({
    id: log.nextId++,
    time: Math.floor(Date.now() / 1000),
    usec,
    argv,
    peer: c.conn ? c.addr : "",
    name: c.name,
  });
  if (log.entries.length > log.maxLen) log.entries.length = log.maxLen;
}

function slowlogGet(ctx: Ctx, args: Uint8Array[]): void {
  const log = logs.get(ctx.server)!;
  if (args.length > 3) {
    ctx.reply.error(
      `ERR unknown subcommand or wrong number of arguments for '${
        bytesToLatin1(args[1])
      }'. Try SLOWLOG HELP.`,
    );
    return;
  }
  let count = 10;
  if (args.length === 3) {
    const v = parseInt64(args[2]);
    const n = v === undefined ? undefined : BigInt(v);
    if (n === undefined || n < -1n) {
      ctx.reply.error("ERR count should be greater than or equal to -1");
      return;
    }
    count = n === -1n ? log.entries.length : Number(n > 1000000n ? 1000000n : n);
  }
  const list = log.entries.slice(0, count);
  const r = ctx.reply;
  r.array(list.length);
  for (const e of list) {
    r.array(6);
    r.int(e.id);
    r.int(e.time);
    r.int(e.usec);
    r.array(e.argv.length);
    for (const a of e.argv) r.bulk(a);
    r.bulkStr(e.peer);
    r.bulkStr(e.name);
  }
}

function slowlogLen(ctx: Ctx): void {
  ctx.reply.int(logs.get(ctx.server)!.entries.length);
}

function slowlogReset(ctx: Ctx): void {
  logs.get(ctx.server)!.entries = [];
  ctx.reply.ok();
}

const HELP = [
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
];

export const slowlogCommands: CommandDef[] = [
  { name: "slowlog|get", run: slowlogGet },
  { name: "slowlog|len", run: slowlogLen },
  { name: "slowlog|reset", run: slowlogReset },
  { name: "slowlog|help", run: (ctx, args) => replyHelp(ctx, args, HELP) },
];
