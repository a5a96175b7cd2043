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
  _lua_close(L: number): void;
  _lua_newthread(L: number): number;
  _lua_resetthread(L: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_pushvalue(L: number, idx: number): void;
  _lua_rotate(L: number, idx: number, n: number): void;
  _lua_checkstack(L: number, n: number): number;
  _lua_xmove(from: number, to: number, n: number): void;
  _lua_type(L: number, idx: number): number;
  _lua_isinteger(L: number, idx: number): number;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
  _lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  _lua_toboolean(L: number, idx: number): number;
  _lua_tolstring(L: number, idx: number, len: number): number;
  _lua_touserdata(L: number, idx: number): number;
  _lua_rawlen(L: number, idx: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushlstring(L: number, s: number, len: number): number;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushlightuserdata(L: number, p: number): void;
  _lua_getglobal(L: number, name: number): number;
  _lua_setglobal(L: number, name: number): void;
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

const wasm = await LuaWasm.initialize();
/** The one wasm module instance; every Lua state (one per server) lives in its memory. */
export const M = wasm.module as unknown as LuaModule;

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
