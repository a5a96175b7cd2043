// Hashes: the listpack → hashtable conversion rules, keyspace events and propagated forms
// (in-process, through the write path), HRANDFIELD's sampling rules and HSCAN's guarantee over
// the wire (ioredis, node-redis), and the DUMP codec.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { RedisHash } from "../src/store/hash.ts";
import { cloneValue, deserializeValue, serializeValue } from "../src/store/dump.ts";
import { startReredis } from "./helpers/server.ts";
import { inProcess as harness } from "./helpers/in_process.ts";

function inProcess() {
  const h = harness();
  return { ...h, hash: (key: string) => h.server.dbs[0].dict.get(key) as RedisHash };
}

const LIMITS = { maxEntries: 128, maxValue: 64 };

// ---------------------------------------------------------------------------------------------
// Encodings

Deno.test("a hash stays a listpack up to hash-max-listpack-entries and converts one past it", () => {
  const h = new RedisHash();
  for (let i = 0; i < 128; i++) h.set(`f${i}`, "v", LIMITS);
  assert.equal(h.encoding(), "listpack");
  h.set("f128", "v", LIMITS);
  assert.equal(h.encoding(), "hashtable");
  assert.equal(h.size, 129);
  assert.equal(h.get("f0"), "v");
});

Deno.test("a field or value longer than hash-max-listpack-value converts; 64 bytes does not", () => {
  const h = new RedisHash();
  h.set("a", "x".repeat(64), LIMITS);
  assert.equal(h.encoding(), "listpack");
  h.set("b".repeat(65), "1", LIMITS);
  assert.equal(h.encoding(), "hashtable");
});

Deno.test("a listpack keeps insertion order; updates keep their place, deletes close the gap", () => {
  const h = new RedisHash();
  for (const f of ["a", "b", "c", "d"]) h.set(f, f.toUpperCase(), LIMITS);
  h.set("b", "B2", LIMITS);
  h.delete("a");
  const pairs: string[] = [];
  h.forEach((f, v) => pairs.push(`${f}=${v}`));
  assert.deepEqual(pairs, ["b=B2", "c=C", "d=D"]);
});

Deno.test("HSET checks every argument's length before writing, as hashTypeTryConversion", () => {
  const h = inProcess();
  h.run("HSET", "k", "a", "1", "b", "x".repeat(65));
  assert.equal(h.hash("k").encoding(), "hashtable");
  h.run("HSET", "small", "a", "1");
  assert.equal(h.hash("small").encoding(), "listpack");
});

Deno.test("CONFIG changes to the thresholds apply to the next write, even an update", () => {
  const h = inProcess();
  h.run("HSET", "k", "a", "1", "b", "2", "c", "3");
  h.server.config.set("hash-max-listpack-entries", "2");
  assert.equal(h.hash("k").encoding(), "listpack");
  h.run("HSET", "k", "a", "9");
  assert.equal(h.hash("k").encoding(), "hashtable");
  h.server.config.set("hash-max-listpack-value", "3");
  h.run("HINCRBY", "k2", "abcdef", "1");
  assert.equal(h.hash("k2").encoding(), "hashtable", "HINCRBY checks the field length too");
  h.run("HINCRBY", "k3", "f", "123");
  assert.equal(h.hash("k3").encoding(), "listpack");
  h.run("HINCRBY", "k3", "f", "1000");
  assert.equal(h.hash("k3").encoding(), "hashtable", "1123 is longer than 3 bytes");
});

Deno.test("a hashtable hash never converts back, even when it shrinks", () => {
  const h = inProcess();
  h.run("HSET", "k", "a", "x".repeat(100));
  h.run("HDEL", "k", "a");
  assert.equal(h.server.dbs[0].dict.has("k"), false, "an emptied hash is deleted");
  h.run("HSET", "k", "a", "x".repeat(100), "b", "1");
  h.run("HDEL", "k", "a");
  assert.equal(h.hash("k").encoding(), "hashtable");
});

// ---------------------------------------------------------------------------------------------
// Events and propagation

Deno.test("HSET and HSETNX emit hset; HSETNX on an existing field emits nothing", () => {
  const h = inProcess();
  assert.equal(h.run("HSET", "k", "a", "1", "b", "2"), ":2\r\n");
  assert.equal(h.run("HSETNX", "k", "a", "x"), ":0\r\n");
  assert.equal(h.run("HSETNX", "k", "c", "3"), ":1\r\n");
  assert.deepEqual(h.take(), {
    commands: ["HSET k a 1 b 2", "HSETNX k c 3"],
    events: ["hset:h:k", "hset:h:k"],
  });
});

Deno.test("HDEL emits hdel, then del when the hash becomes empty", () => {
  const h = inProcess();
  h.run("HSET", "k", "a", "1", "b", "2");
  h.take();
  assert.equal(h.run("HDEL", "k", "a", "zz"), ":1\r\n");
  assert.equal(h.run("HDEL", "k", "zz"), ":0\r\n");
  assert.equal(h.run("HDEL", "k", "b", "a"), ":1\r\n");
  assert.equal(h.server.dbs[0].dict.has("k"), false);
  assert.deepEqual(h.take(), {
    commands: ["HDEL k a zz", "HDEL k b a"],
    events: ["hdel:h:k", "hdel:h:k", "del:g:k"],
  });
});

Deno.test("HINCRBY emits hincrby; HINCRBYFLOAT emits hincrbyfloat and propagates HSET <result>", () => {
  const h = inProcess();
  assert.equal(h.run("HINCRBY", "k", "n", "5"), ":5\r\n");
  assert.equal(h.run("HINCRBYFLOAT", "k", "f", "10.5"), "$4\r\n10.5\r\n");
  assert.equal(h.run("HINCRBYFLOAT", "k", "f", "0.1"), "$4\r\n10.6\r\n");
  assert.deepEqual(h.take(), {
    commands: ["HINCRBY k n 5", "HSET k f 10.5", "HSET k f 10.6"],
    events: ["hincrby:h:k", "hincrbyfloat:h:k", "hincrbyfloat:h:k"],
  });
});

Deno.test("failed increments change and propagate nothing, and create no key", () => {
  const h = inProcess();
  h.run("HSET", "k", "s", "text");
  h.take();
  assert.match(h.run("HINCRBY", "k", "s", "1"), /^-ERR hash value is not an integer/);
  assert.match(h.run("HINCRBYFLOAT", "k", "s", "1"), /^-ERR hash value is not a float/);
  assert.match(h.run("HINCRBYFLOAT", "new", "f", "inf"), /^-ERR value is NaN or Infinity/);
  assert.match(h.run("HINCRBY", "k", "n", "x"), /^-ERR value is not an integer/);
  assert.equal(h.server.dbs[0].dict.has("new"), false);
  assert.deepEqual(h.take(), { commands: [], events: [] });
});

Deno.test("HINCRBY overflows exactly at the int64 limits", () => {
  const h = inProcess();
  assert.equal(h.run("HINCRBY", "k", "n", "9223372036854775806"), ":9223372036854775806\r\n");
  assert.equal(h.run("HINCRBY", "k", "n", "1"), ":9223372036854775807\r\n");
  assert.match(h.run("HINCRBY", "k", "n", "1"), /^-ERR increment or decrement would overflow/);
  assert.equal(h.run("HINCRBY", "k", "m", "-9223372036854775808"), ":-9223372036854775808\r\n");
  assert.match(h.run("HINCRBY", "k", "m", "-1"), /would overflow/);
});

Deno.test("read commands count keyspace hits and misses; writes do not", () => {
  const h = inProcess();
  h.run("HSET", "k", "a", "1");
  const st = h.server.stats;
  for (const cmd of ["HGET", "HEXISTS", "HSTRLEN"]) h.run(cmd, "k", "a");
  h.run("HGET", "missing", "a");
  h.run("HDEL", "missing", "a");
  assert.equal(st.keyspaceHits, 3);
  assert.equal(st.keyspaceMisses, 1);
});

// ---------------------------------------------------------------------------------------------
// DUMP codec

Deno.test("the DUMP codec round-trips both encodings with binary fields", () => {
  for (const n of [3, 300]) {
    const h = new RedisHash();
    for (let i = 0; i < n; i++) h.set(`f\x00\xff${i}`, `v\r\n${i}`, LIMITS);
    const back = deserializeValue(serializeValue(h)) as RedisHash;
    assert.equal(back.encoding(), h.encoding());
    assert.equal(back.size, n);
    h.forEach((f, v) => assert.equal(back.get(f), v));
    const copy = cloneValue(h) as RedisHash;
    copy.set("extra", "1", LIMITS);
    assert.equal(h.has("extra"), false, "COPY makes an independent hash");
  }
});

// ---------------------------------------------------------------------------------------------
// Over the wire

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const srv = await startReredis(["--appendonly", "no"]);
  try {
    await fn(srv.port);
  } finally {
    await srv.stop();
  }
}

Deno.test("ioredis: HSET/HGETALL/HMGET/HINCRBYFLOAT round trip", async () => {
  await withServer(async (port) => {
    const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      assert.equal(await r.hset("h", { a: "1", b: "two", c: "" }), 3);
      assert.deepEqual(await r.hgetall("h"), { a: "1", b: "two", c: "" });
      assert.deepEqual(await r.hmget("h", "a", "nope", "c"), ["1", null, ""]);
      assert.equal(await r.hincrbyfloat("h", "a", "0.25"), "1.25");
      assert.deepEqual(await r.hkeys("h"), ["a", "b", "c"]);
      assert.equal(await r.hlen("h"), 3);
      await assert.rejects(r.hget("h", "a", "extra" as never), /wrong number of arguments/);
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("HRANDFIELD: positive counts are distinct, negative ones repeat and cover every field", async () => {
  await withServer(async (port) => {
    const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      for (const n of [10, 300]) {
        const key = `h${n}`;
        const fields: Record<string, string> = {};
        for (let i = 0; i < n; i++) fields[`f${i}`] = `v${i}`;
        await r.hset(key, fields);
        for (const count of [1, 3, Math.floor(n / 2), n - 1, n, n + 5]) {
          const got = (await r.hrandfield(key, count)) as string[];
          assert.equal(got.length, Math.min(count, n));
          assert.equal(new Set(got).size, got.length, `distinct for count ${count}`);
          for (const f of got) assert.ok(f in fields);
        }
        const many = (await r.hrandfield(key, -20 * n)) as string[];
        assert.equal(many.length, 20 * n);
        assert.equal(new Set(many).size, n, "every field shows up");
        const pairs = (await r.hrandfield(key, -50, "WITHVALUES")) as string[];
        assert.equal(pairs.length, 100);
        for (let i = 0; i < pairs.length; i += 2) assert.equal(fields[pairs[i]], pairs[i + 1]);
      }
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("HSCAN over a hashtable returns every field present for the whole scan", async () => {
  await withServer(async (port) => {
    const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      const n = 2000;
      for (let i = 0; i < n; i += 500) {
        const batch: string[] = [];
        for (let j = i; j < i + 500; j++) batch.push(`f${j}`, `v${j}`);
        await r.hset("big", ...batch);
      }
      const seen = new Map<string, string>();
      let cursor = "0";
      let rounds = 0;
      do {
        const [next, items] = await r.hscan("big", cursor, "COUNT", 50);
        for (let i = 0; i < items.length; i += 2) seen.set(items[i], items[i + 1]);
        // Grow and shrink the hash meanwhile: fields present throughout must still be seen.
        await r.hset("big", `extra${rounds}`, "x");
        if (rounds % 3 === 0) await r.hdel("big", `extra${rounds - 3}`);
        cursor = next;
        rounds++;
      } while (cursor !== "0");
      for (let i = 0; i < n; i++) assert.equal(seen.get(`f${i}`), `v${i}`);
      assert.ok(rounds > 10, "a hashtable is scanned in several steps");
      const [, matched] = await r.hscan("big", 0, "MATCH", "f1?", "COUNT", 100000);
      assert.deepEqual(
        matched.filter((_, i) => i % 2 === 0).sort(),
        Array.from({ length: 10 }, (_, i) => `f1${i}`).sort(),
      );
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("node-redis: hashes in RESP2 and binary-safe values", async () => {
  await withServer(async (port) => {
    const c = createClient({ socket: { port, host: "127.0.0.1" } });
    await c.connect();
    try {
      await c.hSet("nr", { x: "1", y: "\u00e9\u0000\r\n" });
      assert.deepEqual({ ...await c.hGetAll("nr") }, { x: "1", y: "\u00e9\u0000\r\n" });
      assert.equal(await c.hIncrBy("nr", "x", 41), 42);
      assert.equal(await c.hExists("nr", "y"), true);
      assert.equal(await c.hStrLen("nr", "y"), 5);
      assert.deepEqual(await c.hVals("nr"), ["42", "\u00e9\u0000\r\n"]);
      assert.equal(await c.hDel("nr", ["x", "y"]), 2);
      assert.deepEqual({ ...await c.hGetAll("nr") }, {});
    } finally {
      await c.quit();
    }
  });
});
