// RFC 6455 framing for the server side of /ws: the handshake key, unmasked server frames, and an
// incremental reader of (masked) client frames that reassembles fragmented messages and rejects
// protocol violations with the close code to send.

import { createHash } from "node:crypto";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

const enc = new TextEncoder();
let scratch = new Uint8Array(64 * 1024);

/** Frames of small messages are cut from shared slabs: one small ArrayBuffer each costs more. */
const SLAB = 256 * 1024;
let slab = new Uint8Array(SLAB);
let slabUsed = 0;

function frameBuffer(n: number): Uint8Array {
  if (n > 4096) return new Uint8Array(n);
  if (slabUsed + n > SLAB) {
    slab = new Uint8Array(SLAB);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
}

/** A text frame for a string, encoded straight into the frame (one copy). */
export function textFrame(text: string): Uint8Array {
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  // ASCII (the usual JSON) is copied char by char; anything else goes through the encoder.
  let n = text.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      break;
    }
    scratch[i] = c;
  }
  if (!ascii) n = enc.encodeInto(text, scratch).written;
  return wsFrame(OP.text, scratch.subarray(0, n));
}

/** A server→client frame (servers do not mask). */
export function wsFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const f = frameBuffer(head + n);
  f[0] = 0x80 | opcode;
  if (n < 126) f[1] = n;
  else if (n < 65536) {
    f[1] = 126;
    f[2] = n >>> 8;
    f[3] = n & 255;
  } else {
    f[1] = 127;
    new DataView(f.buffer, f.byteOffset).setBigUint64(2, BigInt(n));
  }
  f.set(payload, head);
  return f;
}

export class WsError extends Error {
  constructor(readonly code: number, reason: string) {
    super(reason);
  }
}

/** Incremental parser of client frames: complete messages out, fragments reassembled. */
export class FrameReader {
  #buf = new Uint8Array(4096);
  #len = 0;
  #frag: Uint8Array[] = [];
  #fragLen = 0;
  #fragOp = -1;
  constructor(readonly maxMessage: number) {}

  /** Appends bytes; returns the complete messages (throws WsError on a protocol violation). */
  push(chunk: Uint8Array): { op: number; data: Uint8Array }[] {
    if (this.#len + chunk.length > this.#buf.length) {
      let size = this.#buf.length * 2;
      while (size < this.#len + chunk.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
    const out: { op: number; data: Uint8Array }[] = [];
    let pos = 0;
    for (;;) {
      const f = this.#frame(pos);
      if (f === undefined) break;
      pos = f.end;
      if (f.op >= 8) out.push({ op: f.op, data: f.data });
      else if (f.op === OP.cont) {
        if (this.#fragOp < 0) throw new WsError(1002, "continuation without a start");
        this.#addFragment(f.data);
        if (f.fin) out.push(this.#takeMessage());
      } else {
        if (this.#fragOp >= 0) throw new WsError(1002, "new message inside a fragmented one");
        if (f.fin) out.push({ op: f.op, data: f.data });
        else {
          this.#fragOp = f.op;
          this.#addFragment(f.data);
        }
      }
    }
    this.#buf.copyWithin(0, pos, this.#len);
    this.#len -= pos;
    if (this.#buf.length > 1 << 20 && this.#len < 4096) this.#buf = this.#buf.slice(0, 4096);
    return out;
  }

  #addFragment(d: Uint8Array): void {
    this.#fragLen += d.length;
    if (this.#fragLen > this.maxMessage) throw new WsError(1009, "message too big");
    this.#frag.push(d);
  }

  #takeMessage(): { op: number; data: Uint8Array } {
    const data = new Uint8Array(this.#fragLen);
    let o = 0;
    for (const p of this.#frag) {
      data.set(p, o);
      o += p.length;
    }
    const op = this.#fragOp;
    this.#frag = [];
    this.#fragLen = 0;
    this.#fragOp = -1;
    return { op, data };
  }

  #frame(pos: number): { fin: boolean; op: number; data: Uint8Array; end: number } | undefined {
    const b = this.#buf;
    const avail = this.#len - pos;
    if (avail < 2) return undefined;
    const fin = (b[pos] & 0x80) !== 0;
    const op = b[pos] & 0x0f;
    if (b[pos] & 0x70) throw new WsError(1002, "reserved bits set");
    if (op > 2 && op < 8 || op > 10) throw new WsError(1002, "unknown opcode");
    if (!(b[pos + 1] & 0x80)) throw new WsError(1002, "client frames must be masked");
    let n = b[pos + 1] & 0x7f;
    let head = 2;
    if (n === 126) {
      if (avail < 4) return undefined;
      n = (b[pos + 2] << 8) | b[pos + 3];
      head = 4;
    } else if (n === 127) {
      if (avail < 10) return undefined;
      const big = new DataView(b.buffer, b.byteOffset + pos + 2, 8).getBigUint64(0);
      if (big > BigInt(this.maxMessage)) throw new WsError(1009, "message too big");
      n = Number(big);
      head = 10;
    }
    if (op >= 8 && (!fin || n > 125)) throw new WsError(1002, "bad control frame");
    if (op < 8 && n + this.#fragLen > this.maxMessage) throw new WsError(1009, "message too big");
    if (avail < head + 4 + n) return undefined;
    const mask = b.subarray(pos + head, pos + head + 4);
    const data = b.slice(pos + head + 4, pos + head + 4 + n);
    for (let i = 0; i < n; i++) data[i] ^= mask[i & 3];
    return { fin, op, data, end: pos + head + 4 + n };
  }
}
