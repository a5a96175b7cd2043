// The JS side of the `redis` table: redis.call / redis.pcall run commands through the server's
// dispatcher with Redis's script checks (unknown command, arity, noscript, writes from read-only
// scripts), inside the script's write-path unit; plus sha1hex, log, setresp, set_repl,
// acl_check_cmd and register_function (FUNCTION LOAD). Installed into the table on top of the stack.

import { F } from "../commands/table.ts";
import { REDIS_VERSION } from "../commands/table.ts";
import { lowerAscii } from "../util/bytes.ts";
import {
  cfunction,
  cstr,
  M,
  pop,
  pushBytes,
  pushText,
  raise,
  raiseText,
  setFunction,
  T,
  toArg,
  toBytes,
  toText,
} from "./lua.ts";
import { pushReply } from "./convert.ts";
import { cjsonDecode, cjsonEncode } from "./cjson.ts";
import { msgpackPack, msgpackUnpack } from "./cmsgpack.ts";
import { engineOfState, pushErrorTable, sha1hex } from "./engine.ts";
import { formatG } from "./cjson.ts";

const enc = new TextEncoder();

/** A number argument as Redis formats it for a command (integers exact, floats shortest). */
function numberArg(L: number, idx: number): Uint8Array {
  if (M._lua_isinteger(L, idx)) return enc.encode(String(M._lua_tointegerx(L, idx, 0)));
  const d = M._lua_tonumberx(L, idx, 0);
  return enc.encode(Number.isInteger(d) && Math.abs(d) < 1e17 ? d.toFixed(0) : formatG(d, 17));
}

/** Pushes {err="ERR msg"} and raises it (redis.call) or returns it (redis.pcall). */
function fail(L: number, msg: string, raiseIt: boolean): number {
  pushErrorTable(L, "ERR " + msg);
  if (raiseIt) raise(L);
  return 1;
}

function callCommand(L: number, raiseIt: boolean): number {
  const eng = engineOfState(L);
  const run = eng?.current;
  if (!eng || !run) {
    return fail(L, "redis.call/pcall can only be called inside a script invocation", raiseIt);
  }
  const n = M._lua_gettop(L);
  if (n === 0) {
    return fail(L, "Please specify at least one argument for this redis lib call", raiseIt);
  }
  const args: Uint8Array[] = new Array(n);
  for (let i = 1; i <= n; i++) {
    const t = M._lua_type(L, i);
    if (t === T.STRING) args[i - 1] = toArg(L, i)!;
    else if (t === T.NUMBER) args[i - 1] = numberArg(L, i);
    else return fail(L, "Lua redis lib command arguments must be strings or integers", raiseIt);
  }
  const server = eng.server;
  let cmd = server.table.lookup(args[0]);
  if (cmd?.subcommands && n >= 2) cmd = cmd.subcommands.get(lowerAscii(args[1]));
  if (cmd === undefined) return fail(L, "Unknown Redis command called from script", raiseIt);
  if ((cmd.arity > 0 && cmd.arity !== n) || n < -cmd.arity) {
    return fail(L, "Wrong number of args calling Redis command from script", raiseIt);
  }
  if (cmd.flags & F.noscript) {
    return fail(L, "This Redis command is not allowed from script", raiseIt);
  }
  if (cmd.flags & F.write) {
    if (run.readOnly) {
      return fail(L, "Write commands are not allowed from read-only scripts.", raiseIt);
    }
    run.dirty = true;
  }
  // The hook counts Lua instructions; a script spending its time in commands is noticed here.
  if (
    (++run.calls & 15) === 0 && !run.busy && run.threshold > 0 &&
    performance.now() - run.startedAt >= run.threshold
  ) {
    eng.enterBusy(run);
  }
  const c = run.client;
  c.reply.len = 0;
  server.call(c, cmd, args);
  const buf = c.reply.buf;
  if (c.reply.len === 0) M._lua_pushnil(L);
  else pushReply(L, buf, 0);
  const isError = c.reply.len > 0 && buf[0] === 45;
  c.reply.len = 0;
  if (raiseIt && isError) raise(L);
  return 1;
}

const LOG_LEVELS = ["debug", "verbose", "notice", "warning"] as const;

function log(L: number): number {
  const n = M._lua_gettop(L);
  if (n < 2) raiseText(L, "redis.log() requires two arguments or more.");
  if (M._lua_type(L, 1) !== T.NUMBER) raiseText(L, "First argument must be a number (log level).");
  const level = Number(M._lua_tonumberx(L, 1, 0));
  if (!(level >= 0 && level <= 3)) raiseText(L, "Invalid debug level.");
  const parts: string[] = [];
  for (let i = 2; i <= n; i++) parts.push(toText(L, i) ?? "");
  const eng = engineOfState(L);
  eng?.server.log[LOG_LEVELS[Math.floor(level)]](parts.join(" "));
  return 0;
}

function setresp(L: number): number {
  const run = engineOfState(L)?.current;
  if (M._lua_gettop(L) !== 1) raiseText(L, "redis.setresp() requires one argument.");
  const v = Number(M._lua_tonumberx(L, 1, 0));
  if (v !== 2 && v !== 3) raiseText(L, "RESP version must be 2 or 3.");
  if (run) {
    run.resp = v;
    run.client.reply.proto = v;
  }
  return 0;
}

function setRepl(L: number): number {
  if (!engineOfState(L)?.current) {
    raiseText(L, "redis.set_repl() can only be called inside a script invocation");
  }
  if (M._lua_gettop(L) !== 1) raiseText(L, "redis.set_repl() requires one argument.");
  const v = Number(M._lua_tonumberx(L, 1, 0));
  if (!(v >= 0 && v <= 3)) {
    raiseText(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  // Accepted; effects always propagate (see docs/compatibility.md).
  return 0;
}

function sha1(L: number): number {
  if (M._lua_gettop(L) !== 1) raiseText(L, "wrong number of arguments");
  const b = toBytes(L, 1) ?? new Uint8Array(0);
  pushText(L, sha1hex(b));
  return 1;
}

function aclCheckCmd(L: number): number {
  const eng = engineOfState(L);
  const n = M._lua_gettop(L);
  if (n === 0) raiseText(L, "Please specify at least one argument for this redis lib call");
  const name = toBytes(L, 1);
  let cmd = name ? eng?.server.table.get(lowerAscii(name)) : undefined;
  if (cmd?.subcommands && n >= 2) cmd = cmd.subcommands.get(lowerAscii(toBytes(L, 2)!));
  if (!cmd || (cmd.arity > 0 && cmd.arity !== n) || n < -cmd.arity) {
    raiseText(L, "Invalid command passed to redis.acl_check_cmd()");
  }
  M._lua_pushboolean(L, 1);
  return 1;
}

const FUNCTION_FLAGS = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);
const NAME_RE = /^[A-Za-z0-9_]+$/;

/** redis.register_function(name, fn) or redis.register_function{function_name=…, callback=…}. */
function registerFunction(L: number): number {
  const eng = engineOfState(L);
  const fns = eng?.registering;
  if (!eng || !fns) {
    raiseText(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  const n = M._lua_gettop(L);
  let name: string | undefined;
  let flags: string[] = [];
  let description: string | undefined;
  if (n === 1 && M._lua_type(L, 1) === T.TABLE) {
    M._lua_getfield(L, 1, cstr("function_name"));
    name = M._lua_type(L, -1) === T.STRING ? toText(L, -1) : undefined;
    pop(L);
    M._lua_getfield(L, 1, cstr("description"));
    if (M._lua_type(L, -1) === T.STRING) description = toText(L, -1);
    pop(L);
    M._lua_getfield(L, 1, cstr("flags"));
    if (M._lua_type(L, -1) === T.TABLE) {
      for (let i = 1;; i++) {
        if (M._lua_rawgeti(L, -1, BigInt(i)) === T.NIL) break;
        const f = toText(L, -1) ?? "";
        pop(L);
        if (!FUNCTION_FLAGS.has(f)) raiseText(L, "unknown flag given");
        flags.push(f);
      }
      pop(L);
    }
    pop(L);
    M._lua_getfield(L, 1, cstr("callback"));
    if (name === undefined) {
      raiseText(L, "function_name argument given to redis.register_function must be a string");
    }
  } else {
    if (n !== 2) raiseText(L, "wrong number of arguments to redis.register_function");
    if (M._lua_type(L, 1) !== T.STRING) {
      raiseText(L, "first argument to redis.register_function must be a string");
    }
    name = toText(L, 1)!;
    M._lua_pushvalue(L, 2);
    flags = [];
  }
  if (M._lua_type(L, -1) !== T.FUNCTION) {
    raiseText(
      L,
      n === 1
        ? "callback argument given to redis.register_function must be a function"
        : "second argument to redis.register_function must be a function",
    );
  }
  if (!NAME_RE.test(name)) {
    // Redis 7.0 reports a bad function name with the library-name message.
    raiseText(
      L,
      "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
    );
  }
  if (fns.has(name)) raiseText(L, "Function already exists in the library");
  const ref = M._luaL_ref(L, -1001000);
  fns.set(name, { name, ref, flags, description });
  return 0;
}

/** Fills the table at the top of the stack with the bridge functions and constants. */
export function installBridge(L: number): void {
  setFunction(L, "call", CALL);
  setFunction(L, "pcall", PCALL);
  setFunction(L, "log", LOG);
  setFunction(L, "setresp", SETRESP);
  setFunction(L, "set_repl", SET_REPL);
  setFunction(L, "sha1hex", SHA1);
  setFunction(L, "acl_check_cmd", ACL_CHECK);
  setFunction(L, "register_function", REGISTER);
  setFunction(L, "cjson_encode", CJSON_ENCODE);
  setFunction(L, "cjson_decode", CJSON_DECODE);
  setFunction(L, "msgpack_pack", MSGPACK_PACK);
  setFunction(L, "msgpack_unpack", MSGPACK_UNPACK);
  M._lua_pushlightuserdata(L, 0);
  M._lua_setfield(L, -2, cstr("cjson_null"));
  pushText(L, REDIS_VERSION);
  M._lua_setfield(L, -2, cstr("version"));
  const [a, b, c] = REDIS_VERSION.split(".").map(Number);
  M._lua_pushinteger(L, BigInt((a << 16) | (b << 8) | c));
  M._lua_setfield(L, -2, cstr("version_num"));
}

const CALL = cfunction((L) => callCommand(L, true));
const PCALL = cfunction((L) => callCommand(L, false));
const LOG = cfunction(log);
const SETRESP = cfunction(setresp);
const SET_REPL = cfunction(setRepl);
const SHA1 = cfunction(sha1);
const ACL_CHECK = cfunction(aclCheckCmd);
const REGISTER = cfunction(registerFunction);
const CJSON_ENCODE = cfunction(cjsonEncode);
const CJSON_DECODE = cfunction(cjsonDecode);
const MSGPACK_PACK = cfunction(msgpackPack);
const MSGPACK_UNPACK = cfunction(msgpackUnpack);

export { pushBytes };
