// Export and import of keys: JSON (types, values, TTLs; binary as {base64}) or RESP commands
// (the redis-cli --pipe format). Both walk the keys a batch at a time and report progress.

import { type Arg, dbCmd, dbCmdRaw, isError, type Json } from "../lib/conn.ts";
import { bytesOf, isBinary, text } from "../lib/format.ts";

export interface ExportedKey {
  key: Json;
  type: string;
  /** Remaining TTL in ms at export time; null for none. */
  ttlMs: number | null;
  /** string: the value; list/set: elements; hash: [field, value] pairs; zset: [member, score]
   * pairs; stream: [id, [field, value, …]] entries. */
  value: Json;
}

export interface ExportFile {
  format: "reredis-export";
  version: 1;
  db: number;
  exportedAt: string;
  keys: ExportedKey[];
}

export type Progress = (done: number, total: number) => void;

/** Keys matching `pattern` in `db`, collected by SCAN. */
export async function scanKeys(db: number, pattern: string, progress: Progress): Promise<Json[]> {
  const out: Json[] = [];
  let cursor = "0";
  do {
    const r = await dbCmd(db, "SCAN", cursor, "MATCH", pattern || "*", "COUNT", 1000) as [
      string,
      Json[],
    ];
    cursor = String(r[0]);
    out.push(...r[1]);
    progress(out.length, 0);
  } while (cursor !== "0");
  return out;
}

function pairs(r: Json): Json[] {
  if (r !== null && typeof r === "object" && !Array.isArray(r) && !isBinary(r)) {
    return Object.entries(r);
  }
  if (!Array.isArray(r)) return [];
  if (r.length && Array.isArray(r[0])) return r;
  const out: Json[] = [];
  for (let i = 0; i + 1 < r.length; i += 2) out.push([r[i], r[i + 1]]);
  return out;
}

const READ: Record<string, (k: Arg) => Arg[]> = {
  string: (k) => ["GET", k],
  list: (k) => ["LRANGE", k, 0, -1],
  set: (k) => ["SMEMBERS", k],
  hash: (k) => ["HGETALL", k],
  zset: (k) => ["ZRANGE", k, 0, -1, "WITHSCORES"],
  stream: (k) => ["XRANGE", k, "-", "+"],
};

/** Reads each key's type, TTL and value (keys that vanish meanwhile are skipped). */
export async function exportKeys(
  db: number,
  keys: Json[],
  progress: Progress,
): Promise<ExportFile> {
  const out: ExportedKey[] = [];
  const BATCH = 100;
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH);
    const meta = await Promise.all(
      batch.map((k) =>
        Promise.all([dbCmdRaw(db, "TYPE", k as Arg), dbCmdRaw(db, "PTTL", k as Arg)])
      ),
    );
    const values = await Promise.all(batch.map((k, j) => {
      const read = READ[String(meta[j][0])];
      return read ? dbCmdRaw(db, ...read(k as Arg)) : Promise.resolve(null);
    }));
    batch.forEach((k, j) => {
      const type = String(meta[j][0]);
      const v = values[j];
      if (!READ[type] || isError(v) || v === null) return;
      const ttl = meta[j][1];
      out.push({
        key: k,
        type,
        ttlMs: typeof ttl === "number" && ttl >= 0 ? ttl : null,
        value: type === "hash" || type === "zset" ? pairs(v) : v,
      });
    });
    progress(Math.min(keys.length, i + BATCH), keys.length);
  }
  return {
    format: "reredis-export",
    version: 1,
    db,
    exportedAt: new Date().toISOString(),
    keys: out,
  };
}

function arg(v: Json): Arg {
  if (isBinary(v)) return v;
  return typeof v === "number" ? String(v) : text(v);
}

/** The commands that recreate one exported key (DEL first), in chunks for big collections. */
export function commandsFor(k: ExportedKey): Arg[][] {
  const key = arg(k.key);
  const cmds: Arg[][] = [["DEL", key]];
  const chunk = (name: string, items: Arg[], per: number) => {
    for (let i = 0; i < items.length; i += per) cmds.push([name, key, ...items.slice(i, i + per)]);
  };
  const v = k.value;
  const list = Array.isArray(v) ? v : [];
  switch (k.type) {
    case "string":
      cmds.push(["SET", key, arg(v)]);
      break;
    case "list":
      chunk("RPUSH", list.map(arg), 500);
      break;
    case "set":
      chunk("SADD", list.map(arg), 500);
      break;
    case "hash":
      chunk("HSET", list.flatMap((p) => (p as Json[]).map(arg)), 1000);
      break;
    case "zset":
      chunk("ZADD", list.flatMap((p) => [arg((p as Json[])[1]), arg((p as Json[])[0])]), 1000);
      break;
    case "stream":
      for (const e of list) {
        const [id, fields] = e as [Json, Json[]];
        cmds.push(["XADD", key, arg(id), ...fields.map(arg)]);
      }
      break;
    default:
      return [];
  }
  if (k.ttlMs !== null && k.ttlMs > 0) cmds.push(["PEXPIRE", key, String(k.ttlMs)]);
  return cmds;
}

const enc = new TextEncoder();

/** RESP-encodes commands (`*N\r\n$len\r\narg\r\n…`), binary-exact. */
export function encodeResp(cmds: Arg[][]): Blob {
  const parts: BlobPart[] = [];
  for (const c of cmds) {
    parts.push(`*${c.length}\r\n`);
    for (const a of c) {
      const b = typeof a === "object" ? bytesOf(a) : enc.encode(String(a));
      parts.push(`$${b.length}\r\n`, b as Uint8Array<ArrayBuffer>, "\r\n");
    }
  }
  return new Blob(parts, { type: "application/octet-stream" });
}

/** Parses a RESP command file back into argument lists (non-UTF-8 args as {base64}). */
export function parseResp(bytes: Uint8Array): Arg[][] {
  const out: Arg[][] = [];
  const dec = new TextDecoder("utf-8", { fatal: true });
  let i = 0;
  const line = (): string => {
    const end = bytes.indexOf(13, i);
    if (end < 0 || bytes[end + 1] !== 10) throw new Error(`bad RESP at byte ${i}`);
    const s = new TextDecoder().decode(bytes.subarray(i, end));
    i = end + 2;
    return s;
  };
  while (i < bytes.length) {
    if (bytes[i] === 10 || bytes[i] === 13 || bytes[i] === 32) {
      i++;
      continue;
    }
    const head = line();
    if (head[0] !== "*") {
      // An inline command (plain text line), as redis-cli accepts.
      if (head.trim()) out.push(head.trim().split(/\s+/));
      continue;
    }
    const n = Number(head.slice(1));
    const args: Arg[] = [];
    for (let j = 0; j < n; j++) {
      const len = Number(line().slice(1));
      const b = bytes.subarray(i, i + len);
      i += len + 2;
      try {
        args.push(dec.decode(b));
      } catch {
        let s = "";
        for (const x of b) s += String.fromCharCode(x);
        args.push({ base64: btoa(s) });
      }
    }
    out.push(args);
  }
  return out;
}

/** Runs commands with a bounded number in flight; returns the errors (first 20 kept). */
export async function runCommands(
  db: number,
  cmds: Arg[][],
  progress: Progress,
): Promise<{ ok: number; errors: string[]; failed: number }> {
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const WINDOW = 200;
  for (let i = 0; i < cmds.length; i += WINDOW) {
    const replies = await Promise.all(cmds.slice(i, i + WINDOW).map((c) => dbCmdRaw(db, ...c)));
    replies.forEach((r, j) => {
      if (isError(r)) {
        failed++;
        if (errors.length < 20) errors.push(`${String(cmds[i + j][0])}: ${r.error}`);
      } else ok++;
    });
    progress(Math.min(cmds.length, i + WINDOW), cmds.length);
  }
  return { ok, errors, failed };
}
