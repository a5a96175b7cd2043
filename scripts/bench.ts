// `deno task bench`: redis-benchmark against redis-server and Reredis (node:net and/or Deno.listen
// transport) side by side, same flags, and a Markdown table of requests/s and ratios.
//
//   deno task bench [--quick] [--transport node|deno|both] [-n N] [--repeat R]
//                   [--tests set,get,...] [--extra zrange,publish|none] [-c 50] [--wal]
//   deno task bench --wal-suite [--quick]   (scripts/bench_wal.ts: fsync policies, replay, compaction)
//   deno task bench --scripting-suite [--quick]   (scripts/bench_scripting.ts: EVALSHA, BullMQ)
//   deno task bench --feed-suite [--quick]   (scripts/bench_feed.ts: WebSocket event latency, cost)
//
// Besides redis-benchmark's own tests it runs custom commands: ZRANGE of 100 members
// (WITHSCORES-free) and PUBLISH to a channel with 10 subscribers connected.
//
// Each cell is the best of R interleaved runs (redis, node, deno, redis, node, deno…): on a
// shared machine the best run is the least disturbed one.
// By default both servers run without persistence (Reredis's default is a WAL fsynced on every
// write); --wal runs both with appendonly yes + appendfsync always instead.

import { parseArgs } from "node:util";
import { type RunningServer, startRedis, startReredis } from "../tests/helpers/server.ts";
import { redisBenchmark } from "./redis_benchmark.ts";

if (Deno.args.includes("--wal-suite")) {
  await import("./bench_wal.ts");
  Deno.exit(0);
}
if (Deno.args.includes("--scripting-suite")) {
  await import("./bench_scripting.ts");
  Deno.exit(0);
}
if (Deno.args.includes("--feed-suite")) {
  await import("./bench_feed.ts");
  Deno.exit(0);
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    transport: { type: "string", default: "deno" },
    n: { type: "string", short: "n" },
    repeat: { type: "string", short: "r" },
    tests: { type: "string", default: "set,get,incr,mset,lpush,lpop,sadd,hset,zadd" },
    extra: { type: "string", default: "zrange,publish,xadd,xreadgroup" },
    clients: { type: "string", short: "c", default: "50" },
    wal: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(
    "usage: deno task bench [--quick] [--transport node|deno|both] [-n N] [--repeat R] " +
      "[--tests set,get] [-c 50] [--wal]",
  );
  Deno.exit(0);
}

const transports = values.transport === "both" ? ["node", "deno"] : [values.transport];
if (!transports.every((t) => t === "node" || t === "deno")) {
  console.error(`--transport must be node, deno or both (got ${values.transport})`);
  Deno.exit(2);
}
const requests = Number(values.n ?? (values.quick ? 20_000 : 100_000));
const repeat = Number(values.repeat ?? (values.quick ? 1 : 3));
/** Upper bound for one redis-benchmark run, so a stuck server cannot hang the bench. */
const RUN_TIMEOUT_MS = values.quick ? 60_000 : 300_000;
const PIPELINES = [1, 16];

/** Custom commands benchmarked beside redis-benchmark's built-in tests; `before` runs before each. */
const EXTRA: Record<
  string,
  { label: string; argv: string[]; before?: (port: number) => Promise<void> }
> = {
  zrange: { label: "ZRANGE (100 members)", argv: ["ZRANGE", "bench:zset", "0", "99"] },
  publish: { label: "PUBLISH (10 subscribers)", argv: ["PUBLISH", "bench:ch", "hello"] },
  xadd: {
    label: "XADD",
    argv: ["XADD", "bench:stream", "*", "field", "value"],
    before: (port) => send(port, [["DEL", "bench:stream"]]),
  },
  xreadgroup: {
    label: "XREADGROUP (COUNT 1)",
    argv: ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "bench:xrg", ">"],
    // Every run reads the same pre-filled entries again from the start of the group.
    before: (port) => send(port, [["XGROUP", "SETID", "bench:xrg", "g", "0"]]),
  },
};
const extras = values.extra === "none" ? [] : values.extra!.split(",").filter((e) => e in EXTRA);

/** Fills the ZRANGE key and connects 10 subscribers that read and discard what they get. */
async function prepareExtras(port: number): Promise<Deno.TcpConn[]> {
  const subs: Deno.TcpConn[] = [];
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const zadd = ["ZADD", "bench:zset"];
  for (let i = 0; i < 100; i++) zadd.push(String(i), `member:${i}`);
  await c.write(new TextEncoder().encode(resp(zadd)));
  await c.read(new Uint8Array(64));
  c.close();
  if (extras.includes("xreadgroup")) {
    const fill: string[][] = [["DEL", "bench:xrg"]];
    for (let i = 0; i < requests; i++) fill.push(["XADD", "bench:xrg", "*", "field", String(i)]);
    fill.push(["XGROUP", "CREATE", "bench:xrg", "g", "0"]);
    await send(port, fill);
  }
  if (!extras.includes("publish")) return subs;
  for (let i = 0; i < 10; i++) {
    const sub = await Deno.connect({ hostname: "127.0.0.1", port });
    await sub.write(new TextEncoder().encode(resp(["SUBSCRIBE", "bench:ch"])));
    subs.push(sub);
    (async () => {
      const buf = new Uint8Array(64 * 1024);
      try {
        while ((await sub.read(buf)) !== null) { /* discard */ }
      } catch { /* closed at the end */ }
    })();
  }
  return subs;
}

/** Sends commands pipelined and waits for all their replies (a final PING marks the end). */
async function send(port: number, commands: string[][]): Promise<void> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  // Conn.write may write only part of a big buffer (full socket): loop until all of it is sent.
  const writeAll = async (b: Uint8Array) => {
    while (b.length) b = b.subarray(await c.write(b));
  };
  for (let i = 0; i < commands.length; i += 1000) {
    await writeAll(enc.encode(commands.slice(i, i + 1000).map(resp).join("")));
  }
  await writeAll(enc.encode(resp(["PING", "bench:end"])));
  const buf = new Uint8Array(256 * 1024);
  let tail = "";
  for (;;) {
    const n = await c.read(buf);
    if (n === null) break;
    tail = (tail + new TextDecoder().decode(buf.subarray(0, n))).slice(-32);
    if (tail.endsWith("bench:end\r\n")) break;
  }
  c.close();
}

function resp(argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
}

/** Runs redis-benchmark once; returns requests/s per test name (e.g. "SET", "MSET (10 keys)"). */
async function benchmark(port: number, pipeline: number): Promise<Map<string, number>> {
  const rows = await benchmarkRun(port, pipeline, ["-t", values.tests!]);
  for (const e of extras) {
    await EXTRA[e].before?.(port);
    for (const rps of (await benchmarkRun(port, pipeline, EXTRA[e].argv)).values()) {
      rows.set(EXTRA[e].label, rps);
    }
  }
  return rows;
}

function benchmarkRun(port: number, pipeline: number, what: string[]) {
  return redisBenchmark({
    port,
    clients: values.clients!,
    requests,
    pipeline,
    args: what,
    timeoutMs: RUN_TIMEOUT_MS,
  });
}

const servers: RunningServer[] = [];
const subscribers: Deno.TcpConn[] = [];
try {
  const persistence = values.wal
    ? ["--appendonly", "yes", "--appendfsync", "always"]
    : ["--appendonly", "no"]; // startRedis already disables RDB snapshots
  const redis = await startRedis(persistence);
  servers.push(redis);
  const targets: { name: string; server: RunningServer }[] = [];
  for (const t of transports) {
    const s = await startReredis(persistence, { REREDIS_TRANSPORT: t });
    servers.push(s);
    targets.push({ name: t, server: s });
  }
  for (const srv of servers) subscribers.push(...await prepareExtras(srv.port));
  console.error(
    `redis-benchmark -q -c ${values.clients} -n ${requests} -t ${values.tests} --csv [-P 16]` +
      (extras.length ? ` + ${extras.map((e) => EXTRA[e].label).join(", ")}` : "") +
      `, best of ${repeat}` +
      (values.wal ? " | appendonly yes, appendfsync always" : " | no persistence") +
      ` | transports: ${transports.join(", ")}`,
  );
  const rows: string[] = [];
  for (const pipeline of PIPELINES) {
    const best = new Map<number, Map<string, number>>(); // port → test → best rps
    for (let r = 0; r < repeat; r++) {
      for (const server of servers) {
        const m = best.get(server.port) ?? new Map<string, number>();
        best.set(server.port, m);
        for (const [test, rps] of await benchmark(server.port, pipeline)) {
          m.set(test, Math.max(rps, m.get(test) ?? 0));
        }
      }
    }
    const base = best.get(redis.port)!;
    const ours = new Map(targets.map((t) => [t.name, best.get(t.server.port)!]));
    for (const [test, rps] of base) {
      const cells = targets.map((t) => {
        const v = ours.get(t.name)!.get(test);
        return v === undefined ? ["–", "–"] : [fmt(v), (v / rps).toFixed(2)];
      });
      rows.push(`| ${test} | ${pipeline} | ${fmt(rps)} | ${cells.flat().join(" | ")} |`);
    }
  }
  const head = targets.map((t) => `reredis ${t.name} rps | ratio ${t.name}`).join(" | ");
  const sep = targets.map(() => "---: | ---:").join(" | ");
  console.log(`| test | pipeline | redis rps | ${head} |`);
  console.log(`| --- | ---: | ---: | ${sep} |`);
  for (const r of rows) console.log(r);
} finally {
  for (const c of subscribers) c.close();
  for (const s of servers) await s.stop();
}

function fmt(rps: number): string {
  return Math.round(rps).toLocaleString("en-US");
}
