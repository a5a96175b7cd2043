// Streams: ids and node layout (unit), the propagated forms and their replay (in-process, through
// the write path), DUMP/RESTORE, blocking XREAD/XREADGROUP wake-ups and consumer groups over the
// wire (ioredis, node-redis, raw RESP), WAL restart and compaction, node boundaries at scale
// against redis-server, and memory per entry.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { RespClient } from "../src/resp/client.ts";
import { Stream } from "../src/store/stream.ts";
import { parseStreamId, StreamId } from "../src/store/stream_id.ts";
import { cloneValue, deserializeValue, serializeValue } from "../src/store/dump.ts";
import { redisServerAvailable, startRedis, startReredis } from "./helpers/server.ts";
import { bytesOf, type Harness, inProcess as harness } from "./helpers/in_process.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wire = { sanitizeOps: false, sanitizeResources: false };

const inProcess = () => harness({ event: (e) => `${e.event}:${e.key}` });

/** Replays propagated commands into a fresh server as the WAL loader would. */
function replay(commands: string[], config: [string, string][] = []): Harness {
  const h = inProcess();
  for (const [k, v] of config) h.server.config.set(k, v);
  const loader = h.server.internalClient();
  loader.loader = true;
  for (const line of commands) h.server.execute(loader, line.split(" ").map(bytesOf));
  return h;
}

/** Everything observable about a stream except wall-clock fields. */
function state(h: Harness, key: string): string {
  return [
    h.run("XRANGE", key, "-", "+"),
    h.run("XINFO", "STREAM", key, "FULL").replace(/:1\d{12}\r\n/g, ":<ms>\r\n"),
    h.run("XPENDING", key, "g").replace(/:\d+\r\n/g, ":n\r\n"),
  ].join("|");
}

// ---------------------------------------------------------------------------------------------
// Ids and layout

Deno.test("stream ids are exact u64 pairs and parse with Redis's string2ull quirks", () => {
  const p = (s: string, strict = true) => parseStreamId(bytesOf(s), "zero", strict)?.id.toString();
  assert.equal(
    p("18446744073709551615-18446744073709551615"),
    "18446744073709551615-18446744073709551615",
  );
  assert.equal(p("18446744073709551616"), undefined);
  assert.equal(p("5"), "5-0");
  assert.equal(p("-0"), undefined, "'-0' as a whole is ms '' and seq '0'");
  assert.equal(p("1--0"), "1-0", "strtoull accepts -0");
  assert.equal(p("1- 7"), "1-7", "and leading blanks");
  assert.equal(p("+1-01"), "1-1");
  assert.equal(p("1--1"), undefined, "string2ll sees a negative number");
  assert.equal(p("-", false), "0-0");
  assert.equal(p("+", false), "18446744073709551615-18446744073709551615");
  assert.equal(p("-"), undefined);
  assert.equal(parseStreamId(bytesOf("7-*"), "zero", true, true)?.seqGiven, false);
  const max = StreamId.of(0, 0).prev();
  assert.equal(max, undefined);
  assert.equal(new StreamId(0, 1, 0xffffffff, 0xffffffff).next()?.toString(), "2-0");
});

Deno.test("nodes split where Redis's listpacks split (entries and emulated bytes)", () => {
  const s = new Stream();
  const lim = { maxEntries: 100, maxBytes: 4096 };
  for (let i = 1; i <= 250; i++) {
    s.append(StreamId.of(i, 0), [bytesOf("f"), bytesOf("v")], 0, 1, lim);
  }
  assert.deepEqual(s.nodes.map((n) => n.count), [100, 100, 50]);
  const big = new Stream();
  const v = bytesOf("x".repeat(1000));
  for (let i = 1; i <= 10; i++) big.append(StreamId.of(i, 0), [bytesOf("f"), v], 0, 1, lim);
  assert.deepEqual(big.nodes.map((n) => n.count), [4, 4, 2], "4 KiB of listpack per node");
  assert.equal(s.radixTreeNodes() > 3, true);
});

// ---------------------------------------------------------------------------------------------
// Propagation and replay

Deno.test("XADD * propagates its generated id; an approximate trim propagates as = <result>", () => {
  const h = inProcess();
  h.server.config.set("stream-node-max-entries", "2");
  const id = h.run("XADD", "auto", "*", "f", "v").split("\r\n")[1];
  h.run("XADD", "s", "5-*", "f", "v");
  h.run("XADD", "s", "5-*", "f", "v");
  h.run("XADD", "s", "MAXLEN", "~", "1", "6-1", "f", "v");
  h.run("XADD", "s", "MINID", "~", "9", "7-1", "f", "v");
  assert.deepEqual(h.take(), {
    commands: [
      `XADD auto ${id} f v`,
      "XADD s 5-0 f v",
      "XADD s 5-1 f v",
      "XADD s MAXLEN = 1 6-1 f v", // the full 2-entry head node went
      "XADD s MINID = 18446744073709551615-18446744073709551615 7-1 f v", // emptied: first id is max
    ],
    events: ["xadd:auto", "xadd:s", "xadd:s", "xadd:s", "xtrim:s", "xadd:s", "xtrim:s"],
  });
  h.run("XADD", "s", "8-0", "f", "v");
  h.run("XADD", "s", "9-0", "f", "v");
  h.run("XADD", "s", "10-0", "f", "v");
  h.take();
  assert.equal(h.run("XTRIM", "s", "MAXLEN", "~", "1"), ":2\r\n");
  assert.deepEqual(h.take().commands, ["XTRIM s MAXLEN = 1"]);
});

Deno.test("XREADGROUP propagates an XCLAIM per delivered entry; NOACK the consumer and SETID", () => {
  const h = inProcess();
  h.run("XADD", "s", "1-0", "f", "v");
  h.run("XADD", "s", "2-0", "f", "v");
  h.run("XGROUP", "CREATE", "s", "g", "0");
  h.take();
  h.run("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">");
  const t = h.take();
  assert.equal(t.commands.length, 2);
  assert.match(
    t.commands[0],
    /^XCLAIM s g alice 0 1-0 TIME \d+ RETRYCOUNT 1 FORCE JUSTID LASTID 1-0$/,
  );
  assert.match(
    t.commands[1],
    /^XCLAIM s g alice 0 2-0 TIME \d+ RETRYCOUNT 1 FORCE JUSTID LASTID 2-0$/,
  );
  assert.deepEqual(t.events, ["xgroup-createconsumer:s"]);
  h.run("XADD", "s", "3-0", "f", "v");
  h.take();
  h.run("XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">");
  assert.deepEqual(h.take().commands, [
    "XGROUP CREATECONSUMER s g bob",
    "XGROUP SETID s g 3-0 ENTRIESREAD 3",
  ]);
  h.run("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0");
  assert.deepEqual(h.take(), { commands: [], events: [] }, "history reads propagate nothing");
});

Deno.test("XCLAIM / XAUTOCLAIM propagate XCLAIM forms and drop entries deleted meanwhile", () => {
  const h = inProcess();
  for (const id of ["1-0", "2-0", "3-0"]) h.run("XADD", "s", id, "f", "v");
  h.run("XGROUP", "CREATE", "s", "g", "0");
  h.run("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">");
  h.run("XDEL", "s", "2-0");
  h.take();
  assert.equal(h.run("XCLAIM", "s", "g", "bob", "0", "1", "JUSTID"), "*1\r\n$3\r\n1-0\r\n");
  assert.match(h.take().commands.join(), /^XCLAIM s g bob 0 1 TIME \d+ RETRYCOUNT 1 FORCE/);
  const r = h.run("XAUTOCLAIM", "s", "g", "carol", "0", "0", "JUSTID");
  assert.equal(r, "*3\r\n$3\r\n0-0\r\n*2\r\n$3\r\n1-0\r\n$3\r\n3-0\r\n*1\r\n$3\r\n2-0\r\n");
  const cmds = h.take().commands;
  assert.equal(cmds.length, 3);
  assert.match(cmds[0], /^XCLAIM s g carol 0 1-0 /);
  assert.match(
    cmds[1],
    /^XCLAIM s g alice 0 2-0 /,
    "the deleted entry's XCLAIM drops it on replay",
  );
  assert.equal(h.run("XPENDING", "s", "g").startsWith("*4\r\n:2\r\n"), true);
});

Deno.test("replaying the propagated commands rebuilds the same stream, groups and PEL", () => {
  const h = inProcess();
  h.server.config.set("stream-node-max-entries", "3");
  for (let i = 1; i <= 20; i++) h.run("XADD", "s", "MAXLEN", "~", "12", `${i}-*`, "f", `${i}`);
  h.run("XDEL", "s", "15-0");
  h.run("XGROUP", "CREATE", "s", "g", "0");
  h.run("XREADGROUP", "GROUP", "g", "a", "COUNT", "4", "STREAMS", "s", ">");
  h.run("XREADGROUP", "GROUP", "g", "b", "NOACK", "COUNT", "2", "STREAMS", "s", ">");
  h.run("XREADGROUP", "GROUP", "g", "c", "COUNT", "3", "STREAMS", "s", ">");
  h.run("XACK", "s", "g", "10-0");
  h.run("XCLAIM", "s", "g", "d", "0", "11-0", "RETRYCOUNT", "5");
  h.run("XAUTOCLAIM", "s", "g", "e", "0", "0", "COUNT", "2");
  h.run("XSETID", "s", "30-0", "ENTRIESADDED", "40");
  h.run("XTRIM", "s", "MINID", "~", "13");
  const copy = replay(h.take().commands, [["stream-node-max-entries", "3"]]);
  assert.equal(state(copy, "s"), state(h, "s"));
});

Deno.test("consumer-group changes raise events but leave WATCH valid; XADD invalidates it", () => {
  const h = inProcess();
  h.run("XADD", "s", "1-0", "f", "v");
  h.take();
  h.run("XGROUP", "CREATE", "s", "g", "$");
  h.run("XGROUP", "CREATECONSUMER", "s", "g", "c");
  h.run("XGROUP", "SETID", "s", "g", "0");
  h.run("XSETID", "s", "5-0");
  h.run("XGROUP", "DELCONSUMER", "s", "g", "c");
  h.run("XGROUP", "DESTROY", "s", "g");
  assert.deepEqual(h.take().events, [
    "xgroup-create:s",
    "xgroup-createconsumer:s",
    "xgroup-setid:s",
    "xsetid:s",
    "xgroup-delconsumer:s",
    "xgroup-destroy:s",
  ]);
});

// ---------------------------------------------------------------------------------------------
// DUMP / RESTORE

Deno.test("DUMP/RESTORE keeps entries, node layout, tombstones, counters and groups", () => {
  const h = inProcess();
  h.server.config.set("stream-node-max-entries", "4");
  for (let i = 1; i <= 10; i++) h.run("XADD", "s", `${i}-0`, "f", `${i}`, "g", "x");
  h.run("XADD", "s", "11-0", "other", "fields");
  h.run("XDEL", "s", "2-0", "9-0");
  h.run("XGROUP", "CREATE", "s", "g", "0");
  h.run("XREADGROUP", "GROUP", "g", "a", "COUNT", "3", "STREAMS", "s", ">");
  h.run("XGROUP", "CREATECONSUMER", "s", "g", "idle");
  const s = h.server.dbs[0].dict.get("s") as Stream;
  const back = deserializeValue(serializeValue(s)) as Stream;
  assert.deepEqual(
    back.nodes.map((n) => [n.count, n.deleted, n.lpBytes()]),
    s.nodes.map((n) => [n.count, n.deleted, n.lpBytes()]),
  );
  const dump = h.run("DUMP", "s");
  const payload = dump.slice(dump.indexOf("\r\n") + 2, -2);
  assert.equal(h.run("RESTORE", "t", "0", payload), "+OK\r\n");
  assert.equal(state(h, "t"), state(h, "s"));
  assert.equal(h.run("COPY", "s", "u"), ":1\r\n");
  assert.equal(state(h, "u"), state(h, "s"));
  assert.notEqual(cloneValue(s), s);
  h.run("XADD", "u", "12-0", "f", "v");
  assert.equal(h.run("XLEN", "s"), ":9\r\n", "a copy is independent");
});

// ---------------------------------------------------------------------------------------------
// Over the wire

Deno.test(
  "XREAD BLOCK with $ wakes on the next XADD only, and returns the new entry",
  wire,
  async () => {
    const srv = await startReredis();
    const a = new Redis({ port: srv.port, lazyConnect: true });
    const b = new Redis({ port: srv.port, lazyConnect: true });
    try {
      await a.xadd("s", "1-0", "f", "old");
      const pending = a.xread("BLOCK", 5000, "STREAMS", "s", "$");
      await sleep(50);
      await b.xadd("s", "2-0", "f", "new");
      assert.deepEqual(await pending, [["s", [["2-0", ["f", "new"]]]]]);
      const later = a.xread("BLOCK", 5000, "STREAMS", "nokey", "s", "$", "$");
      await sleep(50);
      await b.set("other", "x"); // unrelated keys do not wake it
      await b.xadd("nokey", "1-0", "a", "1");
      assert.deepEqual(await later, [["nokey", [["1-0", ["a", "1"]]]]]);
      assert.equal(await a.xread("BLOCK", 30, "STREAMS", "s", "$"), null, "timeout → nil");
      // Written in one transaction, the first stream written is the one served (Redis's ready order).
      const one = a.xread("BLOCK", 5000, "STREAMS", "s1", "s2", "$", "$");
      await sleep(50);
      await b.multi().xadd("s2", "1-0", "x", "2").xadd("s1", "1-0", "x", "1").exec();
      assert.deepEqual(await one, [["s2", [["1-0", ["x", "2"]]]]]);
    } finally {
      a.disconnect();
      b.disconnect();
      await srv.stop();
    }
  },
);

Deno.test(
  "blocked XREADGROUP consumers are served first-come and their entries become pending",
  wire,
  async () => {
    const srv = await startReredis();
    const [a, b, w] = [0, 1, 2].map(() => new Redis({ port: srv.port }));
    try {
      await w.xgroup("CREATE", "q", "g", "$", "MKSTREAM");
      const ra = a.xreadgroup(
        "GROUP",
        "g",
        "alice",
        "COUNT",
        1,
        "BLOCK",
        5000,
        "STREAMS",
        "q",
        ">",
      );
      await sleep(30);
      const rb = b.xreadgroup("GROUP", "g", "bob", "COUNT", 1, "BLOCK", 5000, "STREAMS", "q", ">");
      await sleep(30);
      await w.xadd("q", "1-0", "job", "1");
      assert.deepEqual(await ra, [["q", [["1-0", ["job", "1"]]]]]);
      await w.xadd("q", "2-0", "job", "2");
      assert.deepEqual(await rb, [["q", [["2-0", ["job", "2"]]]]]);
      const summary = await w.xpending("q", "g");
      assert.deepEqual(summary, [2, "1-0", "2-0", [["alice", "1"], ["bob", "1"]]]);
      // A blocked group reader learns that its key or group went away.
      const failure = (p: Promise<unknown>) => p.then(() => "served", (e) => String(e));
      const gone = failure(a.xreadgroup("GROUP", "g", "alice", "BLOCK", 5000, "STREAMS", "q", ">"));
      await sleep(30);
      await w.del("q");
      assert.match(await gone, /UNBLOCKED the stream key no longer exists/);
      await w.xgroup("CREATE", "q", "g", "$", "MKSTREAM");
      const gone2 = failure(
        a.xreadgroup("GROUP", "g", "alice", "BLOCK", 5000, "STREAMS", "q", ">"),
      );
      await sleep(30);
      await w.xgroup("DESTROY", "q", "g");
      assert.match(await gone2, /NOGROUP the consumer group this client was blocked on/);
    } finally {
      for (const c of [a, b, w]) c.disconnect();
      await srv.stop();
    }
  },
);

Deno.test(
  "blocking reads: CLIENT UNBLOCK, MULTI answers nil at once, BLOCK 0 waits",
  wire,
  async () => {
    const srv = await startReredis();
    const a = new Redis({ port: srv.port });
    const w = new Redis({ port: srv.port });
    try {
      const id = await a.client("ID");
      const blocked = a.xread("BLOCK", 0, "STREAMS", "s", "$");
      await sleep(50);
      assert.equal(await w.client("UNBLOCK", id), 1);
      assert.equal(await blocked, null);
      const tx = await w.multi().xread("BLOCK", 0, "STREAMS", "s", "$").exec();
      assert.deepEqual(tx, [[null, null]]);
      const forever = a.xread("BLOCK", 0, "STREAMS", "s", "0");
      await sleep(50);
      await w.xadd("s", "5-0", "k", "v");
      assert.deepEqual(await forever, [["s", [["5-0", ["k", "v"]]]]]);
    } finally {
      a.disconnect();
      w.disconnect();
      await srv.stop();
    }
  },
);

Deno.test(
  "consumer groups end to end: PEL, IDLE filters, XCLAIM, XAUTOCLAIM cursor, XACK",
  wire,
  async () => {
    const srv = await startReredis();
    const r = new Redis({ port: srv.port });
    try {
      const pipe = r.pipeline();
      for (let i = 1; i <= 250; i++) pipe.xadd("jobs", `${i}-0`, "n", String(i));
      await pipe.exec();
      await r.xgroup("CREATE", "jobs", "workers", "0");
      const got = await r.xreadgroup("GROUP", "workers", "w1", "STREAMS", "jobs", ">") as [
        string,
        [string, string[]][],
      ][];
      assert.equal(got[0][1].length, 250);
      await sleep(60);
      assert.equal(
        (await r.xpending("jobs", "workers", "IDLE", 50, "-", "+", 1000) as unknown[]).length,
        250,
      );
      assert.equal(
        (await r.xpending("jobs", "workers", "IDLE", 60000, "-", "+", 1000) as unknown[]).length,
        0,
      );
      assert.deepEqual(await r.xclaim("jobs", "workers", "w2", 10, "1-0", "2-0", "JUSTID"), [
        "1-0",
        "2-0",
      ]);
      let cursor = "0-0";
      let claimed = 0;
      let rounds = 0;
      do {
        const [next, entries] = await r.xautoclaim(
          "jobs",
          "workers",
          "w3",
          0,
          cursor,
          "COUNT",
          100,
        ) as [string, unknown[], unknown[]];
        claimed += entries.length;
        cursor = next;
        rounds++;
      } while (cursor !== "0-0");
      assert.equal(claimed, 250);
      assert.equal(rounds, 3);
      const ids = Array.from({ length: 250 }, (_, i) => `${i + 1}-0`);
      assert.equal(await r.xack("jobs", "workers", ...ids), 250);
      assert.deepEqual(await r.xpending("jobs", "workers"), [0, null, null, null]);
      const groups = await r.xinfo("GROUPS", "jobs") as unknown[][];
      assert.deepEqual(groups[0].slice(0, 12), [
        "name",
        "workers",
        "consumers",
        3,
        "pending",
        0,
        "last-delivered-id",
        "250-0",
        "entries-read",
        250,
        "lag",
        0,
      ]);
    } finally {
      r.disconnect();
      await srv.stop();
    }
  },
);

Deno.test(
  "node-redis stream helpers: xAdd, xRead, xReadGroup, xAck, xInfoGroups",
  wire,
  async () => {
    const srv = await startReredis();
    const c = createClient({ socket: { port: srv.port } });
    await c.connect();
    try {
      assert.equal(await c.xAdd("s", "1-0", { a: "1" }), "1-0");
      // node-redis builds messages as null-prototype objects: compare through JSON.
      const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
      assert.deepEqual(plain(await c.xRead({ key: "s", id: "0" })), [
        { name: "s", messages: [{ id: "1-0", message: { a: "1" } }] },
      ]);
      await c.xGroupCreate("s", "g", "0");
      const got = await c.xReadGroup("g", "c1", { key: "s", id: ">" }, { COUNT: 10 });
      assert.deepEqual(plain(got), [{ name: "s", messages: [{ id: "1-0", message: { a: "1" } }] }]);
      assert.equal(await c.xAck("s", "g", "1-0"), 1);
      const [info] = await c.xInfoGroups("s");
      assert.equal(info.name, "g");
      assert.equal(info.pending, 0);
      assert.equal(info.lastDeliveredId, "1-0");
    } finally {
      await c.quit();
      await srv.stop();
    }
  },
);

Deno.test("streams and consumer groups survive a restart and a WAL compaction", wire, async () => {
  const dir = Deno.makeTempDirSync({ prefix: "reredis-streams-" });
  const snap = async (port: number) => {
    const c = await RespClient.connect(port);
    const out = [
      await c.call("XRANGE", "s", "-", "+"),
      await c.call("XINFO", "STREAM", "s"),
      await c.call("XINFO", "GROUPS", "s"),
      await c.call("XPENDING", "s", "g"),
      await c.call("XLEN", "empty"),
      await c.call("XINFO", "STREAM", "empty"),
    ];
    c.close();
    return JSON.stringify(out);
  };
  const a = await startReredis(["--dir", dir]);
  const c = await RespClient.connect(a.port);
  for (let i = 0; i < 300; i++) {
    await c.call("XADD", "s", "MAXLEN", "~", "200", "*", "i", String(i));
  }
  await c.call("XDEL", "s", (await c.call("XADD", "s", "*", "x", "y")) as string);
  await c.call("XGROUP", "CREATE", "s", "g", "0");
  await c.call("XREADGROUP", "GROUP", "g", "a", "COUNT", "10", "STREAMS", "s", ">");
  await c.call("XREADGROUP", "GROUP", "g", "b", "NOACK", "COUNT", "5", "STREAMS", "s", ">");
  await c.call("XGROUP", "CREATECONSUMER", "s", "g", "idle");
  await c.call("XADD", "empty", "1-1", "f", "v");
  await c.call("XDEL", "empty", "1-1");
  const before = await snap(a.port);
  c.close();
  await a.stop();
  const b = await startReredis(["--dir", dir]);
  assert.equal(await snap(b.port), before, "after WAL replay");
  const cb = await RespClient.connect(b.port);
  await cb.call("BGREWRITEAOF");
  await sleep(500);
  cb.close();
  await b.stop();
  let base = "";
  for (const e of Deno.readDirSync(`${dir}/appendonlydir`)) {
    if (e.name.includes(".base.")) base = Deno.readTextFileSync(`${dir}/appendonlydir/${e.name}`);
  }
  for (const cmd of ["XADD", "XSETID", "XGROUP", "CREATECONSUMER", "XCLAIM"]) {
    assert.ok(base.includes(cmd), `the compacted base holds ${cmd}`);
  }
  const d = await startReredis(["--dir", dir]);
  try {
    const after = JSON.parse(await snap(d.port));
    const want = JSON.parse(before);
    // A rewrite rebuilds nodes from XADDs (as Redis's AOF rewrite): only the node count may change.
    for (const s of [after, want]) s[1].splice(2, 4);
    assert.deepEqual(after, want, "after compaction");
  } finally {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test({
  name: "node boundaries and ~ trims match redis-server on 3000 mixed-size entries",
  ignore: !redisServerAvailable(),
  ...wire,
  fn: async () => {
    const [ours, theirs] = await Promise.all([startReredis(), startRedis()]);
    try {
      const results: string[] = [];
      for (const srv of [ours, theirs]) {
        const c = await RespClient.connect(srv.port);
        for (let i = 1; i <= 3000; i++) {
          const v = "v".repeat((i * 37) % 120) + (i % 7 === 0 ? String(i) : "");
          const fields = i % 5 === 0 ? ["other", v] : ["f", v, "n", String(i * 1000)];
          await c.send("XADD", "s", `${Math.floor(i / 3)}-${i % 3}`, ...fields);
        }
        for (let i = 1; i <= 3000; i++) await c.read();
        const out = [];
        out.push(await c.call("XINFO", "STREAM", "s"));
        out.push(await c.call("XTRIM", "s", "MAXLEN", "~", "2500"));
        out.push(await c.call("XDEL", "s", "900-0", "950-1"));
        out.push(await c.call("XTRIM", "s", "MINID", "~", "950"));
        out.push(await c.call("XINFO", "STREAM", "s"));
        results.push(JSON.stringify(out));
        c.close();
      }
      assert.equal(results[0], results[1]);
    } finally {
      await Promise.all([ours.stop(), theirs.stop()]);
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Memory

Deno.test("memory per entry: 100k entries of 2 small fields", () => {
  const fields = [bytesOf("name"), bytesOf(""), bytesOf("score"), bytesOf("")];
  const lim = { maxEntries: 100, maxBytes: 4096 };
  const gc = (globalThis as { gc?: () => void }).gc;
  const used = () => {
    // Freed ArrayBuffer backing stores are released over more than one collection.
    for (let i = 0; i < 3; i++) gc?.();
    const m = Deno.memoryUsage();
    return m.heapUsed + m.external; // typed-array backing stores are external memory
  };
  const before = used();
  const s = new Stream();
  for (let i = 0; i < 100_000; i++) {
    fields[1] = bytesOf(`user${i}`);
    fields[3] = bytesOf(String(i * 7));
    s.append(StreamId.of(1700000000000 + (i >> 4), i & 15), fields, 0, 2, lim);
  }
  const heap = used() - before;
  const perEntry = s.memoryUsage() / s.length;
  console.log(
    `stream memory per entry: ${perEntry.toFixed(1)} B (MEMORY USAGE estimate), ` +
      `${(heap / s.length).toFixed(1)} B (heap + external delta${gc ? "" : ", no --expose-gc"}); ` +
      "redis-server 7.0: ~26 B (used_memory delta)",
  );
  assert.equal(s.length, 100_000);
  assert.ok(perEntry < 60, `per entry ${perEntry}`);
});
