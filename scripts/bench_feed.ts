// `deno task bench --feed-suite`: the WebSocket change feed.
//
//   1. Write → event latency: one RESP writer sets a key every few ms; N WebSocket subscribers
//      (1, 100, 1000, all in this process) subscribed to the keys' pattern note when each event
//      arrives. p50/p99/max over every (subscriber, event) pair. Measured in this process, so with
//      1000 subscribers it includes the time this process takes to read 1000 frames per event.
//      "server" columns: the server's own record → socket-write time for the same events
//      (reredis_feed_delivery_seconds from /metrics, as bucket bounds).
//   2. Write throughput (redis-benchmark -t set -r 100000) with no subscribers, with 100
//      subscribers to a pattern no key matches (the filtering cost), and with 100 subscribers to
//      every key (full fan-out: they read what they can; the rest is dropped with `lagged`).
//
//   deno run -A scripts/bench_feed.ts [--quick] [-n 200000] [--repeat 3] [-c 50]

import { parseArgs } from "node:util";
import { freePort, type RunningServer, startReredis } from "../tests/helpers/server.ts";
import { RespClient } from "../src/resp/client.ts";
import { redisBenchmark } from "./redis_benchmark.ts";

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--feed-suite"),
  options: {
    quick: { type: "boolean", default: false },
    n: { type: "string", short: "n" },
    repeat: { type: "string", short: "r" },
    clients: { type: "string", short: "c", default: "50" },
  },
});
const quick = values.quick!;
const requests = Number(values.n ?? (quick ? 50_000 : 200_000));
const repeat = Number(values.repeat ?? (quick ? 1 : 3));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** N subscribers; `onEvent(key, text)` for each event frame. */
async function subscribers(
  http: number,
  n: number,
  pattern: string,
  onEvent: (i: number, text: string) => void,
): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let start = 0; start < n; start += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - start) }, async (_, j) => {
        const i = start + j;
        const ws = new WebSocket(`ws://127.0.0.1:${http}/ws`);
        await new Promise((res, rej) => {
          ws.onopen = res;
          ws.onerror = rej;
        });
        const subscribed = new Promise<void>((res) => {
          ws.onmessage = (e) => {
            const t = e.data as string;
            if (t.startsWith('{"op":"subscribed"')) res();
            else onEvent(i, t);
          };
        });
        ws.send(JSON.stringify({ op: "subscribe", patterns: [pattern] }));
        await subscribed;
        return ws;
      }),
    );
    out.push(...batch);
  }
  return out;
}

async function closeAll(list: WebSocket[]): Promise<void> {
  for (const ws of list) ws.close();
  await sleep(200);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The server's delivery histogram (le → cumulative count) from /metrics. */
async function deliveryHistogram(http: number): Promise<[number, number][]> {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  const out: [number, number][] = [];
  for (const m of text.matchAll(/^reredis_feed_delivery_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    out.push([m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2])]);
  }
  return out;
}

/** The bucket bound (ms) under which p % of the observations made between two snapshots fall. */
function bucketPct(before: [number, number][], after: [number, number][], p: number): string {
  const d = after.map(([le, n], i) => [le, n - (before[i]?.[1] ?? 0)] as [number, number]);
  const total = d[d.length - 1][1];
  const le = d.find(([, n]) => n >= (p / 100) * total)?.[0] ?? Infinity;
  return le === Infinity ? "> 1000" : `≤ ${+(le * 1000).toFixed(2)}`;
}

async function latency(port: number, http: number, n: number): Promise<string> {
  const writes = quick ? 50 : n >= 1000 ? 100 : 300;
  const gap = n >= 1000 ? 30 : n >= 100 ? 5 : 2;
  const sent = new Map<string, number>();
  const samples: number[] = [];
  const subs = await subscribers(http, n, "lat:*", (_i, text) => {
    const now = performance.now();
    const key = /"key":"([^"]+)"/.exec(text)?.[1];
    const t0 = key === undefined ? undefined : sent.get(key);
    if (t0 !== undefined) samples.push(now - t0);
  });
  const before = await deliveryHistogram(http);
  const w = await RespClient.connect(port);
  for (let i = 0; i < writes; i++) {
    const key = `lat:${i}`;
    sent.set(key, performance.now());
    await w.call("SET", key, "v");
    await sleep(gap);
  }
  await sleep(500);
  const after = await deliveryHistogram(http);
  w.close();
  await closeAll(subs);
  samples.sort((a, b) => a - b);
  const expected = writes * n;
  const ms = (v: number) => v.toFixed(3);
  return `| ${n} | ${writes} | ${samples.length}/${expected} | ${ms(pct(samples, 50))} | ` +
    `${ms(pct(samples, 99))} | ${ms(samples[samples.length - 1])} | ` +
    `${bucketPct(before, after, 50)} | ${bucketPct(before, after, 99)} |`;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function setRps(port: number, pipeline: number): Promise<number> {
  const args = ["-t", "set", "-r", "100000"];
  const rows = await redisBenchmark({ port, clients: values.clients!, requests, pipeline, args });
  return rows.get("SET") ?? 0;
}

let server: RunningServer | undefined;
try {
  const http = freePort();
  server = await startReredis(["--appendonly", "no", "--http-port", String(http)]);
  const port = server.port;

  console.log(
    "### Write → WebSocket event latency (ms, loopback, measured in the subscribers' process)\n",
  );
  console.log(
    "| subscribers | writes | events received | p50 | p99 | max | server p50 | server p99 |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const n of [1, 100, 1000]) console.log(await latency(port, http, n));

  console.log(
    `\n### SET throughput with subscribers (redis-benchmark -c ${values.clients} -n ${requests} ` +
      `-r 100000, best of ${repeat})\n`,
  );
  console.log(
    "| pipeline | subscribers | SET/s | cost | server CPU µs per SET | subscribers' CPU µs per SET | events read per subscriber | lagged messages |",
  );
  console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  const pid = server.process.pid;
  for (const pipeline of [1, 16]) {
    type Row = { rps: number; cpu: number; subCpu: number; read: number; lagged: number };
    const best = new Map<string, Row>();
    const keep = (name: string, row: Row) => {
      if (row.rps > (best.get(name)?.rps ?? 0)) best.set(name, row);
    };
    const run = async (name: string, pattern: string | undefined) => {
      let events = 0;
      let lag = 0;
      const subs = pattern === undefined ? [] : await subscribers(http, 100, pattern, (_i, t) => {
        if (t.startsWith('{"op":"event"')) events++;
        else if (t.startsWith('{"op":"lagged"')) lag++;
      });
      const [c0, s0] = [cpuSeconds(pid), cpuSeconds(Deno.pid)];
      const rps = await setRps(port, pipeline);
      const [c1, s1] = [cpuSeconds(pid), cpuSeconds(Deno.pid)];
      await sleep(300);
      await closeAll(subs);
      keep(name, {
        rps,
        cpu: ((c1 - c0) * 1e6) / requests,
        subCpu: ((s1 - s0) * 1e6) / requests,
        read: events / 100,
        lagged: lag,
      });
    };
    for (let r = 0; r < repeat; r++) {
      await run("none", undefined);
      await run("100 on a pattern no key matches", "nomatch:*");
      await run("100 on every key", "*");
    }
    const base = best.get("none")!;
    for (const [name, row] of best) {
      const cost = name === "none" ? "" : `${((1 - row.rps / base.rps) * 100).toFixed(1)} %`;
      const read = name === "100 on every key" ? `${fmt(row.read)} of ${fmt(requests)}` : "";
      console.log(
        `| ${pipeline} | ${name} | ${fmt(row.rps)} | ${cost} | ${row.cpu.toFixed(1)} | ` +
          `${row.subCpu.toFixed(1)} | ${read} | ${name === "100 on every key" ? row.lagged : ""} |`,
      );
    }
  }
} finally {
  await server?.stop();
}
