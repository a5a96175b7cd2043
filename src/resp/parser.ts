// Incremental RESP request parser: bytes in, commands (arrays of byte views) out.
// Mirrors Redis's processMultibulkBuffer/processInlineBuffer, including their error texts.

import { splitArgs } from "./split_args.ts";

/** Longest line (inline command or length header) accepted without a newline, as Redis. */
const INLINE_MAX = 64 * 1024;
/** Longest multibulk count accepted (see docs/compatibility.md: Redis 7.0 allows up to INT_MAX). */
export const MULTIBULK_MAX = 1024 * 1024;

export class ProtocolError extends Error {}

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
  /** Unauthenticated clients get tighter limits (Redis: 10 args, 16 KB bulks). */
  authRequired: boolean;
}

/**
 * Holds unparsed bytes across reads. `next()` returns one complete command as views into the
 * buffered bytes (valid until the next `feed`), null when more bytes are needed, or throws
 * ProtocolError. Large bulks are not allocated up front: chunks are kept and joined only once
 * all the announced bytes have arrived.
 */
export class RequestParser {
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #chunks: Uint8Array[] = [];
  #pending = 0;
  /** Bytes needed (counted from #pos) before parsing can make progress. */
  #need = 0;

  constructor(readonly limits: ParserLimits) {}

  /** Bytes received but not yet consumed. */
  get buffered(): number {
    return this.#buf.length - this.#pos + this.#pending;
  }

  feed(chunk: Uint8Array): void {
    if (this.#pos >= this.#buf.length && this.#chunks.length === 0) {
      this.#buf = chunk;
      this.#pos = 0;
      return;
    }
    this.#chunks.push(chunk);
    this.#pending += chunk.length;
  }

  #join(): boolean {
    if (this.#chunks.length === 0) return false;
    const rest = this.#buf.length - this.#pos;
    if (rest + this.#pending < this.#need) return false;
    const merged = new Uint8Array(rest + this.#pending);
    merged.set(this.#buf.subarray(this.#pos));
    let o = rest;
    for (const c of this.#chunks) {
      merged.set(c, o);
      o += c.length;
    }
    this.#buf = merged;
    this.#pos = 0;
    this.#chunks = [];
    this.#pending = 0;
    return true;
  }

  next(): Uint8Array[] | null {
    for (;;) {
      const buf = this.#buf;
      if (this.#pos >= buf.length) {
        if (!this.#join()) return null;
        continue;
      }
      const r = buf[this.#pos] === 42 ? this.#multibulk() : this.#inline();
      if (r === undefined) {
        if (!this.#join()) return null;
        continue;
      }
      if (r === null) continue; // empty command: skipped, as Redis
      this.#need = 0;
      return r;
    }
  }

  #findLine(from: number, tooBig: string): number {
    const buf = this.#buf;
    const i = buf.indexOf(13, from);
    if (i < 0 || i + 1 >= buf.length) {
      // Judge the length only on joined bytes: unjoined chunks may hold the line's end.
      if (this.#chunks.length === 0 && buf.length - from > INLINE_MAX) {
        throw new ProtocolError(`Protocol error: too big ${tooBig}`);
      }
      this.#need = buf.length - this.#pos + 1;
      return -1;
    }
    return i;
  }

  /** undefined: incomplete; null: empty command consumed. */
  #multibulk(): Uint8Array[] | null | undefined {
    const buf = this.#buf;
    const start = this.#pos;
    const nl = this.#findLine(start + 1, "mbulk count string");
    if (nl < 0) return undefined;
    const count = parseLen(buf, start + 1, nl);
    if (count === undefined || count > MULTIBULK_MAX) {
      throw new ProtocolError("Protocol error: invalid multibulk length");
    }
    if (count > 10 && this.limits.authRequired) {
      throw new ProtocolError("Protocol error: unauthenticated multibulk length");
    }
    let p = nl + 2;
    if (count <= 0) {
      this.#pos = p;
      return null;
    }
    const args: Uint8Array[] = new Array(count);
    const end = buf.length;
    for (let i = 0; i < count; i++) {
      if (p >= end) return this.#wait(p);
      if (buf[p] !== 36) {
        throw new ProtocolError(
          `Protocol error: expected '$', got '${String.fromCharCode(buf[p])}'`,
        );
      }
      // Fast path: `$<digits>\r\n` read in one pass (no leading zero, at most 15 digits). Anything
      // else takes the general path below, which owns every error and wait decision.
      let e = p + 1;
      let len = 0;
      let c = e < end ? buf[e] : 0;
      if (c >= 49 && c <= 57) {
        do {
          len = len * 10 + c - 48;
          c = ++e < end ? buf[e] : 0;
        } while (c >= 48 && c <= 57 && e - p <= 15);
      }
      if (c !== 13 || e + 1 >= end || e === p + 1) {
        e = this.#findLine(p + 1, "bulk count string");
        if (e < 0) return undefined;
        const parsed = parseLen(buf, p + 1, e);
        if (parsed === undefined || parsed < 0) {
          throw new ProtocolError("Protocol error: invalid bulk length");
        }
        len = parsed;
      }
      if (len > this.limits.maxBulkLen) {
        throw new ProtocolError("Protocol error: invalid bulk length");
      }
      if (len > 16384 && this.limits.authRequired) {
        throw new ProtocolError("Protocol error: unauthenticated bulk length");
      }
      const dataStart = e + 2;
      if (dataStart + len + 2 > buf.length) return this.#wait(dataStart + len + 2);
      args[i] = buf.subarray(dataStart, dataStart + len);
      p = dataStart + len + 2; // Redis skips the two bytes after the data without checking them
    }
    this.#pos = p;
    return args;
  }

  #wait(end: number): undefined {
    this.#need = end - this.#pos;
    return undefined;
  }

  #inline(): Uint8Array[] | null | undefined {
    const buf = this.#buf;
    const start = this.#pos;
    const nl = buf.indexOf(10, start);
    if (nl < 0) {
      if (this.#chunks.length === 0 && buf.length - start > INLINE_MAX) {
        throw new ProtocolError("Protocol error: too big inline request");
      }
      this.#need = buf.length - start + 1;
      return undefined;
    }
    const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
    this.#pos = nl + 1;
    const args = splitArgs(buf.subarray(start, end));
    if (args === undefined) throw new ProtocolError("Protocol error: unbalanced quotes in request");
    if (args.length === 0) return null;
    if (args.length > MULTIBULK_MAX) {
      throw new ProtocolError("Protocol error: invalid multibulk length");
    }
    return args;
  }
}

/** Parses a length header (like string2ll); undefined when not a valid integer. */
function parseLen(buf: Uint8Array, from: number, to: number): number | undefined {
  if (from >= to || to - from > 19) return undefined;
  let i = from;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === to) return undefined;
  }
  if (buf[i] === 48 && to - i > 1) return undefined;
  let v = 0;
  for (; i < to; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}
