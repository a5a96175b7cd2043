// `deno task bench`: redis-benchmark against redis-server and Reredis (node:net and/or Deno.listen
// transport) side by side, same flags, and a Markdown table of requests/s and ratios.
//
//   deno task bench [--quick] [--transport node|deno|both] [-n N] [--repeat R]
//                   [--tests set,get,incr,mset] [-c 50] [--wal]
//
// Each cell is the best of R interleaved runs (redis, node, deno, redis, node, deno…): on a
// shared machine the best run is the least disturbed one.
// By default both servers run without persistence (Reredis's default is a WAL fsynced on every
// write); --wal runs both with appendonly yes + appendfsync always instead.

import { parseArgs } from "node:util";
import { type RunningServer, startRedis, startReredis } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    transport: { type: "string", default: "both" },
    n: { type: "string", short: "n" },
    repeat: { type: "string", short: "r" },
    tests: { type: "string", default: "set,get,incr,mset" },
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

/** Runs redis-benchmark once; returns requests/s per test name (e.g. "SET", "MSET (10 keys)"). */
async function benchmark(port: number, pipeline: number): Promise<Map<string, number>> {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-q", "-c", values.clients!];
  args.push("-n", String(requests), "-t", values.tests!, "--csv");
  if (pipeline > 1) args.push("-P", String(pipeline));
  const proc = new Deno.Command("redis-benchmark", { args, stdout: "piped", stderr: "piped" })
    .spawn();
  const timer = setTimeout(() => proc.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const out = await proc.output();
  clearTimeout(timer);
  const rows = new Map<string, number>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = line.match(/^"([^"]+)","([\d.]+)"/);
    if (m) rows.set(m[1], Number(m[2]));
  }
  const err = new TextDecoder().decode(out.stderr).split("\n")
    .filter((l) => l && !l.includes("Could not fetch server CONFIG")).join(" ");
  if (err) console.error(`  redis-benchmark on ${port} -P ${pipeline}: ${err}`);
  return rows;
}

const servers: RunningServer[] = [];
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
  console.error(
    `redis-benchmark -q -c ${values.clients} -n ${requests} -t ${values.tests} --csv [-P 16]` +
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
  for (const s of servers) await s.stop();
}

function fmt(rps: number): string {
  return Math.round(rps).toLocaleString("en-US");
}
