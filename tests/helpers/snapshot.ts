// Reads a whole dataset through ordinary commands (SCAN, TYPE, GET, LRANGE, HGETALL, SMEMBERS,
// ZRANGE, XRANGE, XINFO GROUPS, PEXPIRETIME) into a comparable, sorted JSON form. Used to check
// that a restart, a compaction or redis-server loading our WAL yields the same data. Keys and
// values stay binary-exact (replies decode as latin1; keys go back as their bytes).

import { RespClient } from "../../src/resp/client.ts";
import type { RespValue } from "../../src/resp/decoder.ts";

function str(v: RespValue | undefined): string {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && "+" in v) return v["+"];
  return JSON.stringify(v);
}

/** A latin1 string (as replies decode) back to its bytes. */
export function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The commands that read a key's value, by type (their replies go through `shape`). */
function valueCommands(type: string, key: Uint8Array): (string | Uint8Array)[][] {
  switch (type) {
    case "string":
      return [["GET", key]];
    case "list":
      return [["LRANGE", key, "0", "-1"]];
    case "hash":
      return [["HGETALL", key]];
    case "set":
      return [["SMEMBERS", key]];
    case "zset":
      return [["ZRANGE", key, "0", "-1", "WITHSCORES"]];
    case "stream":
      return [["XRANGE", key, "-", "+"], ["XINFO", "GROUPS", key]];
    default:
      return [];
  }
}

/** Order-free forms for types whose reply order is not part of the data. */
function shape(type: string, replies: (RespValue | undefined)[]): unknown {
  switch (type) {
    case "hash": {
      const flat = replies[0] as string[];
      const pairs: string[][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      return pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    }
    case "set":
      return (replies[0] as string[]).sort();
    case "stream":
      return { entries: replies[0], groups: replies[1] };
    default:
      return replies.length ? replies[0] : `(${type})`;
  }
}

/** Sends commands in one pipeline, returns the replies. */
async function pipeline(
  c: RespClient,
  cmds: (string | Uint8Array)[][],
): Promise<(RespValue | undefined)[]> {
  for (const cmd of cmds) await c.send(...cmd);
  const out: (RespValue | undefined)[] = [];
  for (let i = 0; i < cmds.length; i++) out.push(await c.read());
  return out;
}

/** Every key of dbs 0..dbs-1 with its type, value and absolute expire time. */
export async function snapshot(port: number, dbs = 1): Promise<Record<string, unknown>> {
  const c = await RespClient.connect(port);
  const out: Record<string, unknown> = {};
  try {
    for (let db = 0; db < dbs; db++) {
      await c.call("SELECT", String(db));
      let cursor = "0";
      const keys = new Set<string>();
      do {
        const r = (await c.call("SCAN", cursor, "COUNT", "1000")) as [string, string[]];
        cursor = r[0];
        for (const k of r[1]) keys.add(k);
      } while (cursor !== "0");
      const sorted = [...keys].sort();
      for (let i = 0; i < sorted.length; i += 500) {
        const batch = sorted.slice(i, i + 500).map(bytesOf);
        const meta = await pipeline(c, batch.flatMap((k) => [["TYPE", k], ["PEXPIRETIME", k]]));
        const types = batch.map((_, j) => str(meta[2 * j]));
        const reads = batch.map((k, j) => valueCommands(types[j], k));
        const replies = await pipeline(c, reads.flat());
        let r = 0;
        batch.forEach((_, j) => {
          const n = reads[j].length;
          out[`${db}:${sorted[i + j]}`] = {
            type: types[j],
            value: shape(types[j], replies.slice(r, r + n)),
            expireAt: meta[2 * j + 1],
          };
          r += n;
        });
      }
    }
  } finally {
    c.close();
  }
  return out;
}
