// `deno task bench --scripting-suite [--quick]`: scripting against redis-server and Reredis in
// the same run. EVALSHA of a one-command script through redis-benchmark (pipeline 1 and 16),
// and BullMQ end to end: jobs added in bulk and processed by one Worker (concurrency 16), in jobs
// per second from the first add to the last completion. Each cell is the best of R interleaved
// runs (redis, reredis, redis, …); both servers run without persistence.

import "msgpackr-extract"; // pins msgpackr's optional dependency (see tests/libraries_test.ts)
import { parseArgs } from "node:util";
import { Queue, Worker } from "bullmq";
import { type RunningServer, startRedis, startReredis } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--scripting-suite"),
  options: {
    quick: { type: "boolean", default: false },
    repeat: { type: "string", short: "r" },
    jobs: { type: "string", default: "" },
  },
});
const repeat = Number(values.repeat ?? (values.quick ? 1 : 3));
const requests = values.quick ? 20_000 : 100_000;
const jobs = Number(values.jobs || (values.quick ? 2_000 : 10_000));
const SCRIPT = "return redis.call('INCR', KEYS[1])";

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", { args: ["-p", String(port), ...args] })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function evalsha(port: number, pipeline: number): Promise<number> {
  const sha = await redisCli(port, "SCRIPT", "LOAD", SCRIPT);
  const args = ["-h", "127.0.0.1", "-p", String(port), "-q", "-c", "50", "-n", String(requests)];
  args.push("--csv", "-P", String(pipeline), "EVALSHA", sha, "1", "bench:counter");
  const out = await new Deno.Command("redis-benchmark", { args, stdout: "piped", stderr: "null" })
    .output();
  const m = new TextDecoder().decode(out.stdout).match(/^"[^"]+","([\d.]+)"/m);
  return m ? Number(m[1]) : 0;
}

async function bullmq(port: number, run: number): Promise<number> {
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const name = `bench${run}`;
  const queue = new Queue(name, { connection });
  await queue.waitUntilReady();
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker(name, (job) => Promise.resolve(job.data.n), {
    connection,
    concurrency: 16,
  });
  worker.on("completed", () => {
    if (++done === jobs) finish();
  });
  await worker.waitUntilReady();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 500) {
    const n = Math.min(500, jobs - i);
    await queue.addBulk(Array.from({ length: n }, (_, j) => ({ name: "j", data: { n: i + j } })));
  }
  await finished;
  const rate = jobs / ((performance.now() - t0) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return rate;
}

const servers: RunningServer[] = [];
try {
  const redis = await startRedis(["--appendonly", "no"]);
  const reredis = await startReredis(["--appendonly", "no"]);
  servers.push(redis, reredis);
  const best = new Map<string, [number, number]>();
  const keep = (row: string, i: 0 | 1, v: number) => {
    const cur = best.get(row) ?? [0, 0];
    cur[i] = Math.max(cur[i], v);
    best.set(row, cur);
  };
  for (let r = 0; r < repeat; r++) {
    for (const [i, s] of [[0, redis], [1, reredis]] as const) {
      for (const p of [1, 16]) {
        keep(`EVALSHA (${SCRIPT}) rps, pipeline ${p}`, i, await evalsha(s.port, p));
      }
      keep(`BullMQ jobs/s (${jobs} jobs, 1 worker, concurrency 16)`, i, await bullmq(s.port, r));
    }
  }
  console.error(
    `best of ${repeat} | no persistence | EVALSHA: redis-benchmark -c 50 -n ${requests}`,
  );
  console.log("| test | redis | reredis | ratio |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [row, [a, b]] of best) {
    console.log(`| ${row} | ${Math.round(a)} | ${Math.round(b)} | ${(b / a).toFixed(2)} |`);
  }
} finally {
  for (const s of servers) await s.stop();
}
