// Redis Cluster compatibility with real processes and real tools: nodes formed by CLUSTER MEET,
// ioredis Cluster traffic, redis-cli --cluster create/check/reshard, automatic slot assignment
// and live rebalancing to a new node, identity kept across restarts. Ports 7640-7669 (+10000).

import assert from "node:assert/strict";
import { join } from "node:path";
import { Cluster } from "ioredis";
import { RespClient } from "../src/resp/client.ts";
import { slotOf, slotOfKey } from "../src/cluster/slots.ts";
import { evenRanges } from "../src/cluster/auto_assign.ts";
import { spawnNode, startLocalCluster, waitForPing, waitForState } from "../scripts/cluster.ts";
import { redisServerAvailable } from "./helpers/server.ts";

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const haveRedisCli = redisServerAvailable();

/** Runs redis-cli with arguments; returns its output (stdout + stderr) and success. */
async function redisCli(args: string[], stdin?: string): Promise<{ ok: boolean; out: string }> {
  const p = new Deno.Command("redis-cli", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(enc.encode(stdin));
    await w.close();
  }
  const r = await p.output();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

async function call(port: number, ...args: string[]) {
  const c = await RespClient.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

const text = (r: unknown) => typeof r === "string" ? r : (r as { "=": string })["="];

/** Slots a node owns according to its own CLUSTER NODES line. */
async function mySlotCount(port: number): Promise<number> {
  const line = text(await call(port, "CLUSTER", "NODES")).split("\n").find((l) =>
    l.includes("myself")
  )!;
  let n = 0;
  for (const r of line.split(" ").slice(8)) {
    if (r.startsWith("[")) continue; // an open (migrating/importing) slot
    const [a, b] = r.split("-").map(Number);
    n += (b ?? a) - a + 1;
  }
  return n;
}

Deno.test("key slots are CRC16/XMODEM mod 16384 with Redis's hash tag rule", () => {
  assert.equal(slotOf(enc.encode("123456789")), 0x31c3 % 16384);
  assert.equal(slotOf(enc.encode("foo")), 12182);
  assert.equal(slotOf(enc.encode("{user1}.a")), 8106);
  assert.equal(slotOf(enc.encode("{user1}.a")), slotOf(enc.encode("user1")));
  // An empty tag hashes the whole key; only the first tag counts.
  assert.equal(slotOf(enc.encode("{}a")), slotOfKey("{}a"));
  assert.equal(slotOf(enc.encode("a{b}{c}")), slotOf(enc.encode("b")));
  assert.equal(slotOfKey("\xff{\x00\x01}"), slotOf(new Uint8Array([0, 1])));
  assert.deepEqual(evenRanges(3), [[0, 5460], [5461, 10922], [10923, 16383]]);
});

Deno.test({
  name:
    "auto mode: MEET-only cluster serves ioredis, a 4th node gets a quarter, restarts keep identity",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "reredis-cluster-" });
    const cluster = await startLocalCluster({
      nodes: 3,
      port: 7640,
      httpPort: 0,
      dir,
      nodeTimeout: 3000,
      extra: ["--appendfsync", "everysec"],
    });
    const extraProcs: Deno.ChildProcess[] = [];
    const client = new Cluster([{ host: "127.0.0.1", port: 7640 }], {
      retryDelayOnMoved: 0,
      retryDelayOnTryAgain: 20,
    });
    try {
      // Three masters that only met each other split the slots evenly.
      for (const port of cluster.ports) {
        const n = await mySlotCount(port);
        assert.ok(n === 5461 || n === 5462, `port ${port} owns ${n} slots`);
      }
      const N = 10_000;
      for (let i = 0; i < N; i += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, j) => client.set(`key:${i + j}`, `v${i + j}`)),
        );
      }
      const sizes = await Promise.all(cluster.ports.map((p) => call(p, "DBSIZE")));
      assert.equal(sizes.reduce((a, b) => Number(a) + Number(b), 0), N);
      for (const s of sizes) assert.ok(Number(s) > N / 4, `unbalanced: ${sizes}`);
      const got = await Promise.all(Array.from({ length: N }, (_, i) => client.get(`key:${i}`)));
      got.forEach((v, i) => assert.equal(v, `v${i}`));

      // A fourth empty master joins by MEET and receives about a quarter of the slots, live.
      const p4 = 7643;
      extraProcs.push(await spawnNode(p4, join(dir, String(p4)), ["--http-port", "0"]));
      await waitForPing(p4, 30_000);
      assert.deepEqual(await call(p4, "CLUSTER", "MEET", "127.0.0.1", "7640"), { "+": "OK" });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (await mySlotCount(p4)) < 4096) await sleep(500);
      assert.equal(await mySlotCount(p4), 4096);
      for (const p of cluster.ports) assert.equal(await mySlotCount(p), 4096);
      await waitForState(p4, "ok", 10_000);
      const dbsize4 = Number(await call(p4, "DBSIZE"));
      assert.ok(dbsize4 > N / 5 && dbsize4 < N / 3, `new node has ${dbsize4} keys`);
      const again = await Promise.all(Array.from({ length: N }, (_, i) => client.get(`key:${i}`)));
      again.forEach((v, i) => assert.equal(v, `v${i}`));
      const total = await Promise.all([...cluster.ports, p4].map((p) => call(p, "DBSIZE")));
      assert.equal(total.reduce((a, b) => Number(a) + Number(b), 0), N);

      // Restart: same id, same slots, same keys (nodes.conf + WAL).
      const id = await call(p4, "CLUSTER", "MYID");
      const slotsBefore = await mySlotCount(p4);
      extraProcs[0].kill("SIGTERM");
      await extraProcs[0].status;
      extraProcs.push(await spawnNode(p4, join(dir, String(p4)), ["--http-port", "0"]));
      await waitForPing(p4, 30_000);
      assert.equal(await call(p4, "CLUSTER", "MYID"), id);
      assert.equal(await mySlotCount(p4), slotsBefore);
      assert.equal(Number(await call(p4, "DBSIZE")), dbsize4);
      const conf = await Deno.readTextFile(join(dir, String(p4), "nodes.conf"));
      assert.match(
        conf,
        new RegExp(`^${id} 127\\.0\\.0\\.1:${p4}@${p4 + 10000} myself,master`, "m"),
      );
      assert.match(conf, /^vars currentEpoch \d+ lastVoteEpoch 0$/m);
      await waitForState(p4, "ok", 20_000);
    } finally {
      client.disconnect();
      for (const p of extraProcs) {
        try {
          p.kill("SIGKILL");
        } catch { /* gone */ }
        await p.status;
      }
      await cluster.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "manual mode: redis-cli --cluster create, check, and reshard 1000 slots under writes",
  ignore: !haveRedisCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "reredis-cluster-" });
    const ports = [7650, 7651, 7652];
    const procs: Deno.ChildProcess[] = [];
    let client: Cluster | undefined;
    try {
      for (const p of ports) {
        const extra = ["--http-port", "0", "--cluster-auto-assign", "no", "--appendonly", "no"];
        procs.push(await spawnNode(p, join(dir, String(p)), extra));
      }
      for (const p of ports) await waitForPing(p, 30_000);
      // Manual mode: nothing is assigned until a tool does it.
      assert.equal(await mySlotCount(7650), 0);
      const create = await redisCli(
        ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"],
      );
      assert.ok(create.ok, create.out);
      assert.match(create.out, /\[OK\] All 16384 slots covered/);
      const check = await redisCli(["--cluster", "check", "127.0.0.1:7651"]);
      assert.ok(check.ok, check.out);
      assert.match(check.out, /\[OK\] All nodes agree about slots configuration/);
      assert.match(check.out, /\[OK\] All 16384 slots covered/);
      for (const p of ports) await waitForState(p, "ok", 10_000);

      client = new Cluster([{ host: "127.0.0.1", port: 7650 }], {
        retryDelayOnMoved: 0,
        retryDelayOnTryAgain: 20,
      });
      for (let i = 0; i < 5000; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => client!.set(`pre:${i + j}`, "x")));
      }
      // A client keeps writing while 1000 slots move from the first node to the second.
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          const batch = [];
          for (let j = 0; j < 20; j++, written++) {
            batch.push(client!.set(`w:${written}`, String(written)));
          }
          await Promise.all(batch);
        }
      })();
      const from = String(await call(7650, "CLUSTER", "MYID"));
      const to = String(await call(7651, "CLUSTER", "MYID"));
      const reshard = await redisCli([
        "--cluster",
        "reshard",
        "127.0.0.1:7650",
        "--cluster-from",
        from,
        "--cluster-to",
        to,
        "--cluster-slots",
        "1000",
        "--cluster-yes",
        "--cluster-pipeline",
        "50",
      ]);
      writing = false;
      await writer;
      assert.ok(reshard.ok, reshard.out.slice(-2000));
      assert.equal(await mySlotCount(7650), 5461 - 1000);
      assert.equal(await mySlotCount(7651), 5462 + 1000);
      assert.ok(written > 1000, `only ${written} writes during the reshard`);
      const values = await Promise.all(
        Array.from({ length: written }, (_, i) => client!.get(`w:${i}`)),
      );
      const lost = values.filter((v, i) => v !== String(i)).length;
      assert.equal(lost, 0, `${lost} of ${written} writes lost`);
      const after = await redisCli(["--cluster", "check", "127.0.0.1:7652"]);
      assert.match(after.out, /\[OK\] All nodes agree about slots configuration/);
      assert.doesNotMatch(after.out, /\[WARNING\]|\[ERR\]/);
      const sizes = await Promise.all(ports.map((p) => call(p, "DBSIZE")));
      assert.equal(sizes.reduce((a, b) => Number(a) + Number(b), 0), 5000 + written);
    } finally {
      client?.disconnect();
      for (const p of procs) {
        try {
          p.kill("SIGKILL");
        } catch { /* gone */ }
        await p.status;
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
