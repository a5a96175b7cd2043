// EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/DEBUG/HELP (Redis's eval.c).
// Scripts are compiled once per body into the server's Lua VM and cached by sha1; the cache is
// not persisted (as Redis): the WAL holds the effects scripts had, not the scripts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { CachedScript, ScriptEngine } from "../scripting/engine.ts";
import { scripting } from "../scripting/available.ts";
import { eqi } from "../util/bytes.ts";
import { replyHelp } from "./help_reply.ts";
import { parseInt64 } from "../util/numbers.ts";

const dec = new TextDecoder();

/** The server's Lua engine, or undefined after replying that this build has no VM. */
export function engine(ctx: Ctx): ScriptEngine | undefined {
  if (typeof scripting !== "string") return scripting.engineOf(ctx.server);
  ctx.reply.error(scripting);
  return undefined;
}

const SHEBANG_FLAGS = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);

/** Parses a `#!lua flags=…` first line; returns an error text or the flags. */
function shebangFlags(body: Uint8Array): string | { shebang: boolean; noWrites: boolean } {
  if (body[0] !== 35 || body[1] !== 33) return { shebang: false, noWrites: false };
  let nl = body.indexOf(10);
  if (nl < 0) nl = body.length;
  const line = dec.decode(body.subarray(2, nl)).split(" ").filter((p) => p !== "");
  const engine = line[0] ?? "";
  if (engine !== "lua") return `ERR Unexpected engine in script shebang: #!${engine}`;
  let noWrites = false;
  for (const part of line.slice(1)) {
    if (!part.startsWith("flags=")) return `ERR Unknown lua shebang option: ${part}`;
    for (const f of part.slice(6).split(",")) {
      if (f === "") continue;
      if (!SHEBANG_FLAGS.has(f)) return `ERR Unexpected flag in script shebang: ${f}`;
      if (f === "no-writes") noWrites = true;
    }
  }
  return { shebang: true, noWrites };
}

/** A sha1 argument as the cache's key: lower-case hex ("" when it is not 40 bytes long). */
function shaOf(b: Uint8Array): string {
  if (b.length !== 40) return "";
  let s = "";
  for (let i = 0; i < 40; i++) {
    const c = b[i];
    s += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return s;
}

/** Compiles (or finds) a script; replies with an error and returns undefined on failure. */
function loadScript(ctx: Ctx, body: Uint8Array): [string, CachedScript] | undefined {
  const eng = engine(ctx);
  if (!eng || typeof scripting === "string") return undefined;
  const sha = scripting.sha1hex(body);
  const cached = eng.scripts.get(sha);
  if (cached) return [sha, cached];
  const flags = shebangFlags(body);
  if (typeof flags === "string") {
    ctx.reply.error(flags);
    return undefined;
  }
  const ref = eng.compile(body, "@user_script");
  if (typeof ref === "string") {
    ctx.reply.error(`ERR Error compiling script (new function): ${ref}`);
    return undefined;
  }
  const script = { ref, ...flags };
  eng.scripts.set(sha, script);
  return [sha, script];
}

/** Splits `numkeys key… arg…` (args[2] onwards); replies with an error on bad input. */
export function splitKeys(
  ctx: Ctx,
  args: Uint8Array[],
): { keys: Uint8Array[]; argv: Uint8Array[] } | undefined {
  const n = parseInt64(args[2]);
  if (n === undefined) {
    ctx.reply.error("ERR value is not an integer or out of range");
    return undefined;
  }
  if (n > args.length - 3) {
    ctx.reply.error("ERR Number of keys can't be greater than number of args");
    return undefined;
  }
  if (n < 0) {
    ctx.reply.error("ERR Number of keys can't be negative");
    return undefined;
  }
  const k = Number(n);
  return { keys: args.slice(3, 3 + k), argv: args.slice(3 + k) };
}

function evalGeneric(ctx: Ctx, args: Uint8Array[], bySha: boolean, ro: boolean): void {
  const eng = engine(ctx);
  if (!eng) return;
  const split = splitKeys(ctx, args);
  if (!split) return;
  let found: [string, CachedScript] | undefined;
  if (bySha) {
    const sha = shaOf(args[1]);
    const s = eng.scripts.get(sha);
    if (!s) {
      ctx.reply.error("NOSCRIPT No matching script. Please use EVAL.");
      return;
    }
    found = [sha, s];
  } else found = loadScript(ctx, args[1]);
  if (!found) return;
  const [sha, script] = found;
  if (ro && script.shebang && !script.noWrites) {
    ctx.reply.error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  eng.run(ctx, script.ref, split.keys, split.argv, {
    name: sha,
    readOnly: ro || script.noWrites,
    isEval: true,
    asArguments: false,
  });
}

function scriptLoad(ctx: Ctx, args: Uint8Array[]): void {
  const found = loadScript(ctx, args[2]);
  if (found) ctx.reply.bulkStr(found[0]);
}

function scriptExists(ctx: Ctx, args: Uint8Array[]): void {
  const scripts = engine(ctx)?.scripts;
  if (!scripts) return;
  ctx.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const sha = shaOf(args[i]);
    ctx.reply.int(scripts.has(sha) ? 1 : 0);
  }
}

function scriptFlush(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length > 3 || (args.length === 3 && !eqi(args[2], "sync") && !eqi(args[2], "async"))) {
    ctx.reply.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  const eng = engine(ctx);
  if (!eng) return;
  eng.flushScripts();
  ctx.reply.ok();
}

function scriptDebug(ctx: Ctx, args: Uint8Array[]): void {
  if (eqi(args[2], "no")) ctx.reply.ok();
  else if (eqi(args[2], "yes") || eqi(args[2], "sync")) {
    ctx.reply.error("ERR SCRIPT DEBUG (the Lua debugger) is not supported by Reredis");
  } else ctx.reply.error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
}

function scriptHelp(ctx: Ctx, args: Uint8Array[]): void {
  replyHelp(ctx, args, [
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
  ]);
}

export const scriptingCommands: CommandDef[] = [
  { name: "eval", run: (ctx, args) => evalGeneric(ctx, args, false, false) },
  { name: "evalsha", run: (ctx, args) => evalGeneric(ctx, args, true, false) },
  { name: "eval_ro", run: (ctx, args) => evalGeneric(ctx, args, false, true) },
  { name: "evalsha_ro", run: (ctx, args) => evalGeneric(ctx, args, true, true) },
  { name: "script|load", run: scriptLoad },
  { name: "script|exists", run: scriptExists },
  { name: "script|flush", run: scriptFlush },
  { name: "script|kill", run: (ctx) => engine(ctx)?.kill(ctx, true) },
  { name: "script|debug", run: scriptDebug },
  { name: "script|help", run: scriptHelp },
];
