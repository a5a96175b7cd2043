// Replies → one growing byte buffer per connection, flushed once per batch of parsed commands.
// RESP3 types degrade to their RESP2 forms exactly as Redis's addReply* functions do.

import type { RespValue } from "./decoder.ts";
import { formatDouble } from "../util/numbers.ts";
import { scratchSlab } from "../util/slab.ts";

const CRLF = [13, 10];
const enc = new TextEncoder();
const OK = enc.encode("+OK\r\n");
const NIL2 = enc.encode("$-1\r\n");
const NIL_ARRAY2 = enc.encode("*-1\r\n");
const NIL3 = enc.encode("_\r\n");
const EMPTY_ARRAY = enc.encode("*0\r\n");
const QUEUED = enc.encode("+QUEUED\r\n");

/** Counts error replies by their first word, for INFO errorstats. */
export type ErrorSink = (code: string) => void;

export class ReplyWriter {
  buf = new Uint8Array(16 * 1024);
  len = 0;
  proto: 2 | 3 = 2;
  /** Number of error replies written so far (the dispatcher compares before/after a call). */
  errors = 0;
  /** When false, replies are dropped (CLIENT REPLY OFF/SKIP). */
  enabled = true;
  onError: ErrorSink | undefined;

  #ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /**
   * Takes the pending bytes and resets the buffer. Small replies are copied out (the buffer is
   * reused); past 64 KB the buffer itself is handed over and a fresh small one started, so a big
   * reply is never copied a second time and a grown buffer does not stay allocated.
   */
  take(): Uint8Array {
    const len = this.len;
    this.len = 0;
    if (len < 64 * 1024) {
      const out = scratchSlab.copy(this.buf.subarray(0, len));
      if (this.buf.length > 1024 * 1024) this.buf = new Uint8Array(16 * 1024);
      return out;
    }
    const out = this.buf.subarray(0, len);
    this.buf = new Uint8Array(16 * 1024);
    return out;
  }

  raw(b: Uint8Array): void {
    if (!this.enabled) return;
    this.#ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  #ascii(s: string): void {
    const n = s.length;
    this.#ensure(n);
    const buf = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) buf[o++] = s.charCodeAt(i);
    this.len = o;
  }

  /** Writes a type byte, a decimal number and CRLF without building a string. */
  #header(type: number, n: number): void {
    this.#ensure(24);
    const buf = this.buf;
    let o = this.len;
    buf[o++] = type;
    if (n < 0) {
      buf[o++] = 45;
      n = -n;
    }
    if (n < 10) buf[o++] = 48 + n;
    else if (n < 100 && (n | 0) === n) {
      buf[o++] = 48 + ((n / 10) | 0);
      buf[o++] = 48 + (n % 10);
    } else if (Number.isSafeInteger(n)) {
      let digits = 0;
      for (let t = n; t > 0; t = Math.floor(t / 10)) digits++;
      let p = o + digits;
      o = p;
      while (n > 0) {
        buf[--p] = 48 + (n % 10);
        n = Math.floor(n / 10);
      }
    } else {
      this.len = o;
      this.#ascii(String(n));
      o = this.len;
    }
    buf[o++] = 13;
    buf[o++] = 10;
    this.len = o;
  }

  ok(): void {
    if (this.enabled) this.raw(OK);
  }

  queued(): void {
    if (this.enabled) this.raw(QUEUED);
  }

  /** A status reply: `+text`. Text must not contain CR or LF. */
  simple(s: string): void {
    if (!this.enabled) return;
    this.#ensure(s.length + 3);
    this.buf[this.len++] = 43;
    this.#ascii(s);
    this.buf.set(CRLF, this.len);
    this.len += 2;
  }

  /** An error reply; `msg` starts with its code (`ERR …`, `WRONGTYPE …`). Newlines become spaces. */
  error(msg: string): void {
    this.errors++;
    this.onError?.(msg.slice(0, msg.indexOf(" ") >>> 0));
    if (!this.enabled) return;
    const clean = msg.replace(/[\r\n]/g, " ");
    // Messages quote client bytes as latin1 binary strings (one char per byte); send them back
    // as those bytes, like Redis. Only text with wider chars is UTF-8.
    const bytes = /[\u0100-\uffff]/.test(clean) ? enc.encode(clean) : latin1Bytes(clean);
    this.#ensure(bytes.length + 3);
    this.buf[this.len++] = 45;
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  int(n: number | bigint): void {
    if (!this.enabled) return;
    if (typeof n === "bigint") {
      this.#ensure(1);
      this.buf[this.len++] = 58;
      this.#ascii(n.toString());
      this.buf.set(CRLF, this.len);
      this.len += 2;
    } else this.#header(58, n);
  }

  bulk(b: Uint8Array): void {
    if (!this.enabled) return;
    const n = b.length;
    this.#header(36, n);
    this.#ensure(n + 2);
    const buf = this.buf;
    let o = this.len;
    // A loop beats the set() call for the short values most replies carry.
    if (n <= 16) { for (let i = 0; i < n; i++) buf[o++] = b[i]; }
    else {
      buf.set(b, o);
      o += n;
    }
    buf[o++] = 13;
    buf[o++] = 10;
    this.len = o;
  }

  /** A bulk string from a JS string (UTF-8 encoded). */
  bulkStr(s: string): void {
    if (this.enabled) this.bulk(enc.encode(s));
  }

  /** A bulk string from a latin1 "binary string" (one char per byte, as keys are stored). */
  bulkBinary(s: string): void {
    if (!this.enabled) return;
    this.#header(36, s.length);
    this.#ascii(s);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** Null bulk: `$-1` in RESP2, `_` in RESP3. */
  nil(): void {
    if (this.enabled) this.raw(this.proto === 3 ? NIL3 : NIL2);
  }

  /** Null array: `*-1` in RESP2, `_` in RESP3. */
  nilArray(): void {
    if (this.enabled) this.raw(this.proto === 3 ? NIL3 : NIL_ARRAY2);
  }

  emptyArray(): void {
    if (this.enabled) this.raw(EMPTY_ARRAY);
  }

  array(n: number): void {
    if (this.enabled) this.#header(42, n);
  }

  /** A map of n pairs: `%n` in RESP3, an array of 2n in RESP2. */
  map(n: number): void {
    if (this.enabled) this.#header(this.proto === 3 ? 37 : 42, this.proto === 3 ? n : n * 2);
  }

  set(n: number): void {
    if (this.enabled) this.#header(this.proto === 3 ? 126 : 42, n);
  }

  push(n: number): void {
    if (this.enabled) this.#header(this.proto === 3 ? 62 : 42, n);
  }

  /** A double: `,d` in RESP3, a bulk string in RESP2, formatted as Redis 7.0 (%.17g). */
  double(d: number): void {
    if (!this.enabled) return;
    const s = formatDouble(d);
    if (this.proto === 3) {
      this.#ensure(1);
      this.buf[this.len++] = 44;
      this.#ascii(s);
      this.buf.set(CRLF, this.len);
      this.len += 2;
    } else this.bulkBinary(s);
  }

  bool(b: boolean): void {
    if (!this.enabled) return;
    if (this.proto === 3) this.simpleRaw(b ? "#t" : "#f");
    else this.#header(58, b ? 1 : 0);
  }

  /** Verbatim string (`=len\r\ntxt:…`) in RESP3, a bulk string in RESP2. */
  verbatim(s: string, format = "txt"): void {
    if (!this.enabled) return;
    const b = enc.encode(s);
    if (this.proto === 3) {
      this.#header(61, b.length + 4);
      this.#ascii(format + ":");
      this.#ensure(b.length + 2);
      this.buf.set(b, this.len);
      this.len += b.length;
      this.buf[this.len++] = 13;
      this.buf[this.len++] = 10;
    } else this.bulk(b);
  }

  /** Writes `line\r\n` verbatim (type byte included by the caller). */
  simpleRaw(line: string): void {
    this.#ascii(line);
    this.buf.set(CRLF, this.len);
    this.len += 2;
  }

  /** Writes a decoded/tagged value (command metadata) in this connection's protocol. */
  value(v: RespValue): void {
    if (!this.enabled) return;
    if (v === null) return this.nil();
    if (typeof v === "string") return this.bulkStr(v);
    if (typeof v === "number") return this.int(v);
    if (Array.isArray(v)) {
      this.array(v.length);
      for (const x of v) this.value(x);
      return;
    }
    if ("+" in v) return this.simple(v["+"]);
    if ("-" in v) return this.error(v["-"]);
    if ("%" in v) {
      this.map(v["%"].length / 2);
      for (const x of v["%"]) this.value(x);
      return;
    }
    if ("~" in v) {
      this.set(v["~"].length);
      for (const x of v["~"]) this.value(x);
      return;
    }
    if (">" in v) {
      this.push(v[">"].length);
      for (const x of v[">"]) this.value(x);
      return;
    }
    if ("," in v) return this.double(Number(v[","]));
    if ("#" in v) return this.bool(v["#"]);
    if ("=" in v) return this.verbatim(v["="].slice(4), v["="].slice(0, 3));
    if ("(" in v) return this.proto === 3 ? this.simpleRaw("(" + v["("]) : this.bulkStr(v["("]);
  }
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
