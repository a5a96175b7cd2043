// Sorted sets: the skip list against a sorted array, listpack ↔ skiplist conversions, keyspace
// events and propagated forms (in-process, through the write path), blocking pops and big sets over
// the wire (ioredis, node-redis), ZSCAN's guarantee and the DUMP codec.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { ZSet } from "../src/store/zset.ts";
import { NIL, SkipList } from "../src/store/skiplist.ts";
import { cloneValue, deserializeValue, serializeValue } from "../src/store/dump.ts";
import { startReredis } from "./helpers/server.ts";
import { inProcess as harness } from "./helpers/in_process.ts";

/** A server without sockets: commands in, raw replies, propagated commands and events out. */
function inProcess() {
  const h = harness();
  return { ...h, zset: (key: string) => h.server.dbs[0].dict.get(key) as ZSet };
}

/** Sorted-set order: score, then member bytes. */
const byScoreMember = (a: [string, number], b: [string, number]) =>
  a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** ioredis without its INFO ready check. */
async function connect(port: number): Promise<Redis> {
  const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
  await r.connect();
  return r;
}

function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

// ---------------------------------------------------------------------------------------------
// The skip list

Deno.test("skip list ranks, rank lookups and range deletes agree with a sorted array", () => {
  const rnd = lcg(42);
  const zsl = new SkipList();
  const ids = new Map<string, number>();
  zsl.onMove = (m, id) => ids.set(m, id);
  let ref: [string, number][] = [];
  for (let i = 0; i < 20000; i++) {
    const e: [string, number] = [`m${i}`, Math.floor(rnd() * 500)]; // many ties
    ids.set(e[0], zsl.insert(e[1], e[0]));
    ref.push(e);
  }
  ref.sort(byScoreMember);
  for (let i = 0; i < ref.length; i += 997) {
    assert.equal(zsl.rank(ref[i][1], ref[i][0]), i + 1);
    assert.equal(zsl.member(zsl.byRank(i + 1)), ref[i][0]);
  }
  const removed: string[] = [];
  zsl.deleteRangeByRank(100, 199, (m) => removed.push(m));
  assert.deepEqual(removed, ref.slice(99, 199).map((e) => e[0]));
  ref.splice(99, 100);
  zsl.deleteRangeByScore({ min: 10, max: 20, minex: true, maxex: false }, () => {});
  ref = ref.filter((e) => !(e[1] > 10 && e[1] <= 20));
  // Deleting most nodes compacts the arrays: ids move, order and spans stay.
  const drop = ref.filter((_, i) => i % 10 !== 0);
  for (const [m, s] of drop) assert.ok(zsl.delete(s, m));
  ref = ref.filter((_, i) => i % 10 === 0);
  assert.equal(zsl.length, ref.length);
  let i = 0;
  for (let n = zsl.first; n !== NIL; n = zsl.next(n), i++) {
    assert.equal(zsl.member(n), ref[i][0]);
    if (i > 0) assert.equal(zsl.member(zsl.prev(n)), ref[i - 1][0]);
  }
  assert.equal(zsl.member(zsl.tail), ref[ref.length - 1][0]);
  for (let j = 0; j < ref.length; j += 37) {
    assert.equal(zsl.rank(ref[j][1], ref[j][0]), j + 1);
    assert.equal(zsl.score(ids.get(ref[j][0])!), ref[j][1], "onMove kept the owner's ids right");
  }
});

Deno.test("updateScore moves a node only when its neighbours no longer bracket it", () => {
  const zsl = new SkipList();
  const a = zsl.insert(1, "a");
  zsl.insert(2, "b");
  zsl.insert(3, "c");
  assert.equal(zsl.updateScore(1, "a", 1.5), a, "still before b: updated in place");
  zsl.updateScore(1.5, "a", 10);
  assert.deepEqual([zsl.member(zsl.first), zsl.member(zsl.tail)], ["b", "a"]);
  assert.equal(zsl.rank(10, "a"), 3);
});

// ---------------------------------------------------------------------------------------------
// Encodings

Deno.test("a zset is a listpack up to zset-max-listpack-entries and a skiplist one past it", () => {
  const h = inProcess();
  const args = ["ZADD", "k"];
  for (let i = 0; i < 128; i++) args.push(String(i), `m${i}`);
  h.run(...args);
  assert.equal(h.zset("k").encoding(), "listpack");
  h.run("ZADD", "k", "1", "one-more");
  assert.equal(h.zset("k").encoding(), "skiplist");
  h.run("ZREMRANGEBYRANK", "k", "0", "-3");
  assert.equal(h.zset("k").encoding(), "skiplist", "shrinking never converts back");
});

Deno.test("a member longer than zset-max-listpack-value converts; 64 bytes does not", () => {
  const h = inProcess();
  h.run("ZADD", "k", "1", "x".repeat(64));
  assert.equal(h.zset("k").encoding(), "listpack");
  h.run("ZADD", "k", "1", "y".repeat(65));
  assert.equal(h.zset("k").encoding(), "skiplist");
  h.run("ZADD", "new", "1", "z".repeat(65));
  assert.equal(h.zset("new").encoding(), "skiplist", "a new key is created as a skiplist");
});

Deno.test("CONFIG SET of the thresholds applies to later writes", () => {
  const h = inProcess();
  h.run("ZADD", "k", "1", "a", "2", "b", "3", "c");
  h.server.config.set("zset-max-listpack-entries", "3");
  h.run("ZADD", "k", "1", "a");
  assert.equal(h.zset("k").encoding(), "listpack", "an update adds nothing");
  h.run("ZADD", "k", "4", "d");
  assert.equal(h.zset("k").encoding(), "skiplist");
  h.server.config.set("zset-max-listpack-entries", "0");
  h.run("ZADD", "z", "1", "a");
  assert.equal(h.zset("z").encoding(), "skiplist");
});

Deno.test("store commands shrink small results back to a listpack, as Redis 7.0 does", () => {
  const h = inProcess();
  h.server.config.set("zset-max-listpack-entries", "2");
  h.run("ZADD", "src", "1", "a", "2", "b", "3", "c");
  h.run("ZPOPMAX", "src");
  assert.equal(h.zset("src").encoding(), "skiplist");
  h.run("ZUNIONSTORE", "u", "1", "src");
  assert.equal(h.zset("u").encoding(), "listpack");
  h.run("ZRANGESTORE", "r", "src", "0", "-1");
  assert.equal(h.zset("r").encoding(), "listpack");
  h.run("GEOADD", "g", "1", "1", "p1", "2", "2", "p2", "3", "3", "p3");
  h.run("GEORADIUS", "g", "2", "2", "10", "km", "STORE", "gs");
  assert.equal(h.zset("gs").encoding(), "listpack");
});

Deno.test("a listpack keeps integral scores as integers: -0 reads back as 0 there only", () => {
  const h = inProcess();
  h.run("ZADD", "lp", "-0", "m");
  assert.equal(h.run("ZSCORE", "lp", "m"), "$1\r\n0\r\n");
  h.server.config.set("zset-max-listpack-entries", "0");
  h.run("ZADD", "sl", "-0", "m");
  assert.equal(h.run("ZSCORE", "sl", "m"), "$2\r\n-0\r\n");
});

// ---------------------------------------------------------------------------------------------
// Events and propagation

Deno.test("ZADD emits zadd, ZADD INCR and ZINCRBY emit zincr; a no-op emits nothing", () => {
  const h = inProcess();
  h.run("ZADD", "k", "1", "a");
  h.run("ZADD", "k", "1", "a");
  h.run("ZADD", "k", "INCR", "2", "a");
  h.run("ZINCRBY", "k", "1", "b");
  assert.deepEqual(h.take(), {
    commands: ["ZADD k 1 a", "ZADD k INCR 2 a", "ZINCRBY k 1 b"],
    events: ["zadd:z:k", "zincr:z:k", "zincr:z:k"],
  });
});

Deno.test("removals emit their own event, then del when the set becomes empty", () => {
  const h = inProcess();
  h.run("ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d");
  h.take();
  h.run("ZREM", "k", "a");
  h.run("ZREMRANGEBYSCORE", "k", "2", "2");
  h.run("ZREMRANGEBYLEX", "k", "[c", "[c");
  h.run("ZREMRANGEBYRANK", "k", "0", "0");
  assert.deepEqual(h.take().events, [
    "zrem:z:k",
    "zremrangebyscore:z:k",
    "zremrangebylex:z:k",
    "zremrangebyrank:z:k",
    "del:g:k",
  ]);
});

Deno.test("store commands emit their event; an empty result deletes the destination", () => {
  const h = inProcess();
  h.run("ZADD", "a", "1", "x");
  h.take();
  h.run("ZUNIONSTORE", "d", "1", "a");
  h.run("ZINTERSTORE", "d", "2", "a", "missing");
  h.run("ZRANGESTORE", "d2", "a", "0", "-1");
  h.run("ZDIFFSTORE", "d3", "1", "a");
  h.run("GEOSEARCHSTORE", "d4", "a", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km");
  assert.deepEqual(h.take().events, [
    "zunionstore:z:d",
    "del:g:d",
    "zrangestore:z:d2",
    "zdiffstore:z:d3",
    "geosearchstore:z:d4",
  ]);
});

Deno.test("pops propagate as ZPOPMIN/ZPOPMAX with Redis 7.0's counts", () => {
  const h = inProcess();
  h.run("ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
  h.take();
  h.run("ZPOPMIN", "k");
  h.run("ZMPOP", "2", "none", "k", "MAX", "COUNT", "2");
  h.run("BZPOPMIN", "k", "0");
  h.run("BZMPOP", "0", "1", "k", "MIN", "COUNT", "10");
  assert.deepEqual(h.take(), {
    commands: ["ZPOPMIN k", "ZPOPMAX k 2", "ZPOPMIN k", "ZPOPMIN k 1"],
    events: ["zpopmin:z:k", "zpopmax:z:k", "zpopmin:z:k", "zpopmin:z:k", "del:g:k"],
  });
});

Deno.test("GEOADD propagates as the ZADD it runs, scores as 52-bit integers", () => {
  const h = inProcess();
  assert.equal(h.run("GEOADD", "g", "13.361389", "38.115556", "Palermo"), ":1\r\n");
  h.run("GEOADD", "g", "13.361389", "38.115556", "Palermo");
  assert.deepEqual(h.take(), {
    commands: ["zadd g 3479099956230698 Palermo"],
    events: ["zadd:z:g"],
  });
});

Deno.test("a blocking pop inside MULTI answers at once with a null array", () => {
  const h = inProcess();
  h.run("MULTI");
  h.run("BZPOPMIN", "nothing", "0");
  assert.equal(h.run("EXEC"), "*1\r\n*-1\r\n");
});

// ---------------------------------------------------------------------------------------------
// DUMP codec

Deno.test("the DUMP codec round-trips both encodings and COPY clones deeply", () => {
  const small = ZSet.forFirstMember(1, { maxEntries: 128, maxValue: 64 });
  const big = ZSet.skiplist();
  for (let i = 0; i < 300; i++) {
    big.add(`m${i}`, i % 7 === 0 ? -Infinity : i / 3, 0, { maxEntries: 128, maxValue: 64 });
  }
  small.add("\x00\xff", 1.5, 0, { maxEntries: 128, maxValue: 64 });
  for (const z of [small, big]) {
    const back = deserializeValue(serializeValue(z)) as ZSet;
    assert.equal(back.encoding(), z.encoding());
    const a: [string, number][] = [], b: [string, number][] = [];
    z.forEach((m, s) => a.push([m, s]));
    back.forEach((m, s) => b.push([m, s]));
    assert.deepEqual(b, a);
    const copy = cloneValue(z) as ZSet;
    copy.delete(a[0][0]);
    assert.equal(z.size, a.length, "the original is untouched");
  }
});

// ---------------------------------------------------------------------------------------------
// Over the wire

Deno.test("ZADD of 200 000 members keeps ranks and ranges in sorted-array order", async () => {
  const srv = await startReredis();
  const r = await connect(srv.port);
  try {
    const rnd = lcg(7);
    const ref: [string, number][] = [];
    const batch: (string | number)[] = [];
    const pipe = r.pipeline();
    for (let i = 0; i < 200000; i++) {
      const e: [string, number] = [
        `member:${Math.floor(rnd() * 1e9)}:${i}`,
        Math.floor(rnd() * 1e5),
      ];
      ref.push(e);
      batch.push(e[1], e[0]);
      if (batch.length === 20000) pipe.zadd("big", ...batch.splice(0));
    }
    await pipe.exec();
    ref.sort(byScoreMember);
    assert.equal(await r.zcard("big"), 200000);
    const checks = r.pipeline();
    const picks = [0, 1, 777, 99999, 150000, 199999];
    for (const i of picks) checks.zrank("big", ref[i][0]);
    checks.zrange("big", 100000, 100009);
    checks.zrevrange("big", 0, 4);
    checks.zrangebyscore("big", 5000, 5001);
    checks.zcount("big", 5000, 5001);
    const out = (await checks.exec())!.map(([e, v]) => (assert.equal(e, null), v));
    picks.forEach((i, j) => assert.equal(out[j], i));
    let j = picks.length;
    assert.deepEqual(out[j++], ref.slice(100000, 100010).map((e) => e[0]));
    assert.deepEqual(out[j++], ref.slice(-5).reverse().map((e) => e[0]));
    const inScore = ref.filter((e) => e[1] >= 5000 && e[1] <= 5001).map((e) => e[0]);
    assert.deepEqual(out[j++], inScore);
    assert.equal(out[j++], inScore.length);
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

Deno.test("BZPOPMIN waits, is woken by ZADD from another client, and serves FIFO", async () => {
  const srv = await startReredis();
  const [a, b, w] = [await connect(srv.port), await connect(srv.port), await connect(srv.port)];
  try {
    const first = a.bzpopmin("q", 0);
    await new Promise((res) => setTimeout(res, 100));
    const second = b.bzpopmin("q", 0);
    await new Promise((res) => setTimeout(res, 100));
    await w.zadd("q", 2, "y", 1, "x");
    assert.deepEqual(await first, ["q", "x", "1"]);
    assert.deepEqual(await second, ["q", "y", "2"]);
    assert.equal(await w.zcard("q"), 0, "the emptied set is gone");
  } finally {
    for (const c of [a, b, w]) c.disconnect();
    await srv.stop();
  }
});

Deno.test("a blocked pop times out with null after a float timeout", async () => {
  const srv = await startReredis();
  const r = await connect(srv.port);
  try {
    const t0 = performance.now();
    assert.equal(await r.bzpopmax("nothing", 0.2), null);
    const took = performance.now() - t0;
    assert.ok(took >= 180 && took < 2000, `took ${took} ms`);
    assert.equal(await r.call("BZMPOP", "0.05", "1", "nothing", "MIN"), null);
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

Deno.test("a waiter on a key that becomes another type keeps waiting for a zset", async () => {
  const srv = await startReredis();
  const [a, w] = [await connect(srv.port), await connect(srv.port)];
  try {
    const p = a.call("BZMPOP", "0", "1", "k", "MAX", "COUNT", "5");
    await new Promise((res) => setTimeout(res, 100));
    await w.set("k", "string");
    await w.getdel("k");
    await w.zadd("k", 1, "a", 2, "b");
    assert.deepEqual(await p, ["k", [["b", "2"], ["a", "1"]]]);
  } finally {
    a.disconnect();
    w.disconnect();
    await srv.stop();
  }
});

Deno.test("node-redis reads scores, ranges and pops as numbers", async () => {
  const srv = await startReredis();
  const c = createClient({ socket: { port: srv.port, host: "127.0.0.1" } });
  try {
    await c.connect();
    assert.equal(await c.zAdd("z", [{ score: 1.5, value: "a" }, { score: 2, value: "b" }]), 2);
    assert.deepEqual(await c.zRangeWithScores("z", 0, -1), [
      { value: "a", score: 1.5 },
      { value: "b", score: 2 },
    ]);
    assert.equal(await c.zScore("z", "a"), 1.5);
    assert.deepEqual(await c.zPopMax("z"), { value: "b", score: 2 });
    assert.equal(await c.zCard("z"), 1);
    assert.deepEqual(await c.zRangeByScore("z", "-inf", "+inf"), ["a"]);
  } finally {
    await c.quit();
    await srv.stop();
  }
});

Deno.test("ZRANDMEMBER: positive counts are distinct, negative counts repeat, all get picked", async () => {
  const srv = await startReredis();
  const r = await connect(srv.port);
  try {
    const members = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await r.zadd("z", ...members.flatMap((m, i) => [i, m]));
    const uniq = (await r.zrandmember("z", 10)) as string[];
    assert.equal(new Set(uniq).size, 10);
    const rep = (await r.zrandmember("z", -200)) as string[];
    assert.equal(rep.length, 200);
    assert.equal(new Set(rep).size, 20, "200 draws with repetition cover 20 members");
    const withScores = (await r.zrandmember("z", 3, "WITHSCORES")) as string[];
    for (let i = 0; i < 6; i += 2) {
      assert.equal(withScores[i + 1], String(members.indexOf(withScores[i])));
    }
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

Deno.test("ZSCAN returns every member present for the whole scan, even while the set grows", async () => {
  const srv = await startReredis();
  const r = await connect(srv.port);
  try {
    const base = Array.from({ length: 1000 }, (_, i) => `base${i}`);
    await r.zadd("z", ...base.flatMap((m, i) => [i, m]));
    const seen = new Set<string>();
    let cursor = "0";
    let round = 0;
    do {
      const [next, items] = await r.zscan("z", cursor, "COUNT", 50);
      for (let i = 0; i < items.length; i += 2) seen.add(items[i]);
      cursor = next;
      await r.zadd("z", round, `extra${round++}`, round, `extra${round++}`);
    } while (cursor !== "0");
    for (const m of base) assert.ok(seen.has(m), m);
  } finally {
    r.disconnect();
    await srv.stop();
  }
});
