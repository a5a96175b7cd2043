// Conversions between RESP replies and Lua values, as Redis 7.0's redisProtocolToLuaType (a
// command's reply → the value redis.call returns) and luaReplyToRedisReply (the script's return
// value → the caller's reply). Replies are read as the bytes a command wrote, exactly as Redis
// parses its script client's reply buffer.

import type { ReplyWriter } from "../resp/writer.ts";
import { M, pop, pushBinary, pushBytes, T, toBytes, viewBytes } from "./lua.ts";
import { cstr } from "./lua.ts";

const CR = 13;

/** Pushes the reply starting at `pos` in `buf` onto L's stack; returns the offset after it. */
export function pushReply(L: number, buf: Uint8Array, pos: number): number {
  M._lua_checkstack(L, 4);
  const type = buf[pos];
  let eol = pos + 1;
  while (buf[eol] !== CR) eol++;
  const next = eol + 2;
  switch (type) {
    case 43: // + status → {ok = "..."}
      M._lua_createtable(L, 0, 1);
      pushBytes(L, buf.subarray(pos + 1, eol));
      M._lua_setfield(L, -2, cstr("ok"));
      return next;
    case 45: // - error → {err = "..."}
      M._lua_createtable(L, 0, 1);
      pushBytes(L, buf.subarray(pos + 1, eol));
      M._lua_setfield(L, -2, cstr("err"));
      return next;
    case 58: // : integer
      M._lua_pushinteger(L, parseIntAt(buf, pos + 1, eol));
      return next;
    case 36: { // $ bulk
      if (buf[pos + 1] === 45) {
        M._lua_pushboolean(L, 0);
        return next;
      }
      const len = Number(parseIntAt(buf, pos + 1, eol));
      pushBytes(L, buf.subarray(next, next + len));
      return next + len + 2;
    }
    case 42: { // * array
      if (buf[pos + 1] === 45) {
        M._lua_pushboolean(L, 0);
        return next;
      }
      const n = Number(parseIntAt(buf, pos + 1, eol));
      M._lua_createtable(L, n, 0);
      let p = next;
      for (let i = 1; i <= n; i++) {
        p = pushReply(L, buf, p);
        M._lua_rawseti(L, -2, BigInt(i));
      }
      return p;
    }
    case 37: // % map → {map = {k = v}}
    case 126: { // ~ set → {set = {member = true}}
      const n = Number(parseIntAt(buf, pos + 1, eol));
      M._lua_createtable(L, 0, 1);
      M._lua_createtable(L, 0, n);
      let p = next;
      for (let i = 0; i < n; i++) {
        p = pushReply(L, buf, p);
        if (type === 37) p = pushReply(L, buf, p);
        else M._lua_pushboolean(L, 1);
        M._lua_rawset(L, -3);
      }
      M._lua_setfield(L, -2, cstr(type === 37 ? "map" : "set"));
      return p;
    }
    case 95: // _ null
      M._lua_pushnil(L);
      return next;
    case 35: // # boolean
      M._lua_pushboolean(L, buf[pos + 1] === 116 ? 1 : 0);
      return next;
    case 44: // , double → {double = n}
      M._lua_createtable(L, 0, 1);
      M._lua_pushnumber(L, parseDoubleText(latin1(buf, pos + 1, eol)));
      M._lua_setfield(L, -2, cstr("double"));
      return next;
    case 40: // ( big number → {big_number = "..."}
      M._lua_createtable(L, 0, 1);
      pushBytes(L, buf.subarray(pos + 1, eol));
      M._lua_setfield(L, -2, cstr("big_number"));
      return next;
    case 61: { // = verbatim → {verbatim_string = {format = "txt", string = "..."}}
      const len = Number(parseIntAt(buf, pos + 1, eol));
      M._lua_createtable(L, 0, 1);
      M._lua_createtable(L, 0, 2);
      pushBytes(L, buf.subarray(next, next + 3));
      M._lua_setfield(L, -2, cstr("format"));
      pushBytes(L, buf.subarray(next + 4, next + len));
      M._lua_setfield(L, -2, cstr("string"));
      M._lua_setfield(L, -2, cstr("verbatim_string"));
      return next + len + 2;
    }
    case 62: // > push: not a command reply; skip it and give nil
    case 124: { // | attribute: skipped, the value follows
      const n = Number(parseIntAt(buf, pos + 1, eol)) * (type === 124 ? 2 : 1);
      let p = next;
      for (let i = 0; i < n; i++) {
        p = pushReply(L, buf, p);
        pop(L);
      }
      if (type === 124) return pushReply(L, buf, p);
      M._lua_pushnil(L);
      return p;
    }
    default:
      M._lua_pushnil(L);
      return next;
  }
}

function parseIntAt(buf: Uint8Array, from: number, to: number): bigint {
  if (to - from < 16) {
    let neg = false;
    let i = from;
    if (buf[i] === 45) {
      neg = true;
      i++;
    }
    let n = 0;
    for (; i < to; i++) n = n * 10 + buf[i] - 48;
    return BigInt(neg ? -n : n);
  }
  return BigInt(latin1(buf, from, to));
}

function latin1(buf: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(buf[i]);
  return s;
}

function parseDoubleText(s: string): number {
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  if (s === "nan") return NaN;
  return Number(s);
}

const MAX_REPLY_DEPTH = 1000;

/** Which protocol the script asked redis.call replies in, and so how booleans convert back. */
export interface ReplyContext {
  /** The script's RESP version (redis.setresp), 2 or 3. */
  scriptResp: 2 | 3;
}

/** Reads t[field] (raw) onto the stack and returns its type; the caller pops it. */
function rawField(L: number, idx: number, field: string): number {
  pushBinary(L, field);
  return M._lua_rawget(L, idx < 0 ? idx - 1 : idx);
}

/** Writes the Lua value at the top of the stack as a reply, and pops it (luaReplyToRedisReply). */
export function writeLuaValue(L: number, out: ReplyWriter, rc: ReplyContext, depth = 0): void {
  M._lua_checkstack(L, 4);
  const t = M._lua_type(L, -1);
  switch (t) {
    case T.STRING:
      out.bulk(viewBytes(L, -1)!);
      break;
    case T.BOOLEAN:
      if (rc.scriptResp === 2) {
        if (M._lua_toboolean(L, -1)) out.int(1);
        else out.nil();
      } else out.bool(M._lua_toboolean(L, -1) !== 0);
      break;
    case T.NUMBER:
      if (M._lua_isinteger(L, -1)) out.int(M._lua_tointegerx(L, -1, 0));
      else out.int(truncateDouble(M._lua_tonumberx(L, -1, 0)));
      break;
    case T.TABLE:
      // Redis stops where Lua 5.1's stack runs out (7995 levels); JS recursion allows less.
      if (depth >= MAX_REPLY_DEPTH) out.error("ERR reached lua stack limit");
      else writeTable(L, out, rc, depth);
      break;
    default:
      out.nil();
  }
  pop(L);
}

/** (long long)d as C does on x86-64: out-of-range and NaN give INT64_MIN. */
function truncateDouble(d: number): number | bigint {
  const x = Math.trunc(d);
  if (Number.isSafeInteger(x)) return x;
  if (!Number.isFinite(x) || x >= 9223372036854775808 || x < -9223372036854775808) {
    return -9223372036854775808n;
  }
  return BigInt(x);
}

function writeTable(L: number, out: ReplyWriter, rc: ReplyContext, depth: number): void {
  let ft = rawField(L, -1, "err");
  if (ft === T.STRING) {
    const msg = toBytes(L, -1)!;
    pop(L);
    out.error(binary(msg));
    return;
  }
  pop(L);
  ft = rawField(L, -1, "ok");
  if (ft === T.STRING) {
    out.simple(binary(toBytes(L, -1)!).replace(/[\r\n]/g, " "));
    pop(L);
    return;
  }
  pop(L);
  ft = rawField(L, -1, "double");
  if (ft === T.NUMBER) {
    out.double(M._lua_tonumberx(L, -1, 0));
    pop(L);
    return;
  }
  pop(L);
  ft = rawField(L, -1, "big_number");
  if (ft === T.STRING) {
    const s = binary(toBytes(L, -1)!).replace(/[\r\n]/g, " ");
    pop(L);
    if (out.proto === 3) out.simpleRaw("(" + s);
    else out.bulkBinary(s);
    return;
  }
  pop(L);
  ft = rawField(L, -1, "verbatim_string");
  if (ft === T.TABLE) {
    const f = rawField(L, -1, "format");
    const format = f === T.STRING ? binary(toBytes(L, -1)!) : undefined;
    pop(L);
    const s = rawField(L, -1, "string");
    const str = s === T.STRING ? toBytes(L, -1)! : undefined;
    pop(L, 2);
    if (format !== undefined && str !== undefined && format.length === 3) {
      out.verbatim(new TextDecoder().decode(str), format);
      return;
    }
    // Malformed: Redis falls through to the array form of the outer table.
  } else pop(L);
  ft = rawField(L, -1, "map");
  if (ft === T.TABLE) {
    writeMapOrSet(L, out, rc, depth, true);
    pop(L);
    return;
  }
  pop(L);
  ft = rawField(L, -1, "set");
  if (ft === T.TABLE) {
    writeMapOrSet(L, out, rc, depth, false);
    pop(L);
    return;
  }
  pop(L);
  // An array: elements 1..n up to the first nil.
  let n = 0;
  while (M._lua_rawgeti(L, -1, BigInt(n + 1)) !== T.NIL) {
    pop(L);
    n++;
  }
  pop(L);
  out.array(n);
  for (let i = 1; i <= n; i++) {
    M._lua_rawgeti(L, -1, BigInt(i));
    writeLuaValue(L, out, rc, depth + 1);
  }
}

/** The table at the top is {map=…} or {set=…}'s inner table. */
function writeMapOrSet(
  L: number,
  out: ReplyWriter,
  rc: ReplyContext,
  depth: number,
  isMap: boolean,
): void {
  let n = 0;
  M._lua_pushnil(L);
  while (M._lua_next(L, -2)) {
    pop(L);
    n++;
  }
  if (isMap) out.map(n);
  else out.set(n);
  M._lua_pushnil(L);
  while (M._lua_next(L, -2)) {
    // stack: … inner key value
    if (isMap) {
      M._lua_pushvalue(L, -2);
      writeLuaValue(L, out, rc, depth + 1); // the key (copy)
      writeLuaValue(L, out, rc, depth + 1); // the value
    } else {
      pop(L);
      M._lua_pushvalue(L, -1);
      writeLuaValue(L, out, rc, depth + 1);
    }
  }
}

/** Bytes → latin1 binary string (error and status texts are written back as the same bytes). */
export function binary(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}
