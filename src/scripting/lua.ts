// The Lua VM: Lua 5.4 compiled to WebAssembly (npm:wasmoon), driven through its raw C API so
// strings cross as bytes (binary-safe, no UTF-8 round trips) and JS functions are plain
// lua_CFunctions. wasmoon's higher-level engine is not used: its per-call proxies cost more than
// the work of a typical redis.call. See docs/performance.md for why this VM and not fengari.

import { LuaWasm } from "wasmoon";

/** The C API functions we call (wasm exports: pointers and ints are numbers, lua_Integer is bigint). */
interface LuaModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(n: number): number;
  _free(p: number): void;
  addFunction(fn: (...a: number[]) => number | void, sig: string): number;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _luaL_loadbufferx(L: number, buf: number, len: number, name: number, mode: number): number;
  _luaL_ref(L: number, t: number): number;
  _luaL_unref(L: number, t: number, ref: number): void;
  _lua_newthread(L: number): number;
  _lua_resetthread(L: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_pushvalue(L: number, idx: number): void;
  _lua_rotate(L: number, idx: number, n: number): void;
  _lua_checkstack(L: number, n: number): number;
  _lua_type(L: number, idx: number): number;
  _lua_isinteger(L: number, idx: number): number;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
  _lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  _lua_toboolean(L: number, idx: number): number;
  _lua_tolstring(L: number, idx: number, len: number): number;
  _lua_touserdata(L: number, idx: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushlstring(L: number, s: number, len: number): number;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushlightuserdata(L: number, p: number): void;
  _lua_getfield(L: number, idx: number, k: number): number;
  _lua_setfield(L: number, idx: number, k: number): void;
  _lua_rawget(L: number, idx: number): number;
  _lua_rawgeti(L: number, idx: number, n: bigint): number;
  _lua_rawset(L: number, idx: number): void;
  _lua_rawseti(L: number, idx: number, n: bigint): void;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_next(L: number, idx: number): number;
  _lua_pcallk(L: number, nargs: number, nres: number, msgh: number, ctx: number, k: number): number;
  _lua_resume(L: number, from: number, nargs: number, nres: number): number;
  _lua_yieldk(L: number, nres: number, ctx: number, k: number): number;
  _lua_isyieldable(L: number): number;
  _lua_error(L: number): number;
  _lua_sethook(L: number, fn: number, mask: number, count: number): void;
  _lua_setupvalue(L: number, fn: number, n: number): number;
}

export const T = {
  NIL: 0,
  BOOLEAN: 1,
  LIGHTUSERDATA: 2,
  NUMBER: 3,
  STRING: 4,
  TABLE: 5,
  FUNCTION: 6,
  USERDATA: 7,
  THREAD: 8,
} as const;

export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const REGISTRY = -1001000;
export const MASK_COUNT = 8;

// wasmoon's emscripten build wraps every export in an assertion shim (a keyed lookup, a template
// string and an apply per call: more than the call itself). The raw exports are captured while
// the module instantiates and called directly.
let rawExports: WebAssembly.Exports | undefined;
const instantiate = WebAssembly.instantiate;
const instantiateStreaming = WebAssembly.instantiateStreaming;
const capture = <T>(r: T): T => {
  const inst = (r as { instance?: WebAssembly.Instance }).instance ?? r;
  if (inst instanceof WebAssembly.Instance) rawExports = inst.exports;
  return r;
};
// deno-lint-ignore no-explicit-any
(WebAssembly as any).instantiate = (...a: unknown[]) =>
  // deno-lint-ignore no-explicit-any
  (instantiate as any).apply(WebAssembly, a).then(capture);
// deno-lint-ignore no-explicit-any
(WebAssembly as any).instantiateStreaming = (...a: unknown[]) =>
  // deno-lint-ignore no-explicit-any
  (instantiateStreaming as any).apply(WebAssembly, a).then(capture);
let wasm: LuaWasm;
try {
  wasm = await LuaWasm.initialize();
} finally {
  WebAssembly.instantiate = instantiate;
  WebAssembly.instantiateStreaming = instantiateStreaming;
}
const module = wasm.module as unknown as LuaModule;
// deno-lint-ignore no-explicit-any
const raw = (rawExports ?? {}) as Record<string, any>;
if (typeof raw.lua_settop !== "function") throw new Error("wasmoon: raw wasm exports not found");
const memory = raw.memory as WebAssembly.Memory;
let heap8 = new Uint8Array(memory.buffer);
let heap32 = new Uint32Array(memory.buffer);

/** The C API over the raw exports, in one object literal (fast properties, monomorphic calls). */
export const M: LuaModule = {
  get HEAPU8(): Uint8Array {
    if (heap8.length === 0) heap8 = new Uint8Array(memory.buffer); // grown: old view detached
    return heap8;
  },
  get HEAPU32(): Uint32Array {
    if (heap32.length === 0) heap32 = new Uint32Array(memory.buffer);
    return heap32;
  },
  addFunction: (fn, sig) => module.addFunction(fn, sig),
  _free: raw.free as LuaModule["_free"],
  _luaL_loadbufferx: raw.luaL_loadbufferx as LuaModule["_luaL_loadbufferx"],
  _luaL_newstate: raw.luaL_newstate as LuaModule["_luaL_newstate"],
  _luaL_openlibs: raw.luaL_openlibs as LuaModule["_luaL_openlibs"],
  _luaL_ref: raw.luaL_ref as LuaModule["_luaL_ref"],
  _luaL_unref: raw.luaL_unref as LuaModule["_luaL_unref"],
  _lua_checkstack: raw.lua_checkstack as LuaModule["_lua_checkstack"],
  _lua_createtable: raw.lua_createtable as LuaModule["_lua_createtable"],
  _lua_error: raw.lua_error as LuaModule["_lua_error"],
  _lua_getfield: raw.lua_getfield as LuaModule["_lua_getfield"],
  _lua_gettop: raw.lua_gettop as LuaModule["_lua_gettop"],
  _lua_isinteger: raw.lua_isinteger as LuaModule["_lua_isinteger"],
  _lua_isyieldable: raw.lua_isyieldable as LuaModule["_lua_isyieldable"],
  _lua_newthread: raw.lua_newthread as LuaModule["_lua_newthread"],
  _lua_next: raw.lua_next as LuaModule["_lua_next"],
  _lua_pcallk: raw.lua_pcallk as LuaModule["_lua_pcallk"],
  _lua_pushboolean: raw.lua_pushboolean as LuaModule["_lua_pushboolean"],
  _lua_pushcclosure: raw.lua_pushcclosure as LuaModule["_lua_pushcclosure"],
  _lua_pushinteger: raw.lua_pushinteger as LuaModule["_lua_pushinteger"],
  _lua_pushlightuserdata: raw.lua_pushlightuserdata as LuaModule["_lua_pushlightuserdata"],
  _lua_pushlstring: raw.lua_pushlstring as LuaModule["_lua_pushlstring"],
  _lua_pushnil: raw.lua_pushnil as LuaModule["_lua_pushnil"],
  _lua_pushnumber: raw.lua_pushnumber as LuaModule["_lua_pushnumber"],
  _lua_pushvalue: raw.lua_pushvalue as LuaModule["_lua_pushvalue"],
  _lua_rawget: raw.lua_rawget as LuaModule["_lua_rawget"],
  _lua_rawgeti: raw.lua_rawgeti as LuaModule["_lua_rawgeti"],
  _lua_rawset: raw.lua_rawset as LuaModule["_lua_rawset"],
  _lua_rawseti: raw.lua_rawseti as LuaModule["_lua_rawseti"],
  _lua_resetthread: raw.lua_resetthread as LuaModule["_lua_resetthread"],
  _lua_resume: raw.lua_resume as LuaModule["_lua_resume"],
  _lua_rotate: raw.lua_rotate as LuaModule["_lua_rotate"],
  _lua_setfield: raw.lua_setfield as LuaModule["_lua_setfield"],
  _lua_sethook: raw.lua_sethook as LuaModule["_lua_sethook"],
  _lua_settop: raw.lua_settop as LuaModule["_lua_settop"],
  _lua_setupvalue: raw.lua_setupvalue as LuaModule["_lua_setupvalue"],
  _lua_toboolean: raw.lua_toboolean as LuaModule["_lua_toboolean"],
  _lua_tointegerx: raw.lua_tointegerx as LuaModule["_lua_tointegerx"],
  _lua_tolstring: raw.lua_tolstring as LuaModule["_lua_tolstring"],
  _lua_tonumberx: raw.lua_tonumberx as LuaModule["_lua_tonumberx"],
  _lua_touserdata: raw.lua_touserdata as LuaModule["_lua_touserdata"],
  _lua_type: raw.lua_type as LuaModule["_lua_type"],
  _lua_yieldk: raw.lua_yieldk as LuaModule["_lua_yieldk"],
  _malloc: raw.malloc as LuaModule["_malloc"],
};

const enc = new TextEncoder();
const utf8Dec = new TextDecoder();
const names = new Map<string, number>();
const lenPtr = M._malloc(8);
let scratch = M._malloc(4096);
let scratchSize = 4096;

/** A NUL-terminated C string for a constant name (cached for the process lifetime). */
export function cstr(s: string): number {
  let p = names.get(s);
  if (p === undefined) {
    const b = enc.encode(s + "\0");
    p = M._malloc(b.length);
    M.HEAPU8.set(b, p);
    names.set(s, p);
  }
  return p;
}

/** Copies bytes into the shared scratch buffer (valid until the next call) and returns it. */
function toScratch(b: Uint8Array): number {
  if (b.length > scratchSize) {
    M._free(scratch);
    scratchSize = Math.max(b.length, scratchSize * 2);
    scratch = M._malloc(scratchSize);
  }
  M.HEAPU8.set(b, scratch);
  return scratch;
}

export function pushBytes(L: number, b: Uint8Array): void {
  M._lua_pushlstring(L, toScratch(b), b.length);
}

/** Pushes JS text as UTF-8 (messages, names). */
export function pushText(L: number, s: string): void {
  pushBytes(L, enc.encode(s));
}

/** Pushes a latin1 binary string (one char per byte, as keys are held) as those bytes. */
export function pushBinary(L: number, s: string): void {
  const n = s.length;
  if (n > scratchSize) toScratch(new Uint8Array(n));
  const heap = M.HEAPU8;
  for (let i = 0; i < n; i++) heap[scratch + i] = s.charCodeAt(i);
  M._lua_pushlstring(L, scratch, n);
}

/** The bytes of the string (or number, converted in place by Lua) at idx, copied out of wasm. */
export function toBytes(L: number, idx: number): Uint8Array | undefined {
  const p = M._lua_tolstring(L, idx, lenPtr);
  if (p === 0) return undefined;
  const len = M.HEAPU32[lenPtr >> 2];
  const out = new Uint8Array(len);
  const heap = M.HEAPU8;
  // A loop beats slice() on the (large) wasm heap for the short strings commands mostly take.
  if (len <= 64) { for (let i = 0; i < len; i++) out[i] = heap[p + i]; }
  else out.set(heap.subarray(p, p + len));
  return out;
}

const ARENA_CHUNK = 64 * 1024;
let arena = new Uint8Array(ARENA_CHUNK);
let arenaPos = 0;

/**
 * The bytes of the string at idx, carved from a shared chunk: one allocation serves many command
 * arguments (a fresh Uint8Array per argument costs more than the copy). Like a connection's read
 * buffer, commands must copy what they keep; the chunk is never written again, so the views stay
 * valid for the propagated record at the end of the script.
 */
export function toArg(L: number, idx: number): Uint8Array | undefined {
  const p = M._lua_tolstring(L, idx, lenPtr);
  if (p === 0) return undefined;
  const len = M.HEAPU32[lenPtr >> 2];
  if (len > 4096) return M.HEAPU8.slice(p, p + len);
  if (arenaPos + len > ARENA_CHUNK) {
    arena = new Uint8Array(ARENA_CHUNK);
    arenaPos = 0;
  }
  const out = arena.subarray(arenaPos, arenaPos + len);
  const heap = M.HEAPU8;
  if (len <= 64) { for (let i = 0; i < len; i++) out[i] = heap[p + i]; }
  else out.set(heap.subarray(p, p + len));
  arenaPos += len;
  return out;
}

/** A view of the string at idx: valid only while the value stays on the stack and nothing allocates. */
export function viewBytes(L: number, idx: number): Uint8Array | undefined {
  const p = M._lua_tolstring(L, idx, lenPtr);
  if (p === 0) return undefined;
  return M.HEAPU8.subarray(p, p + M.HEAPU32[lenPtr >> 2]);
}

export function toText(L: number, idx: number): string | undefined {
  const v = viewBytes(L, idx);
  return v === undefined ? undefined : utf8Dec.decode(v);
}

/** Loads a chunk (text only: bytecode is refused); returns an error message or undefined. */
export function loadChunk(L: number, src: Uint8Array, chunkName: string): string | undefined {
  const p = M._malloc(src.length || 1);
  M.HEAPU8.set(src, p);
  const rc = M._luaL_loadbufferx(L, p, src.length, cstr(chunkName), cstr("t"));
  M._free(p);
  if (rc === LUA_OK) return undefined;
  const msg = toText(L, -1) ?? "unknown error";
  M._lua_settop(L, -2);
  return msg;
}

/**
 * Registers a JS function as a lua_CFunction (the pointer lives as long as the process). A JS
 * exception must never unwind wasm frames (the Lua state would be left inconsistent): it becomes
 * a Lua error. Lua's own errors are longjmps, thrown by emscripten as numbers, and pass through.
 */
export function cfunction(fn: (L: number) => number): number {
  return M.addFunction((L: number) => {
    let msg: string;
    try {
      return fn(L);
    } catch (e) {
      if (typeof e === "number") throw e;
      msg = e instanceof Error ? e.message : String(e);
    }
    return raiseText(L, msg);
  }, "ii");
}

/** Sets t[name] = JS function, for the table at the top of the stack. */
export function setFunction(L: number, name: string, fn: number): void {
  M._lua_pushcclosure(L, fn, 0);
  M._lua_setfield(L, -2, cstr(name));
}

/** Raises the value at the top of the stack as a Lua error (unwinds through the JS caller). */
export function raise(L: number): never {
  M._lua_error(L);
  throw new Error("unreachable: lua_error returned");
}

/** Raises a plain string error. */
export function raiseText(L: number, msg: string): never {
  pushText(L, msg);
  return raise(L);
}

export const pop = (L: number, n = 1): void => M._lua_settop(L, -n - 1);
