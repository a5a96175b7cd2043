// Why wasmoon: the two Lua VMs on npm, driven the way src/scripting drives one (raw C API, JS
// functions as C functions, strings as bytes), on the work Redis scripts do.
//   deno run -A scripts/bench_lua_vms.ts
// 1. A BullMQ-like script: 10 redis.call into a JS stub (strings in, integers/bulk out), KEYS and
//    ARGV tables set per run, a table returned and read back. 2. Pure Lua: 3M loop iterations
//    and 20k string.format. 3. Compiling a 26 KB script (BullMQ's scripts are 5-30 KB).

import fengari from "fengari";
import { cfunction, cstr, loadChunk, M, pushBytes } from "../src/scripting/lua.ts";

const enc = new TextEncoder();
const RUNS = 20_000;
const SCRIPT = `
local id = redis.call("INCR", KEYS[1])
local jobKey = KEYS[2] .. id
redis.call("HMSET", jobKey, "name", ARGV[1], "data", ARGV[2], "opts", ARGV[3], "timestamp", ARGV[4])
redis.call("XADD", KEYS[3], "*", "event", "added", "jobId", id)
local prio = tonumber(ARGV[5])
if prio == 0 then redis.call("LPUSH", KEYS[4], id) else redis.call("ZADD", KEYS[5], prio, id) end
local a = redis.call("HGET", jobKey, "name")
local b = redis.call("EXISTS", jobKey)
local c = redis.call("LLEN", KEYS[4])
local d = redis.call("GET", KEYS[1])
local e = redis.call("PUBLISH", "ch", id)
local r = {}
for i = 1, 5 do r[i] = tostring(i) .. a end
return {id, a, b, c, d, r}
`;
const COMPUTE = `local s = 0 for i = 1, 3000000 do s = s + (i % 7) end
local t = {} for i = 1, 20000 do t[#t + 1] = string.format("%d:%s", i, "x") end return s`;
const BIG = `do ${SCRIPT} end\n`.repeat(40);
const KEYS = ["id", "job:", "events", "wait", "prio"].map((s) => enc.encode(s));
const ARGV = ["myjob", '{"a":1,"b":[1,2,3]}', '{"attempts":3}', "1700000000000", "0"]
  .map((s) => enc.encode(s));
const BULK = enc.encode("myjob");
let calls = 0;
/** The same stub dispatcher for both VMs: integer replies, bulk for HGET/GET/XADD. */
function dispatch(name: string): number | Uint8Array {
  calls++;
  return name === "HGET" || name === "GET" || name === "XADD" ? BULK : calls;
}
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

interface Result {
  vm: string;
  scriptsPerSec: number;
  computeMs: number;
  compile26kbMs: number;
}

function wasmoon(): Result {
  const L = M._luaL_newstate();
  M._luaL_openlibs(L);
  const lenPtr = M._malloc(4);
  const call = cfunction((Lx) => {
    const n = M._lua_gettop(Lx);
    const args: Uint8Array[] = [];
    for (let i = 1; i <= n; i++) {
      const p = M._lua_tolstring(Lx, i, lenPtr);
      args.push(M.HEAPU8.slice(p, p + M.HEAPU32[lenPtr >> 2]));
    }
    const r = dispatch(latin1(args[0]));
    if (typeof r === "number") M._lua_pushinteger(Lx, BigInt(r));
    else pushBytes(Lx, r);
    return 1;
  });
  M._lua_createtable(L, 0, 1);
  M._lua_pushcclosure(L, call, 0);
  M._lua_setfield(L, -2, cstr("call"));
  M._lua_rawgeti(L, -1001000, 2n); // globals
  M._lua_rotate(L, -2, 1);
  M._lua_setfield(L, -2, cstr("redis"));
  const setArray = (name: string, items: Uint8Array[]) => {
    M._lua_createtable(L, items.length, 0);
    items.forEach((b, i) => {
      pushBytes(L, b);
      M._lua_rawseti(L, -2, BigInt(i + 1));
    });
    M._lua_setfield(L, -2, cstr(name));
  };
  if (loadChunk(L, enc.encode(SCRIPT), "@user_script")) throw new Error("compile");
  const fn = M._luaL_ref(L, -1001000);
  let t = performance.now();
  for (let i = 0; i < RUNS; i++) {
    setArray("KEYS", KEYS);
    setArray("ARGV", ARGV);
    M._lua_rawgeti(L, -1001000, BigInt(fn));
    if (M._lua_pcallk(L, 0, 1, 0, 0, 0) !== 0) throw new Error("run");
    for (let j = 1; j <= 6; j++) {
      M._lua_rawgeti(L, -1, BigInt(j));
      M._lua_type(L, -1);
      M._lua_settop(L, -2);
    }
    M._lua_settop(L, -2);
  }
  const scripts = RUNS / ((performance.now() - t) / 1000);
  t = performance.now();
  loadChunk(L, enc.encode(COMPUTE), "@c");
  M._lua_pcallk(L, 0, 1, 0, 0, 0);
  const compute = performance.now() - t;
  M._lua_settop(L, -2);
  t = performance.now();
  for (let i = 0; i < 50; i++) {
    loadChunk(L, enc.encode(BIG), "@big");
    M._lua_settop(L, -2);
  }
  const compile = (performance.now() - t) / 50;
  return {
    vm: "wasmoon 1.16 (Lua 5.4, wasm)",
    scriptsPerSec: scripts,
    computeMs: compute,
    compile26kbMs: compile,
  };
}

function fengariVm(): Result {
  // deno-lint-ignore no-explicit-any
  const { lua, lauxlib, lualib, to_luastring } = fengari as any;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushjsfunction(L, (Lx: unknown) => {
    const n = lua.lua_gettop(Lx);
    const args: Uint8Array[] = [];
    for (let i = 1; i <= n; i++) args.push(lua.lua_tolstring(Lx, i));
    const r = dispatch(latin1(args[0]));
    if (typeof r === "number") lua.lua_pushinteger(Lx, r);
    else lua.lua_pushstring(Lx, r);
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("call"));
  lua.lua_setglobal(L, to_luastring("redis"));
  const load = (src: string) => {
    const rc = lauxlib.luaL_loadbufferx(L, enc.encode(src), null, to_luastring("@s"), null);
    if (rc) throw new Error("compile " + lua.lua_tojsstring(L, -1));
  };
  const setArray = (name: string, items: Uint8Array[]) => {
    lua.lua_createtable(L, items.length, 0);
    items.forEach((b, i) => {
      lua.lua_pushstring(L, b);
      lua.lua_rawseti(L, -2, i + 1);
    });
    lua.lua_setglobal(L, to_luastring(name));
  };
  load(SCRIPT);
  const fn = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  let t = performance.now();
  for (let i = 0; i < RUNS; i++) {
    setArray("KEYS", KEYS);
    setArray("ARGV", ARGV);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, fn);
    if (lua.lua_pcall(L, 0, 1, 0)) throw new Error("run " + lua.lua_tojsstring(L, -1));
    for (let j = 1; j <= 6; j++) {
      lua.lua_rawgeti(L, -1, j);
      lua.lua_type(L, -1);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
  }
  const scripts = RUNS / ((performance.now() - t) / 1000);
  t = performance.now();
  load(COMPUTE);
  lua.lua_pcall(L, 0, 1, 0);
  const compute = performance.now() - t;
  lua.lua_pop(L, 1);
  t = performance.now();
  for (let i = 0; i < 50; i++) {
    load(BIG);
    lua.lua_pop(L, 1);
  }
  const compile = (performance.now() - t) / 50;
  return {
    vm: "fengari 0.1.5 (Lua 5.3, JS)",
    scriptsPerSec: scripts,
    computeMs: compute,
    compile26kbMs: compile,
  };
}

const best = new Map<string, Result>();
for (let round = 0; round < 3; round++) {
  for (const r of [wasmoon(), fengariVm()]) {
    const b = best.get(r.vm);
    best.set(r.vm, {
      vm: r.vm,
      scriptsPerSec: Math.max(r.scriptsPerSec, b?.scriptsPerSec ?? 0),
      computeMs: Math.min(r.computeMs, b?.computeMs ?? Infinity),
      compile26kbMs: Math.min(r.compile26kbMs, b?.compile26kbMs ?? Infinity),
    });
  }
}
console.log(
  "| VM | BullMQ-like script runs/s (10 calls each) | pure Lua (ms) | compile 26 KB (ms) |",
);
console.log("| --- | ---: | ---: | ---: |");
for (const r of best.values()) {
  console.log(
    `| ${r.vm} | ${Math.round(r.scriptsPerSec)} | ${r.computeMs.toFixed(0)} | ${
      r.compile26kbMs.toFixed(2)
    } |`,
  );
}
