// Keyspace analysis computed incrementally: SCAN batches, then TYPE / PTTL / MEMORY USAGE per key
// pipelined over the socket. The server only ever sees small commands; progress is keys scanned
// against DBSIZE, and the run can pause, resume or reset at any batch boundary.

import { signal } from "@preact/signals";
import { type Arg, dbCmd, dbCmdRaw, isError, type Json } from "../lib/conn.ts";
import { keyId } from "./keys_store.ts";

export interface Bucket {
  count: number;
  bytes: number;
}

export interface BigKey {
  key: string;
  type: string;
  bytes: number;
}

export interface Analysis {
  db: number;
  pattern: string;
  depth: number;
  state: "idle" | "running" | "paused" | "done";
  scanned: number;
  dbsize: number;
  startedAt: number;
  elapsedMs: number;
  byType: Record<string, Bucket>;
  byNamespace: Record<string, Bucket>;
  biggest: BigKey[];
  noTtl: Bucket;
  noTtlSample: string[];
  /** TTL buckets: < 1 h, < 1 d, < 1 w, longer. */
  ttl: [number, number, number, number];
  /** Whether sizes are MEMORY USAGE bytes (else estimated from lengths). */
  exactMemory: boolean;
}

const TOP = 50;
const BATCH = 500;

function fresh(db: number, pattern: string, depth: number): Analysis {
  return {
    db,
    pattern,
    depth,
    state: "idle",
    scanned: 0,
    dbsize: 0,
    startedAt: 0,
    elapsedMs: 0,
    byType: {},
    byNamespace: {},
    biggest: [],
    noTtl: { count: 0, bytes: 0 },
    noTtlSample: [],
    ttl: [0, 0, 0, 0],
    exactMemory: true,
  };
}

export const analysis = signal<Analysis>(fresh(0, "*", 1));
let cursor = "0";
let run = 0;

function add(map: Record<string, Bucket>, name: string, bytes: number): void {
  const b = map[name] ?? (map[name] = { count: 0, bytes: 0 });
  b.count++;
  b.bytes += bytes;
}

/** The namespace of a key: its first `depth` `:`-separated parts. */
export function namespaceOf(key: string, depth: number): string {
  const parts = key.split(":");
  if (parts.length === 1) return "(no namespace)";
  return parts.slice(0, Math.min(depth, parts.length - 1)).join(":") + ":*";
}

const LENGTH_CMD: Record<string, string> = {
  string: "STRLEN",
  list: "LLEN",
  hash: "HLEN",
  set: "SCARD",
  zset: "ZCARD",
  stream: "XLEN",
};

/** Starts a new analysis (db, pattern, namespace depth). */
export function startAnalysis(db: number, pattern: string, depth: number): void {
  run++;
  cursor = "0";
  analysis.value = { ...fresh(db, pattern || "*", depth), state: "running", startedAt: Date.now() };
  void loop(run);
}

export function pauseAnalysis(): void {
  if (analysis.value.state !== "running") return;
  run++;
  analysis.value = { ...analysis.value, state: "paused" };
}

export function resumeAnalysis(): void {
  if (analysis.value.state !== "paused") return;
  run++;
  analysis.value = { ...analysis.value, state: "running" };
  void loop(run);
}

async function loop(r: number): Promise<void> {
  const a = analysis.value;
  const size = await dbCmdRaw(a.db, "DBSIZE");
  if (typeof size === "number") a.dbsize = size;
  let lastPaint = 0;
  const t0 = Date.now() - a.elapsedMs;
  while (r === run) {
    let reply: Json;
    try {
      reply = await dbCmd(a.db, "SCAN", cursor, "MATCH", a.pattern, "COUNT", BATCH);
    } catch (e) {
      console.warn("analysis SCAN failed:", e);
      break;
    }
    if (r !== run) return;
    const [next, keys] = reply as [string, Json[]];
    await measure(a, keys);
    if (r !== run) return;
    cursor = String(next);
    a.elapsedMs = Date.now() - t0;
    const done = cursor === "0";
    if (done) a.state = "done";
    if (done || Date.now() - lastPaint > 250) {
      lastPaint = Date.now();
      analysis.value = { ...a };
    }
    if (done) return;
  }
}

async function measure(a: Analysis, rawKeys: Json[]): Promise<void> {
  const keys = rawKeys.map((k) => ({ id: keyId(k), arg: k as Arg }));
  const types = keys.map((k) => dbCmdRaw(a.db, "TYPE", k.arg));
  const ttls = keys.map((k) => dbCmdRaw(a.db, "PTTL", k.arg));
  const mems = a.exactMemory
    ? keys.map((k) => dbCmdRaw(a.db, "MEMORY", "USAGE", k.arg, "SAMPLES", 5))
    : [];
  const [t, ttl, mem] = await Promise.all([
    Promise.all(types),
    Promise.all(ttls),
    Promise.all(mems),
  ]);
  let sizes: Json[] = mem;
  if (a.exactMemory && mem.length && isError(mem[0])) a.exactMemory = false;
  if (!a.exactMemory) {
    // Without MEMORY USAGE: value length as a rough stand-in (bytes for strings, elements else).
    sizes = await Promise.all(keys.map((k, i) => {
      const c = LENGTH_CMD[String(t[i])];
      return c ? dbCmdRaw(a.db, c, k.arg) : Promise.resolve(0);
    }));
  }
  keys.forEach((k, i) => {
    const type = String(t[i]);
    if (type === "none") return; // expired or deleted since SCAN saw it
    const bytes = typeof sizes[i] === "number" ? sizes[i] as number : 0;
    a.scanned++;
    add(a.byType, type, bytes);
    add(a.byNamespace, namespaceOf(k.id, a.depth), bytes);
    const p = typeof ttl[i] === "number" ? ttl[i] as number : -1;
    if (p < 0) {
      a.noTtl.count++;
      a.noTtl.bytes += bytes;
      if (a.noTtlSample.length < 100) a.noTtlSample.push(k.id);
    } else a.ttl[p < 3600e3 ? 0 : p < 86400e3 ? 1 : p < 604800e3 ? 2 : 3]++;
    const big = a.biggest;
    if (big.length < TOP || bytes > big[big.length - 1].bytes) {
      big.push({ key: k.id, type, bytes });
      big.sort((x, y) => y.bytes - x.bytes);
      if (big.length > TOP) big.pop();
    }
  });
}
