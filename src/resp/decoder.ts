// A RESP2/RESP3 reply decoder: bytes in, typed values out. Used where Reredis is a client (tests,
// the command-metadata generator, MIGRATE) and to cut one raw reply out of a stream.

/** A decoded reply, tagged so that RESP3 types survive a round trip through JSON. */
export type RespValue =
  | string // bulk string (decoded as latin1 so every byte survives)
  | number // integer
  | null
  | RespValue[]
  | { "+": string } // simple string
  | { "-": string } // error
  | { ",": string } // double, as Redis printed it
  | { "#": boolean }
  | { "(": string } // big number
  | { "=": string } // verbatim string ("txt:..." form)
  | { "%": RespValue[] } // map as [k, v, k, v, ...]
  | { "~": RespValue[] } // set
  | { ">": RespValue[] } // push
  | { "|": RespValue[]; "of": RespValue }; // attribute followed by the value it annotates

const CR = 13;

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

function lineEnd(buf: Uint8Array, from: number): number {
  for (let i = from; i < buf.length - 1; i++) {
    if (buf[i] === CR && buf[i + 1] === 10) return i;
  }
  return -1;
}

/** Returns the end offset of the complete reply starting at `pos`, or -1 if more bytes are needed. */
export function replyEnd(buf: Uint8Array, pos = 0): number {
  const r = decodeAt(buf, pos);
  return r ? r[1] : -1;
}

/** Decodes one reply at `pos`; returns [value, nextPos] or undefined when incomplete. */
export function decodeAt(buf: Uint8Array, pos: number): [RespValue, number] | undefined {
  if (pos >= buf.length) return undefined;
  const t = String.fromCharCode(buf[pos]);
  const e = lineEnd(buf, pos + 1);
  if (e < 0) return undefined;
  const line = latin1(buf, pos + 1, e);
  let next = e + 2;
  const aggregate = (n: number): [RespValue[], number] | undefined => {
    const out: RespValue[] = [];
    for (let i = 0; i < n; i++) {
      const r = decodeAt(buf, next);
      if (!r) return undefined;
      out.push(r[0]);
      next = r[1];
    }
    return [out, next];
  };
  switch (t) {
    case "+":
      return [{ "+": line }, next];
    case "-":
      return [{ "-": line }, next];
    case ":":
      return [Number(line), next];
    case ",":
      return [{ ",": line }, next];
    case "#":
      return [{ "#": line === "t" }, next];
    case "(":
      return [{ "(": line }, next];
    case "_":
      return [null, next];
    case "$":
    case "=":
    case "!": {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (next + n + 2 > buf.length) return undefined;
      const s = latin1(buf, next, next + n);
      next += n + 2;
      if (t === "=") return [{ "=": s }, next];
      if (t === "!") return [{ "-": s }, next];
      return [s, next];
    }
    case "*":
    case "~":
    case ">": {
      const n = Number(line);
      if (n < 0) return [null, next];
      const r = aggregate(n);
      if (!r) return undefined;
      if (t === "~") return [{ "~": r[0] }, r[1]];
      if (t === ">") return [{ ">": r[0] }, r[1]];
      return r;
    }
    case "%":
    case "|": {
      const r = aggregate(Number(line) * 2);
      if (!r) return undefined;
      if (t === "%") return [{ "%": r[0] }, r[1]];
      const v = decodeAt(buf, r[1]);
      if (!v) return undefined;
      return [{ "|": r[0], of: v[0] }, v[1]];
    }
    default:
      throw new Error(`invalid RESP type byte ${JSON.stringify(t)}`);
  }
}

/** Encodes a command as a RESP array of bulk strings (what clients send). */
export function encodeCommand(args: (string | Uint8Array)[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? enc.encode(a) : a;
    parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
