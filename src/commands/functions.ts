// FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/KILL/HELP and FCALL / FCALL_RO (Redis's
// functions.c). Library changes are propagated as sent, so the WAL replays them.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { FunctionRegistry } from "../scripting/functions.ts";
import { scripting } from "../scripting/available.ts";
import { eqi } from "../util/bytes.ts";
import { globMatch } from "../util/glob.ts";
import { replyHelp } from "./help_reply.ts";
import { engine, splitKeys } from "./scripting.ts";

/** The server's function libraries, or undefined after replying that this build has no VM. */
function registry(ctx: Ctx): FunctionRegistry | undefined {
  if (typeof scripting !== "string") return scripting.functionsOf(ctx.server);
  ctx.reply.error(scripting);
  return undefined;
}

function functionLoad(ctx: Ctx, args: Uint8Array[]): void {
  let replace = false;
  let i = 2;
  if (args.length > 3) {
    if (!eqi(args[2], "replace") || args.length > 4) {
      ctx.reply.error(`ERR Unknown option given: ${new TextDecoder().decode(args[2])}`);
      return;
    }
    replace = true;
    i = 3;
  }
  const reg = registry(ctx);
  if (!reg) return;
  const lib = reg.load(args[i], replace);
  if (typeof lib === "string") {
    ctx.reply.error("ERR " + lib);
    return;
  }
  ctx.propagate(args);
  ctx.reply.bulkStr(lib.name);
}

function functionDelete(ctx: Ctx, args: Uint8Array[]): void {
  const reg = registry(ctx);
  if (!reg) return;
  if (!reg.delete(new TextDecoder().decode(args[2]))) {
    ctx.reply.error("ERR Library not found");
    return;
  }
  ctx.propagate(args);
  ctx.reply.ok();
}

function functionFlush(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length > 3 || (args.length === 3 && !eqi(args[2], "sync") && !eqi(args[2], "async"))) {
    ctx.reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  const reg = registry(ctx);
  if (!reg) return;
  reg.flush();
  ctx.propagate(args);
  ctx.reply.ok();
}

function functionList(ctx: Ctx, args: Uint8Array[]): void {
  let withCode = false;
  let pattern: Uint8Array | undefined;
  for (let i = 2; i < args.length; i++) {
    if (eqi(args[i], "withcode")) {
      if (withCode) return ctx.reply.error("ERR Unknown argument withcode");
      withCode = true;
    } else if (eqi(args[i], "libraryname") && i + 1 < args.length) {
      if (pattern) return ctx.reply.error("ERR library name argument was already given");
      pattern = args[++i];
    } else {
      return ctx.reply.error(`ERR Unknown argument ${new TextDecoder().decode(args[i])}`);
    }
  }
  const reg = registry(ctx);
  if (!reg) return;
  const glob = pattern && new TextDecoder().decode(pattern);
  const libs = [...reg.libraries.values()].filter((l) => !glob || globMatch(glob, l.name));
  const r = ctx.reply;
  r.array(libs.length);
  for (const lib of libs) {
    r.map(withCode ? 4 : 3);
    r.bulkStr("library_name");
    r.bulkStr(lib.name);
    r.bulkStr("engine");
    r.bulkStr("LUA");
    r.bulkStr("functions");
    r.array(lib.functions.size);
    for (const f of lib.functions.values()) {
      r.map(3);
      r.bulkStr("name");
      r.bulkStr(f.name);
      r.bulkStr("description");
      if (f.description === undefined) r.nil();
      else r.bulkStr(f.description);
      r.bulkStr("flags");
      r.set(f.flags.length);
      for (const fl of f.flags) r.simple(fl);
    }
    if (withCode) {
      r.bulkStr("library_code");
      r.bulk(lib.code);
    }
  }
}

function functionDump(ctx: Ctx): void {
  const reg = registry(ctx);
  if (reg) ctx.reply.bulk(reg.dump());
}

function functionRestore(ctx: Ctx, args: Uint8Array[]): void {
  let policy: "flush" | "append" | "replace" = "append";
  if (args.length > 4) return ctx.reply.error("ERR syntax error");
  if (args.length === 4) {
    if (eqi(args[3], "flush")) policy = "flush";
    else if (eqi(args[3], "append")) policy = "append";
    else if (eqi(args[3], "replace")) policy = "replace";
    else {
      return ctx.reply.error(
        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
      );
    }
  }
  const reg = registry(ctx);
  if (!reg) return;
  const err = reg.restore(args[2], policy);
  if (err !== undefined) return ctx.reply.error("ERR " + err);
  ctx.propagate(args);
  ctx.reply.ok();
}

function functionStats(ctx: Ctx): void {
  const r = ctx.reply;
  const reg = registry(ctx);
  if (!reg) return;
  const eng = reg.engine;
  r.map(2);
  r.bulkStr("running_script");
  const run = eng.current;
  if (!run) r.nil();
  else {
    r.map(3);
    r.bulkStr("name");
    r.bulkStr(run.name);
    r.bulkStr("command");
    const argv = run.command;
    r.array(argv.length);
    for (const a of argv) r.bulk(a);
    r.bulkStr("duration_ms");
    r.int(Math.floor(performance.now() - run.startedAt));
  }
  r.bulkStr("engines");
  r.map(1);
  r.bulkStr("LUA");
  r.map(2);
  r.bulkStr("libraries_count");
  r.int(reg.libraries.size);
  r.bulkStr("functions_count");
  r.int(reg.functions.size);
}

function functionHelp(ctx: Ctx, args: Uint8Array[]): void {
  replyHelp(ctx, args, [
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
  ]);
}

function fcall(ctx: Ctx, args: Uint8Array[], ro: boolean): void {
  const reg = registry(ctx);
  if (!reg) return;
  const fn = reg.find(new TextDecoder().decode(args[1]));
  if (!fn) return ctx.reply.error("ERR Function not found");
  const split = splitKeys(ctx, args);
  if (!split) return;
  const noWrites = fn.flags.includes("no-writes");
  if (ro && !noWrites) {
    return ctx.reply.error("ERR Can not execute a script with write flag using *_ro command.");
  }
  reg.engine.run(ctx, fn.ref, split.keys, split.argv, {
    name: fn.name,
    readOnly: ro || noWrites,
    isEval: false,
    asArguments: true,
  });
}

export const functionCommands: CommandDef[] = [
  { name: "function|load", run: functionLoad },
  { name: "function|delete", run: functionDelete },
  { name: "function|flush", run: functionFlush },
  { name: "function|list", run: functionList },
  { name: "function|dump", run: functionDump },
  { name: "function|restore", run: functionRestore },
  { name: "function|stats", run: functionStats },
  { name: "function|kill", run: (ctx) => engine(ctx)?.kill(ctx, false) },
  { name: "function|help", run: functionHelp },
  { name: "fcall", run: (ctx, args) => fcall(ctx, args, false) },
  { name: "fcall_ro", run: (ctx, args) => fcall(ctx, args, true) },
];
