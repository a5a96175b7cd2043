// Formatting helpers: replies rendered like redis-cli, binary values, sizes, TTLs, glob matching.

import type { Json } from "./conn.ts";

/** True for the {base64} shape the server uses for binary strings. */
export function isBinary(v: Json): v is { base64: string } {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    typeof v.base64 === "string";
}

/** Raw bytes of a reply string (UTF-8 text or {base64}). */
export function bytesOf(v: Json): Uint8Array {
  if (isBinary(v)) {
    const s = atob(v.base64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  return new TextEncoder().encode(v === null ? "" : String(v));
}

/** A reply string as display text; binary becomes redis-cli style escapes. */
export function text(v: Json): string {
  if (v === null) return "";
  if (isBinary(v)) return escapeBytes(bytesOf(v));
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** redis-cli's quoting of bytes: printable ASCII as is, \n \r \t \a \b, others as \xNN. */
export function escapeBytes(b: Uint8Array): string {
  let s = "";
  for (const c of b) {
    if (c === 0x5c) s += "\\\\";
    else if (c === 0x22) s += '\\"';
    else if (c === 0x0a) s += "\\n";
    else if (c === 0x0d) s += "\\r";
    else if (c === 0x09) s += "\\t";
    else if (c === 0x07) s += "\\a";
    else if (c === 0x08) s += "\\b";
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += "\\x" + c.toString(16).padStart(2, "0");
  }
  return s;
}

function quote(v: Json): string {
  return '"' + escapeBytes(bytesOf(v)) + '"';
}

/** Status replies a JSON reply cannot tell from bulk strings: rendered unquoted like redis-cli. */
const STATUS_WORDS = new Set(["OK", "PONG", "QUEUED"]);
/** Commands whose top-level string is data (a bulk string), never a status. */
const BULK_COMMANDS = new Set([
  "get",
  "getdel",
  "getex",
  "getset",
  "getrange",
  "hget",
  "lindex",
  "lpop",
  "rpop",
  "lmove",
  "rpoplpush",
  "spop",
  "srandmember",
  "hrandfield",
  "echo",
  "dump",
]);

/** Renders a reply the way redis-cli does (`(integer) 1`, `1) "a"`, `(nil)`, `(error) …`). */
export function renderReply(v: Json, command = "", indent = 0): string {
  if (v === null) return "(nil)";
  if (typeof v === "number") {
    return Number.isInteger(v) ? `(integer) ${v}` : `(double) ${v}`;
  }
  if (typeof v === "boolean") return v ? "(true)" : "(false)";
  if (typeof v === "string") {
    if (indent === 0 && !BULK_COMMANDS.has(command)) {
      if (STATUS_WORDS.has(v) || command === "type") return v;
    }
    return quote(v);
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return "(empty array)";
    const width = String(v.length).length;
    return v.map((item, i) => {
      const label = `${String(i + 1).padStart(width)}) `;
      const body = renderReply(item, command, indent + label.length);
      return (i === 0 ? "" : " ".repeat(indent)) + label + body;
    }).join("\n");
  }
  if (typeof v.error === "string") return `(error) ${v.error}`;
  if (isBinary(v)) return quote(v);
  const entries = Object.entries(v);
  if (entries.length === 0) return "(empty hash)";
  const width = String(entries.length).length;
  return entries.map(([k, val], i) => {
    const label = `${String(i + 1).padStart(width)}# `;
    const body = `${quote(k)} => ${renderReply(val, command, indent + label.length + 4)}`;
    return (i === 0 ? "" : " ".repeat(indent)) + label + body;
  }).join("\n");
}

/** Commands whose text replies redis-cli prints raw rather than quoted (as its cliSendCommand). */
export function rawOutput(args: string[]): boolean {
  const c = args[0]?.toLowerCase();
  const sub = args[1]?.toLowerCase();
  return c === "info" || c === "lolwut" ||
    (c === "debug" && (sub === "htstats" || sub === "htstats-key")) ||
    (c === "memory" && (sub === "malloc-stats" || sub === "doctor")) ||
    (c === "cluster" && (sub === "nodes" || sub === "info")) ||
    (c === "client" && (sub === "list" || sub === "info")) ||
    (c === "latency" && (sub === "graph" || sub === "doctor"));
}

/** 1536 → "1.5 KB". */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** A PTTL in ms as "no limit" / "12s" / "3m 20s" / "2h 5m" / "4d 1h". */
export function fmtTtl(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return "∞";
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor(s / 60) % 60}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor(s / 3600) % 24}h`;
}

/** 1234567 → "1,234,567". */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Redis glob (`*`, `?`, `[a-z]`, `[^a]`, `\x`) compiled to a RegExp, for filtering live events. */
export function globToRegExp(glob: string): RegExp {
  let re = "^";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "\\" && i + 1 < glob.length) re += escapeRe(glob[++i]);
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, end);
      const neg = body.startsWith("^");
      if (neg) body = body.slice(1);
      re += "[" + (neg ? "^" : "") + body.replace(/[\]\\]/g, "\\$&") + "]";
      i = end;
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(re + "$");
  } catch {
    return /^$/;
  }
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Hex dump lines: offset, 16 bytes in hex, ASCII column. */
export function hexDump(b: Uint8Array, max = 4096): string {
  const lines: string[] = [];
  for (let off = 0; off < Math.min(b.length, max); off += 16) {
    const row = b.subarray(off, off + 16);
    const hex = Array.from(row, (x) => x.toString(16).padStart(2, "0")).join(
      " ",
    );
    const ascii = Array.from(
      row,
      (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : "."),
    )
      .join("");
    lines.push(
      `${off.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`,
    );
  }
  if (b.length > max) lines.push(`… ${b.length - max} more bytes`);
  return lines.join("\n");
}

/** Parses INFO text into sections of field → value. */
export function parseInfo(s: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur = new Map<string, string>();
  for (const line of s.split(/\r?\n/)) {
    if (line.startsWith("# ")) {
      cur = new Map();
      out.set(line.slice(2).trim(), cur);
    } else if (line.includes(":")) {
      const i = line.indexOf(":");
      cur.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  return out;
}
