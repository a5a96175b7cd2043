// One Lua VM per server: compiles EVAL scripts and function libraries, runs them in a coroutine
// inside one atomic write-path unit (effects replication: the WAL and replicas receive the writes
// the script made, wrapped in MULTI/EXEC), and implements busy-reply-threshold: a count hook
// notices a script running past the threshold, and from then on yields the coroutine back to the
// event loop every few ms so other clients are answered -BUSY and SCRIPT KILL can be received.

import { createHash } from "node:crypto";
import type { Server } from "../server/server.ts";
import { Client, type Ctx } from "../server/client.ts";
import {
  cstr,
  loadChunk,
  LUA_OK,
  LUA_YIELD,
  M,
  pop,
  pushBinary,
  pushBytes,
  pushText,
  REGISTRY,
  setFunction,
  T,
  toText,
} from "./lua.ts";
import { binary, writeLuaValue } from "./convert.ts";
import { PRELUDE } from "./prelude.ts";
import { installBridge } from "./bridge.ts";
import { enterBusy, guardLoad, killScript, watchRun } from "./busy.ts";

export interface RunOptions {
  /** Name in error replies: the sha for EVAL, the function name for FCALL. */
  name: string;
  readOnly: boolean;
  isEval: boolean;
  /** FCALL passes keys and args as the function's arguments instead of the KEYS/ARGV globals. */
  asArguments: boolean;
}

/** The script running now (Redis's scriptRunCtx). */
export interface Run extends RunOptions {
  ctx: Ctx;
  /** The EVAL/FCALL command line (FUNCTION STATS). */
  command: Uint8Array[];
  /** The client redis.call runs commands as (its own db and protocol). */
  client: Client;
  startedAt: number;
  sliceAt: number;
  threshold: number;
  /** A write command ran: SCRIPT KILL is refused. */
  dirty: boolean;
  busy: boolean;
  killed: boolean;
  /** redis.call count (the busy clock is read every 16 calls). */
  calls: number;
  /** Only a script sent by a connected client outside EXEC can be suspended. */
  canYield: boolean;
  resp: 2 | 3;
}

/** A compiled EVAL script and the flags of its `#!lua` line. */
export interface CachedScript {
  ref: number;
  /** Has a shebang line: flags are explicit (EVAL_RO then needs no-writes). */
  shebang: boolean;
  noWrites: boolean;
}

/** A function registered by a library (FUNCTION LOAD). */
export interface RegisteredFunction {
  name: string;
  ref: number;
  flags: string[];
  description: string | undefined;
}

const engines = new WeakMap<Server, ScriptEngine>();
/** Engines by the Lua thread pointer JS callbacks receive. */
const byState = new Map<number, ScriptEngine>();
const nresPtr = M._malloc(4);
const KEYS = cstr("KEYS");
const ARGV = cstr("ARGV");

/** The scripting engine of a server (created on first use). */
export function engineOf(server: Server): ScriptEngine {
  let e = engines.get(server);
  if (!e) engines.set(server, e = new ScriptEngine(server));
  return e;
}

/** The engine owning the Lua thread `L` (for the bridge's C functions). */
export function engineOfState(L: number): ScriptEngine | undefined {
  return byState.get(L);
}

export function sha1hex(b: Uint8Array): string {
  return createHash("sha1").update(b).digest("hex");
}

/** Pushes {err = msg}, the form Redis's error replies take inside Lua. */
export function pushErrorTable(L: number, msg: string): void {
  M._lua_createtable(L, 0, 1);
  pushText(L, msg);
  M._lua_setfield(L, -2, cstr("err"));
}

export class ScriptEngine {
  readonly L: number;
  readonly co: number;
  /** EVAL scripts by sha1 (not persisted, as Redis). */
  readonly scripts = new Map<string, CachedScript>();
  current: Run | undefined;
  /** Functions collected by redis.register_function while FUNCTION LOAD runs a library. */
  registering: Map<string, RegisteredFunction> | undefined;
  #scriptEnv: number;
  #scriptGlobals: number;
  #runner: number;
  #libEnv: number;
  #setLoading: number;
  #client: Client | undefined;

  constructor(readonly server: Server) {
    const L = this.L = M._luaL_newstate();
    M._luaL_openlibs(L);
    byState.set(L, this);
    M._lua_createtable(L, 0, 16);
    installBridge(L);
    const err = loadChunk(L, new TextEncoder().encode(PRELUDE), "=redis");
    if (err) throw new Error(`scripting prelude: ${err}`);
    M._lua_rotate(L, -2, 1); // chunk, bridge table as its argument
    if (M._lua_pcallk(L, 1, 5, 0, 0, 0) !== LUA_OK) {
      throw new Error(`scripting prelude: ${toText(L, -1)}`);
    }
    // Stack: scriptEnv scriptGlobals runner libEnv setLoading
    this.#setLoading = M._luaL_ref(L, REGISTRY);
    this.#libEnv = M._luaL_ref(L, REGISTRY);
    this.#runner = M._luaL_ref(L, REGISTRY);
    this.#scriptGlobals = M._luaL_ref(L, REGISTRY);
    this.#scriptEnv = M._luaL_ref(L, REGISTRY);
    this.co = M._lua_newthread(L);
    M._luaL_ref(L, REGISTRY); // keeps the thread alive
    byState.set(this.co, this);
  }

  /** The client scripts run commands as (Redis's script caller client). */
  get client(): Client {
    // Not server.internalClient(): Redis creates its script client at start-up, so using an id
    // here would shift every later CLIENT ID against redis-server's.
    if (!this.#client) {
      this.#client = new Client(0, this.server, undefined);
      this.#client.setAuthenticated("default");
    }
    return this.#client;
  }

  /** Compiles a script body as a chunk named @user_script; returns its registry ref or an error. */
  compile(body: Uint8Array, chunkName: string, lib = false): number | string {
    const L = this.L;
    const err = loadChunk(L, stripShebang(body), chunkName);
    if (err !== undefined) return err.replace(/ near <eof>$/, " near '<eof>'");
    M._lua_rawgeti(L, REGISTRY, BigInt(lib ? this.#libEnv : this.#scriptEnv));
    M._lua_setupvalue(L, -2, 1); // _ENV
    return M._luaL_ref(L, REGISTRY);
  }

  /** Releases a compiled function or callback. */
  release(ref: number): void {
    M._luaL_unref(this.L, REGISTRY, ref);
  }

  flushScripts(): void {
    for (const s of this.scripts.values()) this.release(s.ref);
    this.scripts.clear();
  }

  /** Runs a library's top level (FUNCTION LOAD) on the main thread; returns an error or undefined. */
  runLibrary(ref: number): string | undefined {
    const L = this.L;
    this.#libraryApi(true);
    M._lua_rawgeti(L, REGISTRY, BigInt(this.#runner));
    M._lua_rawgeti(L, REGISTRY, BigInt(ref));
    guardLoad(L);
    const status = M._lua_pcallk(L, 1, 2, 0, 0, 0);
    M._lua_sethook(L, 0, 0, 0);
    this.#libraryApi(false);
    if (status !== LUA_OK) {
      const msg = toText(L, -1) ?? "error";
      pop(L);
      return msg;
    }
    let msg: string | undefined;
    if (!M._lua_toboolean(L, -2)) {
      msg = "unknown error";
      if (M._lua_type(L, -1) === T.TABLE) {
        M._lua_getfield(L, -1, cstr("err"));
        msg = toText(L, -1) ?? msg;
        pop(L);
      } else msg = toText(L, -1) ?? msg;
    }
    pop(L, 2);
    return msg;
  }

  /** Switches library globals between the load-time API and the full function globals. */
  #libraryApi(loading: boolean): void {
    const L = this.L;
    M._lua_rawgeti(L, REGISTRY, BigInt(this.#setLoading));
    M._lua_pushboolean(L, loading ? 1 : 0);
    M._lua_pcallk(L, 1, 0, 0, 0, 0);
  }

  /**
   * Runs a compiled function for `ctx` and writes its reply — now, or when the suspended script
   * completes (the client is then blocked meanwhile).
   */
  run(ctx: Ctx, ref: number, keys: Uint8Array[], args: Uint8Array[], opts: RunOptions): void {
    const server = this.server;
    const co = this.co;
    const client = this.client;
    client.db = ctx.db;
    client.reply.proto = 2;
    client.reply.len = 0;
    const now = performance.now();
    const run: Run = {
      name: opts.name,
      readOnly: opts.readOnly,
      isEval: opts.isEval,
      asArguments: opts.asArguments,
      ctx,
      command: ctx.current?.args ?? [],
      client,
      startedAt: now,
      sliceAt: now,
      threshold: server.config.num("busy-reply-threshold"),
      dirty: false,
      busy: false,
      killed: false,
      calls: 0,
      canYield: ctx.conn !== undefined && !ctx.inExec && !ctx.loader,
      resp: 2,
    };
    this.current = run;
    server.wp.begin(true);
    M._lua_checkstack(co, 8);
    M._lua_rawgeti(co, REGISTRY, BigInt(this.#runner));
    M._lua_rawgeti(co, REGISTRY, BigInt(ref));
    let nargs = 1;
    if (opts.asArguments) {
      pushArray(co, keys);
      pushArray(co, args);
      nargs = 3;
    } else {
      // The globals table has no __newindex: setfield stores without a metamethod call.
      M._lua_rawgeti(co, REGISTRY, BigInt(this.#scriptGlobals));
      pushArray(co, keys);
      M._lua_setfield(co, -2, KEYS);
      pushArray(co, args);
      M._lua_setfield(co, -2, ARGV);
      pop(co);
    }
    if (run.threshold > 0) watchRun(co);
    const status = M._lua_resume(co, this.L, nargs, nresPtr);
    if (status === LUA_YIELD) {
      run.command = run.command.map((a) => a.slice()); // parser views die with this read batch
      ctx.blocked = true;
      setTimeout(() => this.#continue(run), 0);
      return;
    }
    this.#complete(run, status);
  }

  /** Resumes a suspended script for one slice; completes it or schedules the next slice. */
  #continue(run: Run): void {
    run.sliceAt = performance.now();
    const status = M._lua_resume(this.co, this.L, 0, nresPtr);
    if (status === LUA_YIELD) {
      setTimeout(() => this.#continue(run), 0);
      return;
    }
    this.#complete(run, status);
    const server = this.server;
    const c = run.ctx;
    c.blocked = false;
    if (server.wp.depth === 0 && server.blocking.hasReady) server.blocking.handleReady();
    c.process();
  }

  #complete(run: Run, status: number): void {
    try {
      this.#reply(run, status);
    } finally {
      // Whatever happened while replying, the unit closes and the next script can run.
      M._lua_settop(this.co, 0);
      M._lua_sethook(this.co, 0, 0, 0);
      this.current = undefined;
      if (run.busy) {
        this.server.busyReply = undefined;
        this.server.log.warning("Slow script finished.");
      }
      this.server.wp.end();
    }
  }

  #reply(run: Run, status: number): void {
    const co = this.co;
    const out = run.ctx.reply;
    if (status === LUA_OK) {
      const nres = M.HEAPU32[nresPtr >> 2];
      const base = M._lua_gettop(co) - nres + 1;
      const ok = nres > 0 && M._lua_toboolean(co, base) !== 0;
      if (nres < 2) M._lua_pushnil(co);
      else M._lua_settop(co, base + 1);
      if (ok) writeLuaValue(co, out, { scriptResp: run.resp });
      else this.#writeError(run);
    } else {
      const msg = toText(co, -1) ?? "execution failure";
      out.error(`ERR Error running script ${run.name}, ${msg.slice(0, 100)}`);
      M._lua_resetthread(co);
    }
  }

  /** The error object at the top of the coroutine's stack → the caller's error reply. */
  #writeError(run: Run): void {
    const co = this.co;
    const out = run.ctx.reply;
    if (M._lua_type(co, -1) !== T.TABLE) {
      out.error(`ERR Error running script ${run.name}, ${(toText(co, -1) ?? "").slice(0, 100)}`);
      pop(co);
      return;
    }
    const field = (name: string): string | undefined => {
      pushBinary(co, name);
      const t = M._lua_rawget(co, -2);
      const v = t === T.STRING || t === T.NUMBER ? rawText(co) : undefined;
      pop(co);
      return v;
    };
    let msg = field("err") ?? "(null)";
    const source = field("source");
    const line = field("line");
    if (line && line !== "0" && source) msg += ` script: ${run.name}, on ${source}:${line}.`;
    pop(co);
    out.error(msg);
  }

  /** Called when a script passes busy-reply-threshold (see busy.ts). */
  enterBusy(run: Run): void {
    enterBusy(this, run);
  }

  /** SCRIPT KILL / FUNCTION KILL: replies for `ctx`. */
  kill(ctx: Ctx, isEval: boolean): void {
    killScript(this, ctx, isEval);
  }
}

function rawText(L: number): string {
  const b = M._lua_isinteger(L, -1) ? undefined : toText(L, -1);
  return b ?? String(M._lua_tointegerx(L, -1, 0));
}

function pushArray(L: number, items: Uint8Array[]): void {
  M._lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushBytes(L, items[i]);
    M._lua_rawseti(L, -2, BigInt(i + 1));
  }
}

/** A `#!lua …` first line is not Lua: blank it, keeping line numbers. */
function stripShebang(body: Uint8Array): Uint8Array {
  if (body[0] !== 35 || body[1] !== 33) return body;
  const nl = body.indexOf(10);
  return nl < 0 ? new Uint8Array(0) : body.subarray(nl);
}

export { binary, setFunction };
