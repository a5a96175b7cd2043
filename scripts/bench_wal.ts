// `deno task bench --wal-suite`: the write-ahead log against redis-server with the same settings.
//
//   1. SET throughput (redis-benchmark -t set) with appendonly yes and appendfsync always,
//      everysec and no, and with appendonly no (each server's baseline), pipeline 1 and 16:
//      requests/s and the ratio to redis-server.
//   2. Replay of a log of N SETs (default 1 M): the "DB loaded from append only file" seconds
//      each server logs, loading the same directory.
//   3. The longest event-loop stall while BGREWRITEAOF compacts those N keys, seen by a client
//      sending one PING at a time (and, for Reredis, the longest slice the rewrite reports).
//
//   deno run -A scripts/bench_wal.ts [--quick] [-n 100000] [--keys 1000000] [--repeat 3] [-c 50]

import { parseArgs } from "node:util";
import { join } from "node:path";
import { type RunningServer, startRedis, startReredis } from "../tests/helpers/server.ts";
import { RespClient } from "../src/resp/client.ts";
import { redisBenchmark } from "./redis_benchmark.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--wal-suite"),
  options: {
    quick: { type: "boolean", default: false },
    n: { type: "string", short: "n" },
    keys: { type: "string" },
    repeat: { type: "string", short: "r" },
    clients: { type: "string", short: "c", default: "50" },
  },
});
const requests = Number(values.n ?? (values.quick ? 20_000 : 100_000));
const keys = Number(values.keys ?? (values.quick ? 200_000 : 1_000_000));
const repeat = Number(values.repeat ?? (values.quick ? 1 : 3));

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function setRps(port: number, pipeline: number): Promise<number> {
  const args = ["-t", "set", "-r", "100000"];
  const rows = await redisBenchmark({ port, clients: values.clients!, requests, pipeline, args });
  return rows.get("SET") ?? 0;
}

async function throughput(): Promise<string[]> {
  const rows: string[] = [];
  // "off" (appendonly no) is each server's own baseline: the WAL's cost is the difference.
  for (const policy of ["always", "everysec", "no", "off"]) {
    const opts = policy === "off"
      ? ["--appendonly", "no"]
      : ["--appendonly", "yes", "--appendfsync", policy];
    const redis = await startRedis(opts);
    const ours = await startReredis(opts);
    try {
      for (const p of [1, 16]) {
        let r = 0, o = 0;
        for (let i = 0; i < repeat; i++) {
          r = Math.max(r, await setRps(redis.port, p));
          o = Math.max(o, await setRps(ours.port, p));
        }
        const what = policy === "off" ? "appendonly no" : `appendfsync ${policy}`;
        rows.push(`| SET, ${what} | ${p} | ${fmt(r)} | ${fmt(o)} | ${(o / r).toFixed(2)} |`);
      }
    } finally {
      await redis.stop();
      await ours.stop();
    }
  }
  return rows;
}

/** A log directory of `n` SETs (empty base + one incremental file), as both servers read it. */
function writeLog(dir: string, n: number): number {
  const aofDir = join(dir, "appendonlydir");
  Deno.mkdirSync(aofDir, { recursive: true });
  const f = Deno.openSync(join(aofDir, "appendonly.aof.1.incr.aof"), {
    write: true,
    create: true,
    truncate: true,
  });
  const enc = new TextEncoder();
  let size = 0;
  let chunk = "";
  for (let i = 0; i < n; i++) {
    const k = `key:${String(i).padStart(7, "0")}`;
    chunk += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$10\r\nvalue:${
      String(i % 10000).padStart(4, "0")
    }\r\n`;
    if (chunk.length > 1 << 20) {
      size += f.writeSync(enc.encode(chunk));
      chunk = "";
    }
  }
  size += f.writeSync(enc.encode(chunk));
  f.close();
  Deno.writeFileSync(join(aofDir, "appendonly.aof.1.base.aof"), new Uint8Array(0));
  Deno.writeTextFileSync(
    join(aofDir, "appendonly.aof.manifest"),
    "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
  );
  return size;
}

function copyDir(from: string): string {
  const to = Deno.makeTempDirSync({ prefix: "reredis-bench-" });
  Deno.mkdirSync(join(to, "appendonlydir"));
  for (const e of Deno.readDirSync(join(from, "appendonlydir"))) {
    Deno.copyFileSync(join(from, "appendonlydir", e.name), join(to, "appendonlydir", e.name));
  }
  return to;
}

function loadedSeconds(s: RunningServer): number {
  for (const l of s.output) {
    const m = l.match(/DB loaded from append only file: ([\d.]+) seconds/);
    if (m) return Number(m[1]);
  }
  return NaN;
}

/** PINGs one at a time until `done` resolves; returns the longest and 99th-percentile RTT (ms). */
async function probe(port: number, done: Promise<void>): Promise<{ max: number; p99: number }> {
  const c = await RespClient.connect(port);
  const rtts: number[] = [];
  let finished = false;
  done.then(() => (finished = true));
  while (!finished) {
    const t0 = performance.now();
    await c.call("PING");
    rtts.push(performance.now() - t0);
  }
  c.close();
  rtts.sort((a, b) => a - b);
  return { max: rtts[rtts.length - 1] ?? 0, p99: rtts[Math.floor(rtts.length * 0.99)] ?? 0 };
}

/** BGREWRITEAOF and wait for it to end; PING latency during it and the rewrite's duration. */
async function compaction(port: number): Promise<{ max: number; p99: number; secs: number }> {
  const c = await RespClient.connect(port);
  const t0 = performance.now();
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const probing = probe(port, done);
  await c.call("BGREWRITEAOF");
  for (;;) {
    const info = String(await c.call("INFO", "persistence"));
    if (info.includes("aof_rewrite_in_progress:0") && !info.includes("aof_rewrite_scheduled:1")) {
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const secs = (performance.now() - t0) / 1000;
  resolve();
  c.close();
  return { ...(await probing), secs };
}

async function idleLatency(port: number): Promise<{ max: number; p99: number }> {
  return await probe(port, new Promise((r) => setTimeout(r, 1000)));
}

async function replayAndCompaction(): Promise<string[]> {
  const src = Deno.makeTempDirSync({ prefix: "reredis-bench-" });
  const size = writeLog(src, keys);
  const rows: string[] = [];
  const dirs = [copyDir(src), copyDir(src)];
  const opts = ["--appendonly", "yes", "--appendfsync", "everysec"];
  const redis = await startRedis([...opts, "--dir", dirs[0]]);
  const ours = await startReredis([...opts, "--dir", dirs[1]]);
  try {
    const r = loadedSeconds(redis), o = loadedSeconds(ours);
    rows.push(
      `| replay of ${fmt(keys)} SETs (${(size / 1048576).toFixed(0)} MB), s | ${r.toFixed(2)} | ${
        o.toFixed(2)
      } | ${(r / o).toFixed(2)} |`,
    );
    const ri = await idleLatency(redis.port), oi = await idleLatency(ours.port);
    rows.push(
      `| PING max / p99 RTT idle, ms | ${ri.max.toFixed(2)} / ${ri.p99.toFixed(2)} | ${
        oi.max.toFixed(2)
      } / ${oi.p99.toFixed(2)} | |`,
    );
    const rc = await compaction(redis.port), oc = await compaction(ours.port);
    rows.push(
      `| PING max / p99 RTT during BGREWRITEAOF of ${fmt(keys)} keys, ms | ${rc.max.toFixed(2)} / ${
        rc.p99.toFixed(2)
      } | ${oc.max.toFixed(2)} / ${oc.p99.toFixed(2)} | ${(rc.max / oc.max).toFixed(2)} |`,
    );
    rows.push(
      `| BGREWRITEAOF of ${fmt(keys)} keys, s | ${rc.secs.toFixed(2)} | ${oc.secs.toFixed(2)} | ${
        (rc.secs / oc.secs).toFixed(2)
      } |`,
    );
    const line = ours.output.find((l) => l.includes("Background AOF rewrite finished"));
    if (line) {
      rows.push(`| Reredis rewrite log | | ${line.replace(/^.*finished successfully: /, "")} | |`);
    }
  } finally {
    await redis.stop();
    await ours.stop();
    for (const d of [src, ...dirs]) Deno.removeSync(d, { recursive: true });
  }
  return rows;
}

console.error(
  `WAL bench: redis-benchmark -t set -c ${values.clients} -n ${requests} -r 100000, best of ${repeat}; ` +
    `replay and compaction of ${fmt(keys)} keys`,
);
console.log("| measure | pipeline | redis-server | reredis | ratio |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of await throughput()) console.log(r);
console.log("\n| measure | redis-server | reredis | ratio (redis/reredis time) |");
console.log("| --- | ---: | ---: | ---: |");
for (const r of await replayAndCompaction()) console.log(r);
