// cjson.encode / cjson.decode for scripts, as Redis's lua-cjson: arrays are tables whose keys are
// 1..n (sparse ones refused past a ratio), empty tables encode as {}, numbers use %.14g, '/' is
// escaped, cjson.null is the NULL light userdata. Implemented in JS over the Lua C API.

import { cstr, M, pop, pushBytes, pushText, raiseText, T, viewBytes } from "./lua.ts";

const MAX_DEPTH = 1000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A growable byte buffer. */
export class ByteSink {
  buf = new Uint8Array(256);
  len = 0;
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }
  get view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** C's printf("%.<p>g"). */
export function formatG(d: number, p = 14): string {
  if (Number.isNaN(d)) return d < 0 ? "-nan" : "nan";
  if (!Number.isFinite(d)) return d < 0 ? "-inf" : "inf";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const [m, e] = d.toExponential(p - 1).split("e");
  const x = Number(e);
  const strip = (s: string) => s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  if (x < -4 || x >= p) {
    const ax = Math.abs(x);
    return `${strip(m)}e${x < 0 ? "-" : "+"}${ax < 10 ? "0" + ax : ax}`;
  }
  return strip(d.toFixed(Math.max(0, p - 1 - x)));
}

const ESC: (string | undefined)[] = [];
for (let i = 0; i < 32; i++) ESC[i] = "\\u" + i.toString(16).padStart(4, "0");
ESC[8] = "\\b";
ESC[9] = "\\t";
ESC[10] = "\\n";
ESC[12] = "\\f";
ESC[13] = "\\r";
ESC[34] = '\\"';
ESC[47] = "\\/";
ESC[92] = "\\\\";

function encodeString(out: ByteSink, s: Uint8Array): void {
  out.byte(34);
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const e = c < 93 ? ESC[c] : undefined;
    if (e === undefined) out.byte(c);
    else out.ascii(e);
  }
  out.byte(34);
}

function encodeNumber(L: number, out: ByteSink, idx: number): void {
  if (M._lua_isinteger(L, idx)) {
    out.ascii(String(M._lua_tointegerx(L, idx, 0)));
    return;
  }
  const d = M._lua_tonumberx(L, idx, 0);
  if (!Number.isFinite(d)) raiseText(L, "Cannot serialise number: must not be NaN or Inf");
  out.ascii(formatG(d));
}

const TYPE_NAMES = [
  "nil",
  "boolean",
  "userdata",
  "number",
  "string",
  "table",
  "function",
  "userdata",
  "thread",
];

/** Encodes the value at the top of the stack (left in place). */
function encodeValue(L: number, out: ByteSink, depth: number): void {
  const t = M._lua_type(L, -1);
  switch (t) {
    case T.NIL:
      out.ascii("null");
      return;
    case T.BOOLEAN:
      out.ascii(M._lua_toboolean(L, -1) ? "true" : "false");
      return;
    case T.NUMBER:
      encodeNumber(L, out, -1);
      return;
    case T.STRING:
      encodeString(out, viewBytes(L, -1)!);
      return;
    case T.LIGHTUSERDATA:
      if (M._lua_touserdata(L, -1) === 0) {
        out.ascii("null");
        return;
      }
      break;
    case T.TABLE:
      encodeTable(L, out, depth + 1);
      return;
  }
  raiseText(L, `Cannot serialise ${TYPE_NAMES[t] ?? "value"}: type not supported`);
}

function encodeTable(L: number, out: ByteSink, depth: number): void {
  if (depth > MAX_DEPTH) raiseText(L, `Cannot serialise, excessive nesting (${depth})`);
  M._lua_checkstack(L, 6);
  // Array detection as lua_array_length: all keys positive integers, not too sparse.
  let max = 0;
  let items = 0;
  let isArray = true;
  M._lua_pushnil(L);
  while (M._lua_next(L, -2)) {
    items++;
    pop(L);
    if (isArray) {
      let k = -1;
      if (M._lua_type(L, -1) === T.NUMBER) {
        const d = M._lua_tonumberx(L, -1, 0);
        if (Number.isInteger(d) && d >= 1) k = d;
      }
      if (k < 1) isArray = false;
      else if (k > max) max = k;
    }
  }
  if (items === 0) isArray = false;
  if (isArray && max > items * 2 && max > 10) {
    raiseText(L, "Cannot serialise table: excessively sparse array");
  }
  if (isArray) {
    out.byte(91);
    for (let i = 1; i <= max; i++) {
      if (i > 1) out.byte(44);
      M._lua_rawgeti(L, -1, BigInt(i));
      encodeValue(L, out, depth);
      pop(L);
    }
    out.byte(93);
    return;
  }
  out.byte(123);
  let first = true;
  M._lua_pushnil(L);
  while (M._lua_next(L, -2)) {
    if (!first) out.byte(44);
    first = false;
    const kt = M._lua_type(L, -2);
    if (kt === T.STRING) encodeString(out, viewBytes(L, -2)!);
    else if (kt === T.NUMBER) {
      out.byte(34);
      encodeNumber(L, out, -2);
      out.byte(34);
    } else raiseText(L, "Cannot serialise table: table key must be a number or string");
    out.byte(58);
    encodeValue(L, out, depth);
    pop(L);
  }
  out.byte(125);
}

/** cjson.encode(value) */
export function cjsonEncode(L: number): number {
  if (M._lua_gettop(L) !== 1) raiseText(L, "bad argument #1 to 'encode' (expected 1 argument)");
  const out = new ByteSink();
  encodeValue(L, out, 0);
  pushBytes(L, out.view);
  return 1;
}

/** Pushes a decoded JSON value. */
function pushJson(L: number, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) raiseText(L, `Found too many nested data structures (${depth})`);
  M._lua_checkstack(L, 4);
  if (v === null) M._lua_pushlightuserdata(L, 0);
  else if (typeof v === "string") pushText(L, v);
  else if (typeof v === "number") {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) M._lua_pushinteger(L, BigInt(v));
    else M._lua_pushnumber(L, v);
  } else if (typeof v === "boolean") M._lua_pushboolean(L, v ? 1 : 0);
  else if (Array.isArray(v)) {
    M._lua_createtable(L, v.length, 0);
    for (let i = 0; i < v.length; i++) {
      pushJson(L, v[i], depth + 1);
      M._lua_rawseti(L, -2, BigInt(i + 1));
    }
  } else {
    const entries = Object.entries(v as Record<string, unknown>);
    M._lua_createtable(L, 0, entries.length);
    for (const [k, x] of entries) {
      pushText(L, k);
      pushJson(L, x, depth + 1);
      M._lua_rawset(L, -3);
    }
  }
}

/** cjson.decode(text) */
export function cjsonDecode(L: number): number {
  if (M._lua_gettop(L) !== 1) raiseText(L, "bad argument #1 to 'decode' (expected 1 argument)");
  const b = viewBytes(L, 1);
  if (b === undefined) raiseText(L, "bad argument #1 to 'decode' (string expected)");
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(b));
  } catch (e) {
    const m = /position (\d+)/.exec(String(e));
    const at = m ? Number(m[1]) + 1 : 1;
    raiseText(L, `Expected value but found invalid token at character ${at}`);
  }
  pushJson(L, v, 0);
  return 1;
}

/** cjson.null: the NULL light userdata (decode gives it for JSON null). */
export function pushCjsonNull(L: number): void {
  M._lua_pushlightuserdata(L, 0);
}

export { cstr, enc };
