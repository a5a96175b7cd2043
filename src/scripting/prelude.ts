// Lua source run once per VM: Redis's script environment on Lua 5.4. It builds the `redis` table
// around the JS bridge functions, the Lua 5.1 globals Redis scripts rely on (unpack, loadstring,
// table.getn, the `bit` library, `struct` over string.pack), removes what Redis does not expose
// (os, io, require, debug, print…), and protects the globals as Redis 7.0 does: reading an unknown
// global or writing any global is an error. Returns the script environment, the runner that the
// coroutine starts (xpcall with Redis's error handler) and the library-loading environment.

export const PRELUDE = String.raw`
local js = ...
local G = {}
local readonly = setmetatable({}, { __mode = "k" })
local _rawset, _load, _tostring, _type, _error = rawset, load, tostring, type, error
local mtype, floor, fmod, tointeger = math.type, math.floor, math.fmod, math.tointeger
local sfmt = string.format

local function protect(t)
  local p = setmetatable({}, {
    __index = t,
    __newindex = function() _error("Attempt to modify a readonly table", 2) end,
    __len = function() return #t end,
    __pairs = function() return next, t, nil end,
    __metatable = false,
  })
  readonly[p] = true
  return p
end

-- Lua 5.1 printed every number with %.14g: integral floats must not gain a ".0".
local function tostring51(v)
  if mtype(v) == "float" then return sfmt("%.14g", v) end
  return _tostring(v)
end

-- LuaBitOp on 5.4 integers: arguments normalised to 32 bits, results signed 32-bit.
local M32 = 0xffffffff
local function norm(x)
  x = x & M32
  if x >= 0x80000000 then return x - 0x100000000 end
  return x
end
local function tobit(x)
  if mtype(x) ~= "integer" then
    x = tonumber(x)
    if x == nil then _error("bad argument to bit operation (number expected)", 3) end
    if mtype(x) == "float" then
      x = fmod(x, 4294967296.0)
      local r = floor(x + 0.5)
      if r - x == 0.5 and r % 2 ~= 0 then r = r - 1 end
      x = tointeger(r) or 0
    end
  end
  return norm(x)
end
local function fold(op)
  return function(x, ...)
    x = tobit(x)
    for i = 1, select("#", ...) do x = op(x, tobit((select(i, ...)))) end
    return norm(x)
  end
end
local bit = {
  tobit = function(x) return tobit(x) end,
  bnot = function(x) return norm(~tobit(x)) end,
  band = fold(function(a, b) return a & b end),
  bor = fold(function(a, b) return a | b end),
  bxor = fold(function(a, b) return a ~ b end),
  lshift = function(x, n) return norm(tobit(x) << (tobit(n) & 31)) end,
  rshift = function(x, n) return norm((tobit(x) & M32) >> (tobit(n) & 31)) end,
  arshift = function(x, n) return norm(tobit(x) // (1 << (tobit(n) & 31))) end,
  rol = function(x, n)
    x = tobit(x) & M32; n = tobit(n) & 31
    return norm((x << n) | (x >> (32 - n)))
  end,
  ror = function(x, n)
    x = tobit(x) & M32; n = tobit(n) & 31
    return norm((x >> n) | (x << (32 - n)))
  end,
  bswap = function(x)
    x = tobit(x) & M32
    return norm(((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24))
  end,
  tohex = function(x, n)
    n = n == nil and 8 or tobit(n)
    local upper = n < 0
    if upper then n = -n end
    if n > 8 then n = 8 end
    local s = sfmt(upper and "%08X" or "%08x", tobit(x) & M32)
    return s:sub(9 - n)
  end,
}

-- struct (Roberto's library Redis ships) translated to string.pack formats.
local function structFormat(f)
  local out, i, n = {}, 1, #f
  while i <= n do
    local c = f:sub(i, i)
    local num = f:match("^%d+", i + 1)
    local after = i + 1 + (num and #num or 0)
    if c == "l" then out[#out + 1] = "i8"; after = i + 1
    elseif c == "L" or c == "T" then out[#out + 1] = "I8"; after = i + 1
    elseif c == "i" or c == "I" or c == "!" then out[#out + 1] = c .. (num or "")
    elseif c == "c" then
      if num == "0" then _error("struct: 'c0' is not supported", 3) end
      out[#out + 1] = "c" .. (num or "1")
    elseif c == "s" then out[#out + 1] = "z"; after = i + 1
    elseif c:match("[<>=bBhHfdx ]") then out[#out + 1] = c; after = i + 1
    else _error("invalid format option '" .. c .. "'", 3) end
    i = after
  end
  return table.concat(out)
end
local struct = {
  pack = function(f, ...) return string.pack(structFormat(f), ...) end,
  unpack = function(f, s, pos) return string.unpack(structFormat(f), s, pos) end,
  size = function(f) return string.packsize(structFormat(f)) end,
}

local cjson = {
  encode = js.cjson_encode,
  decode = js.cjson_decode,
  null = js.cjson_null,
  encode_keep_buffer = function() end,
  encode_max_depth = function() end,
  decode_max_depth = function() end,
  encode_number_precision = function() end,
  encode_invalid_numbers = function() end,
  decode_invalid_numbers = function() end,
  encode_sparse_array = function() end,
}
local cmsgpack = { pack = js.msgpack_pack, unpack = js.msgpack_unpack }

local function trimcrlf(s) return (s:gsub("^[\r\n]+", ""):gsub("[\r\n]+$", "")) end
local function error_reply(e)
  if _type(e) ~= "string" then _error("wrong number or type of arguments", 2) end
  if e:sub(1, 1) ~= "-" then e = "-" .. e end
  local sp = e:find(" ", 1, true)
  if not sp then return { err = "ERR " .. trimcrlf(e:sub(2)) } end
  return { err = e:sub(2, sp - 1) .. " " .. trimcrlf(e:sub(sp + 1)) }
end
local function status_reply(s)
  if _type(s) ~= "string" then _error("wrong number or type of arguments", 2) end
  return { ok = s }
end

local function redisTable(extra)
  local r = {
    call = js.call, pcall = js.pcall, sha1hex = js.sha1hex, log = js.log,
    setresp = js.setresp, set_repl = js.set_repl, acl_check_cmd = js.acl_check_cmd,
    error_reply = error_reply, status_reply = status_reply,
    replicate_commands = function() return true end,
    breakpoint = function() return false end, debug = function() end,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
    REDIS_VERSION = js.version, REDIS_VERSION_NUM = js.version_num,
  }
  for k, v in pairs(extra or {}) do r[k] = v end
  return protect(r)
end

local keep = {
  "assert", "collectgarbage", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
  "rawequal", "rawget", "rawlen", "select", "setmetatable", "tonumber", "type", "xpcall",
  "_VERSION",
}
local function newEnv(redis)
  local g = {}
  for _, k in ipairs(keep) do g[k] = _G[k] end
  g.tostring = tostring51
  g.rawset = function(t, k, v)
    if readonly[t] then _error("Attempt to modify a readonly table", 0) end
    return _rawset(t, k, v)
  end
  local stringlib = {}
  for k, v in pairs(string) do stringlib[k] = v end
  stringlib.gfind = string.gmatch
  -- 5.1 truncated non-integral numbers for %d/%x/%c…; 5.4 raises. Only calls with such an
  -- argument pay for parsing the format.
  local format = string.format
  local function truncated(f, ...)
    local t, n, i = { ... }, select("#", ...), 0
    for conv in f:gsub("%%%%", ""):gmatch("%%[-+ #0]*%d*%.?%d*(%a)") do
      i = i + 1
      local v = t[i]
      if conv:find("[cdiouxX]") and mtype(v) == "float" and v == v and v - v == 0 then
        t[i] = v >= 0 and floor(v) or -floor(-v)
      end
    end
    return format(f, table.unpack(t, 1, n))
  end
  stringlib.format = function(f, ...)
    for i = 1, select("#", ...) do
      local v = select(i, ...)
      if mtype(v) == "float" and v ~= floor(v) then return truncated(f, ...) end
    end
    return format(f, ...)
  end
  local tablelib = {}
  for k, v in pairs(table) do tablelib[k] = v end
  tablelib.getn = function(t) return #t end
  tablelib.maxn = function(t)
    local m = 0
    for k in pairs(t) do if _type(k) == "number" and k > m then m = k end end
    return m
  end
  tablelib.foreach = function(t, f) for k, v in pairs(t) do local r = f(k, v) if r ~= nil then return r end end end
  tablelib.foreachi = function(t, f) for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end end
  local mathlib = {}
  for k, v in pairs(math) do mathlib[k] = v end
  mathlib.mod = math.fmod
  mathlib.pow = function(x, y) return x ^ y end
  mathlib.log10 = function(x) return math.log(x, 10) end
  mathlib.ldexp = function(m, e) return m * 2.0 ^ e end
  g.string = protect(stringlib)
  g.table = protect(tablelib)
  g.math = protect(mathlib)
  g.coroutine = protect(coroutine)
  g.bit = protect(bit)
  g.struct = protect(struct)
  g.cjson = protect(cjson)
  g.cmsgpack = protect(cmsgpack)
  g.redis = redis
  g.unpack = table.unpack
  g.gcinfo = function() return floor(collectgarbage("count")) end
  -- Redis 7.0's pcall gives the err text of an error table ({err=…} raised by redis.call).
  local _pcall = pcall
  local function errtext(ok, ...)
    if ok then return ok, ... end
    local e = ...
    if _type(e) == "table" then
      local t = rawget(e, "err")
      if _type(t) == "string" then e = t end
    end
    return false, e
  end
  g.pcall = function(...) return errtext(_pcall(...)) end
  local env = protect(g)
  g._G = env
  g.loadstring = function(s, name) return _load(s, name, "t", env) end
  g.load = function(chunk, name, _, e) return _load(chunk, name, "t", e or env) end
  setmetatable(g, { __index = function(_, k)
    _error("Script attempted to access nonexistent global variable '" .. _tostring(k) .. "'", 2)
  end, __metatable = false })
  return env, g
end

-- Redis's __redis__err__handler: {err=…} tables keep their text, anything else becomes
-- "ERR <message>"; source and line name the script frame (not C or this prelude).
local getinfo = debug.getinfo
local function handler(err)
  local level, i = 2, getinfo(2, "Sl")
  while i and (i.what == "C" or i.source == "=redis") and level < 6 do
    level = level + 1
    i = getinfo(level, "Sl")
  end
  if _type(err) ~= "table" then err = { err = "ERR " .. _tostring(err) } end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
local function runner(f, ...) return xpcall(f, handler, ...) end

local function missing(_, k)
  _error("Script attempted to access nonexistent global variable '" .. _tostring(k) .. "'", 2)
end
local scriptEnv, scriptGlobals = newEnv(redisTable())
-- Function libraries see only redis.register_function/log/versions while FUNCTION LOAD runs
-- their top level, and the full globals when their functions run (as Redis 7.0 swaps __index).
local _, functionGlobals = newEnv(redisTable({ register_function = js.register_function }))
local loadApi = setmetatable({
  redis = setmetatable({
    register_function = js.register_function, log = js.log,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REDIS_VERSION = js.version, REDIS_VERSION_NUM = js.version_num,
  }, { __index = missing }),
}, { __index = missing })
local libMeta = { __index = functionGlobals, __metatable = false }
local libEnv = protect(setmetatable({}, libMeta))
local function setLoading(on) libMeta.__index = on and loadApi or functionGlobals end
return scriptEnv, scriptGlobals, runner, libEnv, setLoading
`;
