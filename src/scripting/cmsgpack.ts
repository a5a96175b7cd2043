// cmsgpack.pack / cmsgpack.unpack as Redis's lua_cmsgpack: tables with keys 1..n are arrays,
// other tables maps; integral numbers are integers; floats are float32 when lossless, else float64;
// nesting deeper than 16 packs as nil.

import { ByteSink } from "./cjson.ts";
import { M, pop, pushBytes, raiseText, T, viewBytes } from "./lua.ts";

const MAX_NESTING = 16;
const f32 = new Float32Array(1);
const scratch = new DataView(new ArrayBuffer(8));

function packInt(out: ByteSink, n: bigint): void {
  if (n >= 0n) {
    if (n < 128n) out.byte(Number(n));
    else if (n < 256n) out.bytes(Uint8Array.of(0xcc, Number(n)));
    else if (n < 65536n) out.bytes(Uint8Array.of(0xcd, Number(n >> 8n), Number(n & 255n)));
    else if (n < 4294967296n) {
      scratch.setUint32(0, Number(n));
      out.byte(0xce);
      out.bytes(new Uint8Array(scratch.buffer, 0, 4).slice());
    } else {
      scratch.setBigUint64(0, n);
      out.byte(0xcf);
      out.bytes(new Uint8Array(scratch.buffer, 0, 8).slice());
    }
  } else {
    if (n >= -32n) out.byte(Number(n) & 0xff);
    else if (n >= -128n) out.bytes(Uint8Array.of(0xd0, Number(n) & 0xff));
    else if (n >= -32768n) {
      scratch.setInt16(0, Number(n));
      out.byte(0xd1);
      out.bytes(new Uint8Array(scratch.buffer, 0, 2).slice());
    } else if (n >= -2147483648n) {
      scratch.setInt32(0, Number(n));
      out.byte(0xd2);
      out.bytes(new Uint8Array(scratch.buffer, 0, 4).slice());
    } else {
      scratch.setBigInt64(0, n);
      out.byte(0xd3);
      out.bytes(new Uint8Array(scratch.buffer, 0, 8).slice());
    }
  }
}

function packHeader(out: ByteSink, n: number, fix: number, fixMax: number, c16: number): void {
  if (n < fixMax) out.byte(fix | n);
  else if (n < 65536) out.bytes(Uint8Array.of(c16, n >> 8, n & 255));
  else {
    scratch.setUint32(0, n);
    out.byte(c16 + 1);
    out.bytes(new Uint8Array(scratch.buffer, 0, 4).slice());
  }
}

function packValue(L: number, out: ByteSink, depth: number): void {
  const t = M._lua_type(L, -1);
  if (t === T.BOOLEAN) out.byte(M._lua_toboolean(L, -1) ? 0xc3 : 0xc2);
  else if (t === T.NUMBER) {
    if (M._lua_isinteger(L, -1)) return packInt(out, M._lua_tointegerx(L, -1, 0));
    const d = M._lua_tonumberx(L, -1, 0);
    if (Number.isInteger(d) && Math.abs(d) < 2 ** 63) return packInt(out, BigInt(d));
    f32[0] = d;
    if (f32[0] === d || Number.isNaN(d)) {
      scratch.setFloat32(0, d);
      out.byte(0xca);
      out.bytes(new Uint8Array(scratch.buffer, 0, 4).slice());
    } else {
      scratch.setFloat64(0, d);
      out.byte(0xcb);
      out.bytes(new Uint8Array(scratch.buffer, 0, 8).slice());
    }
  } else if (t === T.STRING) {
    const s = viewBytes(L, -1)!.slice();
    if (s.length < 32) out.byte(0xa0 | s.length);
    else if (s.length < 256) out.bytes(Uint8Array.of(0xd9, s.length));
    else packHeader(out, s.length, 0, 0, 0xda);
    out.bytes(s);
  } else if (t === T.TABLE && depth < MAX_NESTING) packTable(L, out, depth + 1);
  else out.byte(0xc0);
}

function packTable(L: number, out: ByteSink, depth: number): void {
  M._lua_checkstack(L, 4);
  let count = 0;
  let max = 0;
  let isArray = true;
  M._lua_pushnil(L);
  while (M._lua_next(L, -2)) {
    pop(L);
    count++;
    if (isArray) {
      const k = M._lua_type(L, -1) === T.NUMBER ? M._lua_tonumberx(L, -1, 0) : -1;
      if (Number.isInteger(k) && k >= 1) max = Math.max(max, k);
      else isArray = false;
    }
  }
  if (isArray && max === count) {
    packHeader(out, count, 0x90, 16, 0xdc);
    for (let i = 1; i <= count; i++) {
      M._lua_rawgeti(L, -1, BigInt(i));
      packValue(L, out, depth);
      pop(L);
    }
    return;
  }
  packHeader(out, count, 0x80, 16, 0xde);
  M._lua_pushnil(L);
  while (M._lua_next(L, -2)) {
    M._lua_pushvalue(L, -2);
    packValue(L, out, depth);
    pop(L);
    packValue(L, out, depth);
    pop(L);
  }
}

/** cmsgpack.pack(v1, v2, …): the encodings of every argument, concatenated. */
export function msgpackPack(L: number): number {
  const n = M._lua_gettop(L);
  if (n === 0) raiseText(L, "MessagePack pack needs input.");
  const out = new ByteSink();
  for (let i = 1; i <= n; i++) {
    M._lua_pushvalue(L, i);
    packValue(L, out, 0);
    pop(L);
  }
  pushBytes(L, out.view);
  return 1;
}

class Reader {
  pos = 0;
  readonly view: DataView;
  constructor(readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new RangeError("Missing bytes in input.");
  }
}

function unpackValue(L: number, r: Reader): void {
  M._lua_checkstack(L, 4);
  r.need(1);
  const c = r.b[r.pos++];
  const v = r.view;
  const num = (n: number | bigint) =>
    typeof n === "bigint" ? M._lua_pushinteger(L, n) : M._lua_pushinteger(L, BigInt(n));
  const str = (len: number) => {
    r.need(len);
    pushBytes(L, r.b.subarray(r.pos, r.pos + len));
    r.pos += len;
  };
  const arr = (n: number) => {
    M._lua_createtable(L, n, 0);
    for (let i = 1; i <= n; i++) {
      unpackValue(L, r);
      M._lua_rawseti(L, -2, BigInt(i));
    }
  };
  const map = (n: number) => {
    M._lua_createtable(L, 0, n);
    for (let i = 0; i < n; i++) {
      unpackValue(L, r);
      unpackValue(L, r);
      M._lua_rawset(L, -3);
    }
  };
  const read = (n: number, f: (o: number) => number | bigint) => {
    r.need(n);
    const x = f(r.pos);
    r.pos += n;
    return x;
  };
  if (c < 0x80) return num(c);
  if (c >= 0xe0) return num(c - 256);
  if ((c & 0xe0) === 0xa0) return str(c & 0x1f);
  if ((c & 0xf0) === 0x90) return arr(c & 0x0f);
  if ((c & 0xf0) === 0x80) return map(c & 0x0f);
  switch (c) {
    case 0xc0:
      return M._lua_pushnil(L);
    case 0xc2:
    case 0xc3:
      return M._lua_pushboolean(L, c & 1);
    case 0xca:
      return M._lua_pushnumber(L, Number(read(4, (o) => v.getFloat32(o))));
    case 0xcb:
      return M._lua_pushnumber(L, Number(read(8, (o) => v.getFloat64(o))));
    case 0xcc:
      return num(read(1, (o) => v.getUint8(o)));
    case 0xcd:
      return num(read(2, (o) => v.getUint16(o)));
    case 0xce:
      return num(read(4, (o) => v.getUint32(o)));
    case 0xcf:
      return num(read(8, (o) => v.getBigUint64(o)));
    case 0xd0:
      return num(read(1, (o) => v.getInt8(o)));
    case 0xd1:
      return num(read(2, (o) => v.getInt16(o)));
    case 0xd2:
      return num(read(4, (o) => v.getInt32(o)));
    case 0xd3:
      return num(read(8, (o) => v.getBigInt64(o)));
    case 0xd9:
    case 0xc4:
      return str(Number(read(1, (o) => v.getUint8(o))));
    case 0xda:
    case 0xc5:
      return str(Number(read(2, (o) => v.getUint16(o))));
    case 0xdb:
    case 0xc6:
      return str(Number(read(4, (o) => v.getUint32(o))));
    case 0xdc:
      return arr(Number(read(2, (o) => v.getUint16(o))));
    case 0xdd:
      return arr(Number(read(4, (o) => v.getUint32(o))));
    case 0xde:
      return map(Number(read(2, (o) => v.getUint16(o))));
    case 0xdf:
      return map(Number(read(4, (o) => v.getUint32(o))));
  }
  throw new RangeError("Bad data format in input.");
}

/** cmsgpack.unpack(s): every value encoded in s, as multiple results. */
export function msgpackUnpack(L: number): number {
  if (M._lua_type(L, 1) !== T.STRING) raiseText(L, "MessagePack unpack needs a string.");
  const r = new Reader(viewBytes(L, 1)!.slice());
  let n = 0;
  let err: string | undefined;
  try {
    while (r.pos < r.b.length) {
      unpackValue(L, r);
      n++;
    }
  } catch (e) {
    if (typeof e === "number") throw e;
    err = e instanceof Error ? e.message : String(e);
  }
  if (err !== undefined) raiseText(L, err);
  return n;
}
