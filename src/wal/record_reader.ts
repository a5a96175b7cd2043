// A strict reader of AOF records (`*<n>\r\n` then n × `$<len>\r\n<bytes>\r\n`), fed in chunks.
// Stricter than the client protocol parser on purpose: every CRLF is checked, so a damaged byte
// in the middle of a file is reported at its record's offset instead of being misread (the way
// redis-check-aof checks files, while the client parser, like Redis's, skips bulk terminators).

/** A byte sequence that can't be the start of a valid record, at `offset` in the file. */
export class RecordFormatError extends Error {
  constructor(readonly offset: number, readonly reason: string) {
    super(`${reason} at offset ${offset}`);
  }
}

/** Longest array a record may have (Redis allows INT_MAX; files we write never come close). */
const MAX_ARGS = 1 << 30;

export class RecordReader {
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  /** File offset of `#buf[0]`. */
  #base = 0;

  /** Offset just past the last complete record returned. */
  get offset(): number {
    return this.#base + this.#pos;
  }

  /** Bytes after the last complete record (an incomplete record at end of input). */
  get pending(): number {
    return this.#buf.length - this.#pos;
  }

  /** Adds the next bytes of the file; views returned before stay valid (chunks are never reused). */
  feed(chunk: Uint8Array): void {
    const rest = this.#buf.length - this.#pos;
    if (rest === 0) {
      this.#base += this.#buf.length;
      this.#buf = chunk;
    } else {
      const merged = new Uint8Array(rest + chunk.length);
      merged.set(this.#buf.subarray(this.#pos));
      merged.set(chunk, rest);
      this.#base += this.#pos;
      this.#buf = merged;
    }
    this.#pos = 0;
  }

  /** The next complete record as views into the input, or null when more bytes are needed. */
  next(): Uint8Array[] | null {
    const buf = this.#buf;
    let p = this.#pos;
    // Annotations ("#TS:…" lines Redis writes with aof-timestamp-enabled) are skipped, as Redis does.
    while (p < buf.length && buf[p] === 35 /* # */) {
      const nl = buf.indexOf(10, p);
      if (nl < 0) return null;
      this.#pos = p = nl + 1;
    }
    if (p >= buf.length) return null;
    if (buf[p] !== 42 /* * */) this.#fail(p, `Expected '*', got '${charOf(buf[p])}'`);
    const count = this.#number(p + 1);
    if (count === undefined) return null;
    if (count.value < 1 || count.value > MAX_ARGS) this.#fail(p, "Invalid array length");
    p = count.end;
    const argv: Uint8Array[] = new Array(count.value);
    for (let i = 0; i < count.value; i++) {
      if (p >= buf.length) return null;
      if (buf[p] !== 36 /* $ */) this.#fail(p, `Expected '$', got '${charOf(buf[p])}'`);
      const len = this.#number(p + 1);
      if (len === undefined) return null;
      p = len.end;
      const end = p + len.value;
      if (end + 2 > buf.length) return null;
      if (buf[end] !== 13 || buf[end + 1] !== 10) this.#fail(end, "Expected \\r\\n");
      argv[i] = buf.subarray(p, end);
      p = end + 2;
    }
    this.#pos = p;
    return argv;
  }

  /** Parses digits then CRLF from `p`; undefined when the line is not complete yet. */
  #number(p: number): { value: number; end: number } | undefined {
    const buf = this.#buf;
    let v = 0;
    let digits = 0;
    for (;;) {
      if (p + 1 >= buf.length) return undefined;
      const c = buf[p];
      if (c === 13) break;
      if (c < 48 || c > 57 || digits > 15) this.#fail(p, `Invalid length byte '${charOf(c)}'`);
      v = v * 10 + (c - 48);
      digits++;
      p++;
    }
    if (digits === 0 || buf[p + 1] !== 10) this.#fail(p, "Invalid length line");
    return { value: v, end: p + 2 };
  }

  /** `offset` names the start of the damaged record (where --fix truncates), the text the byte. */
  #fail(p: number, reason: string): never {
    throw new RecordFormatError(this.offset, `${reason} (byte ${this.#base + p})`);
  }
}

function charOf(c: number): string {
  return c >= 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
}
