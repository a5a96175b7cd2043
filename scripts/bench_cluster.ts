// Cluster throughput: `redis-benchmark --cluster` against a local 3-node Reredis cluster (formed
// by MEET, slots auto-assigned) and a 3-node redis-server cluster (redis-cli --cluster create),
// same flags, persistence off on both, and a Markdown table of requests/s and the ratio.
//
//   deno run -A scripts/bench_cluster.ts [-n 100000] [-c 50] [--tests set,get] [--repeat 3]

import { parseArgs } from "node:util";
import { startLocalCluster } from "./cluster.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", short: "n", default: "100000" },
    clients: { type: "string", short: "c", default: "50" },
    tests: { type: "string", default: "set,get,incr,lpush,sadd,hset" },
    repeat: { type: "string", short: "r", default: "3" },
    port: { type: "string", default: "7600" },
    "redis-port": { type: "string", default: "7610" },
  },
});
const PIPELINES = [1, 16];
const NODES = 3;

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return dec.decode(out.stdout) + dec.decode(out.stderr);
}

/** requests/s per test name (upper case), from redis-benchmark -q output. */
async function benchmark(port: number, pipeline: number): Promise<Map<string, number>> {
  const out = await run("redis-benchmark", [
    "--cluster",
    "-p",
    String(port),
    "-t",
    values.tests!,
    "-n",
    values.n!,
    "-c",
    values.clients!,
    "-P",
    String(pipeline),
    "-q",
  ]);
  const res = new Map<string, number>();
  for (const line of out.split(/[\r\n]+/)) {
    const m = /^([A-Z_]+)(?: \([^)]*\))?: ([\d.]+) requests per second/.exec(line.trim());
    if (m) res.set(m[1], Number(m[2]));
  }
  return res;
}

async function startRedisCluster(base: number, dir: string): Promise<() => Promise<void>> {
  const procs: Deno.ChildProcess[] = [];
  const ports = Array.from({ length: NODES }, (_, i) => base + i);
  for (const p of ports) {
    const d = `${dir}/${p}`;
    await Deno.mkdir(d, { recursive: true });
    procs.push(
      new Deno.Command("redis-server", {
        args: ["--port", String(p), "--cluster-enabled", "yes", "--save", "", "--appendonly", "no"],
        cwd: d,
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
  }
  await new Promise((r) => setTimeout(r, 500));
  const out = await run("redis-cli", [
    "--cluster",
    "create",
    ...ports.map((p) => `127.0.0.1:${p}`),
    "--cluster-yes",
  ]);
  if (!out.includes("All 16384 slots covered")) throw new Error(`redis cluster create:\n${out}`);
  // Wait until every node sees the others (redis-benchmark --cluster reads CLUSTER NODES).
  await new Promise((r) => setTimeout(r, 1500));
  return async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.status));
  };
}

const dir = await Deno.makeTempDir({ prefix: "reredis-bench-cluster-" });
console.error("starting a 3-node Reredis cluster and a 3-node redis-server cluster…");
const reredis = await startLocalCluster({
  nodes: NODES,
  port: Number(values.port),
  httpPort: 0,
  dir: `${dir}/reredis`,
  nodeTimeout: 5000,
  extra: ["--appendonly", "no"],
});
let stopRedis: (() => Promise<void>) | undefined;
try {
  stopRedis = await startRedisCluster(Number(values["redis-port"]), `${dir}/redis`);
  const best = new Map<string, { redis: number; reredis: number }>();
  for (let r = 0; r < Number(values.repeat); r++) {
    for (const p of PIPELINES) {
      for (
        const [side, port] of [["redis", Number(values["redis-port"])], [
          "reredis",
          reredis.ports[0],
        ]] as const
      ) {
        const res = await benchmark(port, p);
        for (const [test, rps] of res) {
          const key = `${test}|${p}`;
          const cell = best.get(key) ?? { redis: 0, reredis: 0 };
          cell[side] = Math.max(cell[side], rps);
          best.set(key, cell);
        }
      }
    }
  }
  console.log(
    `\n3-node cluster, redis-benchmark --cluster -n ${values.n} -c ${values.clients} ` +
      `(best of ${values.repeat}), persistence off\n`,
  );
  console.log("| test | pipeline | redis-server req/s | Reredis req/s | Reredis / Redis |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [key, v] of best) {
    const [test, p] = key.split("|");
    const ratio = v.redis ? (v.reredis / v.redis).toFixed(2) : "-";
    console.log(`| ${test} | ${p} | ${v.redis.toFixed(0)} | ${v.reredis.toFixed(0)} | ${ratio} |`);
  }
} finally {
  await stopRedis?.();
  await reredis.stop();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
