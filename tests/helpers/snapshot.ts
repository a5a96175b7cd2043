// Reads a whole dataset through ordinary commands (SCAN, TYPE, GET, LRANGE, HGETALL, SMEMBERS,
// ZRANGE, PEXPIRETIME) into a comparable, sorted JSON form. Used to check that a restart, a
// compaction or redis-server loading our WAL yields the same data.

import { RespClient } from "../../src/resp/client.ts";
import type { RespValue } from "../../src/resp/decoder.ts";

function str(v: RespValue | undefined): string {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && "+" in v) return v["+"];
  return JSON.stringify(v);
}

async function valueOf(c: RespClient, type: string, key: string): Promise<unknown> {
  switch (type) {
    case "string":
      return await c.call("GET", key);
    case "list":
      return await c.call("LRANGE", key, "0", "-1");
    case "hash": {
      const flat = (await c.call("HGETALL", key)) as string[];
      const pairs: string[][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      return pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    }
    case "set":
      return ((await c.call("SMEMBERS", key)) as string[]).sort();
    case "zset":
      return await c.call("ZRANGE", key, "0", "-1", "WITHSCORES");
    default:
      return `(${type})`;
  }
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
      for (const key of [...keys].sort()) {
        const type = str(await c.call("TYPE", key));
        const at = await c.call("PEXPIRETIME", key);
        out[`${db}:${key}`] = { type, value: await valueOf(c, type, key), expireAt: at };
      }
    }
  } finally {
    c.close();
  }
  return out;
}
