// Redis Cluster compatibility with real processes and real tools: nodes formed by CLUSTER MEET,
// ioredis Cluster traffic, redis-cli --cluster create/check/reshard, automatic slot assignment
// and live rebalancing to a new node, identity kept across restarts. Nodes take free ports in
// 7640-7699 (bus ports +10000), so concurrent runs do not collide; 7600-7639 is left for
// `deno task cluster` and scripts/bench_cluster.ts.

import assert from "node:assert/strict";
import { join } from "node:path";
import { Cluster } from "ioredis";
import { RespClient } from "../src/resp/client.ts";
import { slotOf, slotOfKey } from "../src/cluster/slots.ts";
import { evenRanges } from "../src/cluster/auto_assign.ts";
import { spawnNode, startLocalCluster, waitForPing, waitForState } from "../scripts/cluster.ts";
import { redisServerAvailable, startReredis } from "./helpers/server.ts";

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const haveRedisCli = redisServerAvailable();
/** CLUSTER_TEST_LOG=1 streams every node's log (prefixed with its port) for debugging. */
const nodeLog = Deno.env.get("CLUSTER_TEST_LOG") ? (l: string) => console.log(l) : undefined;

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

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** `n` consecutive free ports in 7640-7699 whose cluster bus ports (+10000) are free too. */
function freeBlock(n: number): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 7640 + Math.floor(Math.random() * (60 - n));
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = portFree(p) && portFree(p + 10000);
    if (ok) return base;
  }
  throw new Error("no free ports in 7640-7699");
}

const text = (r: unknown) => typeof r === "string" ? r : (r as { "=": string })["="];

/** Slots a node owns according to its own CLUSTER NODES line. */
/** Kills spawned nodes (some may have exited already) and waits for them to be gone. */
async function killAll(procs: Deno.ChildProcess[]): Promise<void> {
  for (const p of procs) {
    try {
      p.kill("SIGKILL");
    } catch { /* gone */ }
    await p.status;
  }
}

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

/** Cluster-mode commands compared byte for byte with a fresh single-node redis-server cluster. */
const FRESH_NODE_SCRIPT = [
  "CLUSTER INFO",
  "CLUSTER KEYSLOT foo",
  "CLUSTER KEYSLOT {user1}.a",
  'CLUSTER KEYSLOT ""',
  "CLUSTER COUNTKEYSINSLOT 0",
  "CLUSTER COUNTKEYSINSLOT -1",
  "CLUSTER COUNTKEYSINSLOT 16384",
  "CLUSTER COUNTKEYSINSLOT x",
  "CLUSTER GETKEYSINSLOT 0 10",
  "CLUSTER GETKEYSINSLOT 0 -1",
  "CLUSTER GETKEYSINSLOT 16384 1",
  "CLUSTER GETKEYSINSLOT x 1",
  "GET foo",
  "SET foo bar",
  "MGET a b",
  "SPUBLISH ch msg",
  'EVAL "return 1" 1 k',
  'EVAL "return 1" 0',
  "MULTI",
  "SET foo bar",
  "EXEC",
  "CLUSTER ADDSLOTS 16384",
  "CLUSTER ADDSLOTS x",
  "CLUSTER ADDSLOTS 1 1",
  "CLUSTER ADDSLOTSRANGE 5 1",
  "CLUSTER ADDSLOTSRANGE 1",
  "CLUSTER ADDSLOTSRANGE 1 2 3",
  "CLUSTER DELSLOTS 1",
  "CLUSTER DELSLOTSRANGE 1 2",
  "CLUSTER SETSLOT 1 foo",
  "CLUSTER SETSLOT 1 node",
  "CLUSTER SETSLOT 1 node abc",
  "CLUSTER SETSLOT 1 migrating abc",
  "CLUSTER SETSLOT 1 importing abc",
  "CLUSTER SETSLOT x stable",
  "CLUSTER SETSLOT 1 stable extra",
  "CLUSTER SETSLOT 1 stable",
  "CLUSTER MEET 127.0.0.1 x",
  "CLUSTER MEET 1.2.3 10",
  "CLUSTER MEET 127.0.0.1 7690 x",
  "CLUSTER MEET 127.0.0.1 0",
  "CLUSTER MEET 127.0.0.1 70000",
  "CLUSTER FORGET abc",
  "CLUSTER FORGET $ID",
  "CLUSTER REPLICATE abc",
  "CLUSTER REPLICATE $ID",
  "CLUSTER REPLICAS abc",
  "CLUSTER REPLICAS $ID",
  "CLUSTER SLAVES abc",
  "CLUSTER COUNT-FAILURE-REPORTS abc",
  "CLUSTER COUNT-FAILURE-REPORTS $ID",
  "CLUSTER SET-CONFIG-EPOCH -1",
  "CLUSTER SET-CONFIG-EPOCH x",
  "CLUSTER BUMPEPOCH",
  "CLUSTER BUMPEPOCH",
  "CLUSTER SET-CONFIG-EPOCH 5",
  "CLUSTER RESET foo",
  "CLUSTER FAILOVER foo",
  "CLUSTER FAILOVER",
  "CLUSTER SLOTS",
  "CLUSTER LINKS",
  "CLUSTER SAVECONFIG",
  "CLUSTER FLUSHSLOTS",
  "SELECT 1",
  "SELECT 0",
  "READONLY",
  "READWRITE",
  "ASKING",
  "CLUSTER MYID",
  "CLUSTER ADDSLOTSRANGE 0 16383",
  "@wait-ok",
  "CLUSTER INFO",
  "MSET a 1 b 2",
  "MSET {a}1 1 {a}2 2",
  "SPUBLISH ch msg",
  "SSUBSCRIBE a b",
  'EVAL "return 1" 2 a b',
  'EVAL "return 1" 2 {a}1 {a}2',
  "MULTI",
  "GET a",
  "GET b",
  "EXEC",
  "MULTI",
  "EXEC",
  "GET foo",
  "SET foo bar",
  "CLUSTER COUNTKEYSINSLOT 12182",
  "CLUSTER GETKEYSINSLOT 12182 10",
  "CLUSTER SETSLOT 12182 NODE $ID",
  "CLUSTER SETSLOT 12182 IMPORTING $ID",
  "CLUSTER SETSLOT 12182 MIGRATING $ID",
  "CLUSTER SETSLOT 12182 STABLE",
  "CLUSTER FLUSHSLOTS",
  "CLUSTER RESET",
  "CLUSTER DELSLOTS 12182",
  "GET foo",
  "CLUSTER ADDSLOTS 12182",
  "DEL foo {a}1 {a}2",
  "MIGRATE 127.0.0.1 1 k 0 1000",
  'MIGRATE 127.0.0.1 1 "" 0 1000 KEYS {a}1 {a}2',
];

function words(line: string): string[] {
  return (line.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.startsWith('"') ? w.slice(1, -1) : w);
}

Deno.test({
  name: "a fresh cluster node answers CLUSTER commands and redirections like redis-server",
  ignore: !haveRedisCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "reredis-cluster-" });
    const procs: Deno.ChildProcess[] = [];
    try {
      const base = freeBlock(2);
      const [mine, theirs] = [base, base + 1];
      procs.push(await spawnNode(mine, join(dir, "reredis"), ["--http-port", "0"]));
      await Deno.mkdir(join(dir, "redis"));
      procs.push(
        new Deno.Command("redis-server", {
          args: ["--port", String(theirs), "--cluster-enabled", "yes", "--save", ""],
          cwd: join(dir, "redis"),
          stdout: "null",
          stderr: "null",
        }).spawn(),
      );
      await waitForPing(mine, 30_000, procs[0].pid);
      await waitForPing(theirs, 30_000, procs[1].pid);
      const sides = await Promise.all([mine, theirs].map((p) => RespClient.connect(p)));
      const ids = await Promise.all(
        sides.map(async (c) => String(await c.call("CLUSTER", "MYID"))),
      );
      const diffs: string[] = [];
      for (const line of FRESH_NODE_SCRIPT) {
        if (line === "@wait-ok") {
          await waitForState(mine, "ok", 10_000);
          await waitForState(theirs, "ok", 10_000);
          continue;
        }
        const raw: string[] = [];
        for (let i = 0; i < 2; i++) {
          await sides[i].send(...words(line.replaceAll("$ID", ids[i])));
          const r = await sides[i].readRaw();
          raw.push(new TextDecoder().decode(r!).replaceAll(ids[i], "<id>"));
        }
        if (raw[0] !== raw[1]) diffs.push(`${line}\n  reredis: ${raw[0]}\n  redis:   ${raw[1]}`);
      }
      for (const c of sides) c.close();
      assert.equal(diffs.length, 0, diffs.join("\n"));
    } finally {
      await killAll(procs);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "auto mode: MEET-only cluster serves ioredis, a 4th node gets a quarter, restarts keep identity",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "reredis-cluster-" });
    const base = freeBlock(4);
    const cluster = await startLocalCluster({
      nodes: 3,
      port: base,
      httpPort: 0,
      dir,
      nodeTimeout: 3000,
      extra: ["--appendfsync", "everysec"],
      log: nodeLog,
    });
    const extraProcs: Deno.ChildProcess[] = [];
    const client = new Cluster([{ host: "127.0.0.1", port: base }], {
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
      const p4 = base + 3;
      extraProcs.push(await spawnNode(p4, join(dir, String(p4)), ["--http-port", "0"], nodeLog));
      await waitForPing(p4, 30_000, extraProcs[0].pid);
      assert.deepEqual(await call(p4, "CLUSTER", "MEET", "127.0.0.1", String(base)), {
        "+": "OK",
      });
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
      extraProcs.push(await spawnNode(p4, join(dir, String(p4)), ["--http-port", "0"], nodeLog));
      await waitForPing(p4, 30_000, extraProcs[1].pid);
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
      await killAll(extraProcs);
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
    const base = freeBlock(3);
    const ports = [base, base + 1, base + 2];
    const procs: Deno.ChildProcess[] = [];
    let client: Cluster | undefined;
    try {
      for (const p of ports) {
        const extra = ["--http-port", "0", "--cluster-auto-assign", "no", "--appendonly", "no"];
        procs.push(await spawnNode(p, join(dir, String(p)), extra, nodeLog));
      }
      for (let i = 0; i < ports.length; i++) await waitForPing(ports[i], 30_000, procs[i].pid);
      // Manual mode: nothing is assigned until a tool does it.
      assert.equal(await mySlotCount(ports[0]), 0);
      const create = await redisCli(
        ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"],
      );
      assert.ok(create.ok, create.out);
      assert.match(create.out, /\[OK\] All 16384 slots covered/);
      const check = await redisCli(["--cluster", "check", `127.0.0.1:${ports[1]}`]);
      assert.ok(check.ok, check.out);
      assert.match(check.out, /\[OK\] All nodes agree about slots configuration/);
      assert.match(check.out, /\[OK\] All 16384 slots covered/);
      for (const p of ports) await waitForState(p, "ok", 10_000);

      client = new Cluster([{ host: "127.0.0.1", port: ports[0] }], {
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
      const from = String(await call(ports[0], "CLUSTER", "MYID"));
      const to = String(await call(ports[1], "CLUSTER", "MYID"));
      const reshard = await redisCli([
        "--cluster",
        "reshard",
        `127.0.0.1:${ports[0]}`,
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
      assert.equal(await mySlotCount(ports[0]), 5461 - 1000);
      assert.equal(await mySlotCount(ports[1]), 5462 + 1000);
      assert.ok(written > 1000, `only ${written} writes during the reshard`);
      const values = await Promise.all(
        Array.from({ length: written }, (_, i) => client!.get(`w:${i}`)),
      );
      const lost = values.filter((v, i) => v !== String(i)).length;
      assert.equal(lost, 0, `${lost} of ${written} writes lost`);
      const after = await redisCli(["--cluster", "check", `127.0.0.1:${ports[2]}`]);
      assert.match(after.out, /\[OK\] All nodes agree about slots configuration/);
      assert.doesNotMatch(after.out, /\[WARNING\]|\[ERR\]/);
      const sizes = await Promise.all(ports.map((p) => call(p, "DBSIZE")));
      assert.equal(sizes.reduce((a, b) => Number(a) + Number(b), 0), 5000 + written);
    } finally {
      client?.disconnect();
      await killAll(procs);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "a killed master is flagged PFAIL then FAIL by majority; back up, the cluster is ok again",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "reredis-cluster-" });
    const base = freeBlock(3);
    const timeout = 1500;
    const cluster = await startLocalCluster({
      nodes: 3,
      port: base,
      httpPort: 0,
      dir,
      nodeTimeout: timeout,
      extra: ["--appendonly", "no"],
      log: nodeLog,
    });
    let restarted: Deno.ChildProcess | undefined;
    try {
      const victim = base + 2;
      const id = String(await call(victim, "CLUSTER", "MYID"));
      const pid = Number(/process_id:(\d+)/.exec(String(await call(victim, "INFO", "server")))![1]);
      Deno.kill(pid, "SIGKILL");
      const flagsOf = async (port: number) =>
        text(await call(port, "CLUSTER", "NODES")).split("\n").find((l) => l.startsWith(id))!
          .split(" ")[2];
      const t0 = Date.now();
      while (!(await flagsOf(base)).split(",").includes("fail")) {
        assert.ok(Date.now() - t0 < timeout * 6, `not failed: ${await flagsOf(base)}`);
        await sleep(100);
      }
      assert.ok(Date.now() - t0 >= timeout * 0.9, "flagged before the node timeout");
      await waitForState(base, "fail", 5000);
      await waitForState(base + 1, "fail", 5000);
      assert.match(await flagsOf(base + 1), /\bfail\b/);
      // Back with the same identity (nodes.conf written atomically survived the SIGKILL).
      restarted = await spawnNode(victim, join(dir, String(victim)), [
        "--http-port",
        "0",
        "--appendonly",
        "no",
        "--cluster-node-timeout",
        String(timeout),
      ], nodeLog);
      await waitForPing(victim, 30_000, restarted.pid);
      assert.equal(await call(victim, "CLUSTER", "MYID"), id);
      for (const p of cluster.ports) await waitForState(p, "ok", 20_000);
      assert.doesNotMatch(await flagsOf(base), /fail/);
    } finally {
      if (restarted) await killAll([restarted]);
      await cluster.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "MIGRATE moves keys between servers: single key, KEYS, COPY, REPLACE, AUTH, TTL kept",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const src = await startReredis(["--appendonly", "no"]);
    const dst = await startReredis(["--appendonly", "no", "--requirepass", "pw"]);
    const a = await RespClient.connect(src.port);
    const b = await RespClient.connect(dst.port);
    try {
      const host = "127.0.0.1";
      const port = String(dst.port);
      assert.deepEqual(await b.call("AUTH", "pw"), { "+": "OK" });
      await a.call("SET", "k1", "v1", "PX", "100000");
      await a.call("RPUSH", "list", "a", "b", "c");
      await a.call("HSET", "h", "f", "v");
      // Without AUTH the target refuses, and the key stays here.
      const noAuth = await a.call("MIGRATE", host, port, "k1", "0", "5000");
      assert.match(
        (noAuth as { "-": string })["-"],
        /^ERR Target instance replied with error: NOAUTH/,
      );
      assert.equal(await a.call("EXISTS", "k1"), 1);
      assert.deepEqual(await a.call("MIGRATE", host, port, "k1", "0", "5000", "AUTH", "pw"), {
        "+": "OK",
      });
      assert.equal(await a.call("EXISTS", "k1"), 0);
      assert.equal(await b.call("GET", "k1"), "v1");
      const ttl = Number(await b.call("PTTL", "k1"));
      assert.ok(ttl > 90_000 && ttl <= 100_000, `ttl ${ttl}`);
      // COPY keeps the source; a second copy without REPLACE hits BUSYKEY, REPLACE overwrites.
      const copy = ["COPY", "AUTH2", "default", "pw", "KEYS", "list", "h"];
      assert.deepEqual(await a.call("MIGRATE", host, port, "", "0", "5000", ...copy), {
        "+": "OK",
      });
      assert.equal(await a.call("EXISTS", "list", "h"), 2);
      assert.deepEqual(await b.call("LRANGE", "list", "0", "-1"), ["a", "b", "c"]);
      await a.call("RPUSH", "list", "d");
      const busy = await a.call("MIGRATE", host, port, "", "0", "5000", ...copy);
      assert.deepEqual(busy, {
        "-": "ERR Target instance replied with error: BUSYKEY Target key name already exists.",
      });
      const replace = ["REPLACE", "AUTH", "pw", "KEYS", "list", "h", "missing"];
      assert.deepEqual(await a.call("MIGRATE", host, port, "", "0", "5000", ...replace), {
        "+": "OK",
      });
      assert.equal(await a.call("EXISTS", "list", "h"), 0);
      assert.deepEqual(await b.call("LRANGE", "list", "0", "-1"), ["a", "b", "c", "d"]);
      assert.deepEqual(await b.call("HGETALL", "h"), ["f", "v"]);
      assert.deepEqual(await a.call("MIGRATE", host, port, "", "0", "5000", "KEYS", "nope"), {
        "+": "NOKEY",
      });
    } finally {
      a.close();
      b.close();
      await src.stop();
      await dst.stop();
    }
  },
});

/** The port of the node that owns `slot`, according to CLUSTER SLOTS on `port`. */
async function ownerPort(port: number, slot: number): Promise<number | undefined> {
  const ranges = await call(port, "CLUSTER", "SLOTS") as [number, number, [string, number]][];
  return ranges.find(([a, b]) => slot >= a && slot <= b)?.[2][1];
}

Deno.test({
  name: "auto mode: a slot left open half-way (keys on both sides) is finished by the leader",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "reredis-cluster-" });
    const base = freeBlock(2);
    const cluster = await startLocalCluster({
      nodes: 2,
      port: base,
      httpPort: 0,
      dir,
      nodeTimeout: 1000,
      extra: ["--appendonly", "no"],
      log: nodeLog,
    });
    try {
      const slot = slotOf(enc.encode("{open}"));
      const src = (await ownerPort(base, slot))!;
      const dst = src === base ? base + 1 : base;
      const srcId = String(await call(src, "CLUSTER", "MYID"));
      const dstId = String(await call(dst, "CLUSTER", "MYID"));
      for (let i = 0; i < 20; i++) await call(src, "SET", `{open}:${i}`, String(i));
      // A move that stopped half-way: both sides open, two keys already on the target.
      await call(dst, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", srcId);
      await call(src, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", dstId);
      const keys = ["KEYS", "{open}:0", "{open}:1"];
      const moved = await call(src, "MIGRATE", "127.0.0.1", String(dst), "", "0", "5000", ...keys);
      assert.deepEqual(moved, { "+": "OK" });
      // Meanwhile: the source serves the keys it has and sends the others with -ASK; the target
      // serves them only after ASKING; a multi-key command split across both gets -TRYAGAIN.
      const ask = { "-": `ASK ${slot} 127.0.0.1:${dst}` };
      assert.equal(await call(src, "GET", "{open}:5"), "5");
      assert.deepEqual(await call(src, "GET", "{open}:0"), ask);
      assert.deepEqual(await call(src, "MGET", "{open}:0", "{open}:5"), ask);
      assert.deepEqual(await call(dst, "GET", "{open}:0"), {
        "-": `MOVED ${slot} 127.0.0.1:${src}`,
      });
      const t = await RespClient.connect(dst);
      assert.deepEqual(await t.call("ASKING"), { "+": "OK" });
      assert.equal(await t.call("GET", "{open}:0"), "0");
      assert.deepEqual(await t.call("GET", "{open}:1"), { "-": `MOVED ${slot} 127.0.0.1:${src}` });
      await t.call("ASKING");
      assert.deepEqual(await t.call("MGET", "{open}:0", "{open}:5"), {
        "-": "TRYAGAIN Multiple keys request during rehashing of slot",
      });
      t.close();
      const deadline = Date.now() + 40_000;
      for (;;) {
        const nodes = text(await call(src, "CLUSTER", "NODES")) +
          text(await call(dst, "CLUSTER", "NODES"));
        if (!nodes.includes("[") && (await ownerPort(src, slot)) === dst) break;
        assert.ok(Date.now() < deadline, `still open:\n${nodes}`);
        await sleep(500);
      }
      assert.equal(await call(dst, "CLUSTER", "COUNTKEYSINSLOT", String(slot)), 20);
      assert.equal(await call(src, "CLUSTER", "COUNTKEYSINSLOT", String(slot)), 0);
      assert.equal(await call(dst, "GET", "{open}:19"), "19");
    } finally {
      await cluster.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
