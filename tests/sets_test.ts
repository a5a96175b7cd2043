// Sets: the intset (sorted, widening to 64-bit) and its conversion rules, keyspace events and
// propagated forms (SPOP → SREM / DEL) in-process through the write path, random sampling and
// SSCAN's guarantee over the wire (ioredis, node-redis), and the DUMP codec.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { intOfMember, IntSet } from "../src/store/intset.ts";
import { RedisSet } from "../src/store/set.ts";
import { cloneValue, deserializeValue, serializeValue } from "../src/store/dump.ts";
import { startReredis } from "./helpers/server.ts";
import { inProcess as harness } from "./helpers/in_process.ts";

function inProcess() {
  const h = harness();
  return { ...h, set: (key: string) => h.server.dbs[0].dict.get(key) as RedisSet };
}

/** Members of a RESP2 array/set reply of bulk strings. */
function bulks(raw: string): string[] {
  const out: string[] = [];
  const re = /\$(\d+)\r\n/g;
  let m;
  while ((m = re.exec(raw))) {
    out.push(raw.substr(re.lastIndex, Number(m[1])));
    re.lastIndex += Number(m[1]) + 2;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// IntSet and encodings

Deno.test("intOfMember accepts exactly Redis's string2ll integers", () => {
  assert.equal(intOfMember("0"), 0);
  assert.equal(intOfMember("-42"), -42);
  assert.equal(intOfMember("9223372036854775807"), 9223372036854775807n);
  assert.equal(intOfMember("-9223372036854775808"), -9223372036854775808n);
  assert.equal(intOfMember("9007199254740991"), 9007199254740991);
  for (const bad of ["", "-", "-0", "007", "+1", " 1", "1 ", "1.0", "9223372036854775808", "1e3"]) {
    assert.equal(intOfMember(bad), undefined, bad);
  }
});

Deno.test("an IntSet keeps members sorted and widens to 64 bits for big integers", () => {
  const s = new IntSet();
  for (const v of [5, -3, 100, 0, 5]) s.add(v);
  assert.equal(s.size, 4);
  assert.equal(s.wide, false);
  s.add(9223372036854775807n);
  s.add(-9223372036854775808n);
  assert.equal(s.wide, true);
  const members = Array.from({ length: s.size }, (_, i) => s.memberAt(i));
  assert.deepEqual(members, [
    "-9223372036854775808",
    "-3",
    "0",
    "5",
    "100",
    "9223372036854775807",
  ]);
  assert.ok(s.has(100) && s.has(9223372036854775807n) && !s.has(6));
  assert.ok(s.remove(-3) && !s.remove(-3));
  assert.equal(s.size, 5);
});

Deno.test("an IntSet stays correct through many random inserts and removals", () => {
  const s = new IntSet();
  const ref = new Set<number>();
  for (let i = 0; i < 5000; i++) {
    const v = Math.floor(Math.random() * 2000) - 1000;
    if (Math.random() < 0.6) {
      assert.equal(s.add(v), !ref.has(v));
      ref.add(v);
    } else assert.equal(s.remove(v), ref.delete(v));
  }
  const sorted = [...ref].sort((a, b) => a - b);
  assert.deepEqual(Array.from({ length: s.size }, (_, i) => s.at(i)), sorted);
});

Deno.test("a set is an intset until a non-integer member or set-max-intset-entries, never back", () => {
  const s = new RedisSet();
  for (let i = 0; i < 512; i++) s.add(String(i), 512);
  assert.equal(s.encoding(), "intset");
  s.add("512", 512);
  assert.equal(s.encoding(), "hashtable");
  const t = new RedisSet();
  t.add("1", 512);
  t.add("a", 512);
  t.remove("a");
  assert.equal(t.encoding(), "hashtable");
  assert.ok(t.has("1"));
});

Deno.test("random picks from a hashtable set reach every member, roughly uniformly", () => {
  const s = new RedisSet();
  for (let i = 0; i < 1000; i++) s.add(`m${i}`, 0);
  const counts = new Map<string, number>();
  for (let i = 0; i < 200_000; i++) {
    const m = s.random();
    counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  assert.equal(counts.size, 1000);
  // Expected 200 each; Redis's dictGetFairRandomKey spreads about 70…410 on the same test.
  for (const n of counts.values()) assert.ok(n > 70 && n < 410, `count ${n}`);
});

Deno.test("store commands build their result as Redis does: ints stay an intset", () => {
  const h = inProcess();
  h.run("SADD", "a", "1", "2", "x");
  h.run("SADD", "b", "2", "1", "y");
  h.run("SINTERSTORE", "i", "a", "b");
  assert.equal(h.set("i").encoding(), "intset");
  h.run("SUNIONSTORE", "u", "a", "b");
  assert.equal(h.set("u").encoding(), "hashtable");
  h.run("SDIFFSTORE", "d", "a", "b");
  assert.equal(h.set("d").encoding(), "hashtable");
  assert.equal(h.run("SMEMBERS", "i"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
});

Deno.test("CONFIG SET set-max-intset-entries applies to the next SADD", () => {
  const h = inProcess();
  h.run("SADD", "s", "1", "2", "3");
  h.server.config.set("set-max-intset-entries", "3");
  assert.equal(h.set("s").encoding(), "intset");
  h.run("SADD", "s", "4");
  assert.equal(h.set("s").encoding(), "hashtable");
});

// ---------------------------------------------------------------------------------------------
// Events and propagation

Deno.test("SADD and SREM emit sadd / srem only when something changed; del when emptied", () => {
  const h = inProcess();
  assert.equal(h.run("SADD", "s", "a", "b"), ":2\r\n");
  assert.equal(h.run("SADD", "s", "a"), ":0\r\n");
  assert.equal(h.run("SREM", "s", "zz"), ":0\r\n");
  assert.equal(h.run("SREM", "s", "a", "b"), ":2\r\n");
  assert.deepEqual(h.take(), {
    commands: ["SADD s a b", "SREM s a b"],
    events: ["sadd:s:s", "srem:s:s", "del:g:s"],
  });
});

Deno.test("SPOP propagates as SREM of the popped member, SPOP count as one SREM per member", () => {
  const h = inProcess();
  h.run("SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
  h.take();
  const one = bulks(h.run("SPOP", "s"))[0];
  assert.deepEqual(h.take(), { commands: [`SREM s ${one}`], events: ["spop:s:s"] });
  const three = bulks(h.run("SPOP", "s", "3"));
  assert.equal(three.length, 3);
  const { commands, events } = h.take();
  assert.deepEqual(commands, three.map((m) => `SREM s ${m}`));
  assert.deepEqual(events, ["spop:s:s"]);
  // 6 left: popping 5 keeps one survivor (the "move survivors" strategy).
  const five = bulks(h.run("SPOP", "s", "5"));
  assert.equal(new Set([one, ...three, ...five]).size, 9);
  assert.deepEqual(h.take().commands.sort(), five.map((m) => `SREM s ${m}`).sort());
  assert.equal(h.set("s").size, 1);
});

Deno.test("SPOP of the whole set propagates DEL and emits spop then del", () => {
  const h = inProcess();
  h.run("SADD", "s", "b", "a");
  h.take();
  assert.equal(bulks(h.run("SPOP", "s", "5")).sort().join(), "a,b");
  assert.deepEqual(h.take(), { commands: ["DEL s"], events: ["spop:s:s", "del:g:s"] });
  h.run("SADD", "t", "x");
  h.take();
  h.run("SPOP", "t");
  assert.deepEqual(h.take(), { commands: ["SREM t x"], events: ["spop:s:t", "del:g:t"] });
  h.run("SPOP", "t", "0");
  h.run("SPOP", "missing", "3");
  assert.deepEqual(h.take(), { commands: [], events: [] });
});

Deno.test("SMOVE emits srem on the source, del if emptied, sadd on the destination", () => {
  const h = inProcess();
  h.run("SADD", "src", "m");
  h.run("SADD", "dst", "m");
  h.take();
  assert.equal(h.run("SMOVE", "src", "dst", "m"), ":1\r\n");
  assert.deepEqual(h.take(), {
    commands: ["SMOVE src dst m"],
    events: ["srem:s:src", "del:g:src"],
  });
  h.run("SADD", "src", "n");
  h.take();
  h.run("SMOVE", "src", "new", "n");
  assert.deepEqual(h.take().events, ["srem:s:src", "del:g:src", "sadd:s:new"]);
});

Deno.test("STORE commands emit their event, or del when the result is empty", () => {
  const h = inProcess();
  h.run("SADD", "a", "1", "2");
  h.run("SADD", "b", "2", "3");
  h.take();
  h.run("SINTERSTORE", "d", "a", "b");
  h.run("SUNIONSTORE", "d", "a", "b");
  h.run("SDIFFSTORE", "d", "a", "b");
  h.run("SINTERSTORE", "d", "a", "missing");
  h.run("SDIFFSTORE", "d", "a", "a");
  assert.deepEqual(h.take(), {
    commands: [
      "SINTERSTORE d a b",
      "SUNIONSTORE d a b",
      "SDIFFSTORE d a b",
      "SINTERSTORE d a missing",
    ],
    events: ["sinterstore:s:d", "sunionstore:s:d", "sdiffstore:s:d", "del:g:d"],
  });
});

Deno.test("a STORE result replaces the destination and drops its TTL", () => {
  const h = inProcess();
  h.run("SADD", "a", "1");
  h.run("SADD", "d", "9");
  h.server.dbs[0].setExpire("d", Date.now() + 100000);
  h.run("SUNIONSTORE", "d", "a");
  assert.equal(h.server.dbs[0].getExpire("d"), undefined);
  assert.equal(h.run("SMEMBERS", "d"), "*1\r\n$1\r\n1\r\n");
});

// ---------------------------------------------------------------------------------------------
// DUMP codec

Deno.test("the DUMP codec round-trips intsets and hashtable sets", () => {
  for (const members of [["3", "-1", "9223372036854775807"], ["a", "\x00\xff", "1"]]) {
    const s = new RedisSet();
    for (const m of members) s.add(m, 512);
    const back = deserializeValue(serializeValue(s)) as RedisSet;
    assert.equal(back.encoding(), s.encoding());
    assert.deepEqual(back.toArray().sort(), s.toArray().sort());
    const copy = cloneValue(s) as RedisSet;
    copy.add("new", 512);
    assert.equal(s.has("new"), false);
    assert.equal(copy.encoding(), "hashtable");
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

Deno.test("SRANDMEMBER: positive counts are distinct, negative ones repeat and cover the set", async () => {
  await withServer(async (port) => {
    const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      for (
        const [key, members] of [
          ["ints", Array.from({ length: 100 }, (_, i) => String(i * 7))],
          ["strs", Array.from({ length: 1000 }, (_, i) => `m${i}`)],
        ] as const
      ) {
        await r.sadd(key, ...members);
        const all = new Set<string>(members);
        for (const count of [1, 5, 40, members.length - 1, members.length, members.length + 3]) {
          const got = await r.srandmember(key, count);
          assert.equal(got.length, Math.min(count, members.length));
          assert.equal(new Set(got).size, got.length);
          for (const m of got) assert.ok(all.has(m));
        }
        const many = await r.srandmember(key, -30 * members.length);
        assert.equal(many.length, 30 * members.length);
        assert.equal(new Set(many).size, members.length, "every member shows up");
      }
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("SPOP removes what it returns and picks members roughly uniformly", async () => {
  await withServer(async (port) => {
    const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      const counts = new Map<string, number>();
      for (let round = 0; round < 400; round++) {
        await r.sadd("u", "a", "b", "c", "d");
        const m = (await r.spop("u")) as string;
        counts.set(m, (counts.get(m) ?? 0) + 1);
        assert.equal(await r.sismember("u", m), 0);
        await r.spop("u", 10);
      }
      for (const m of ["a", "b", "c", "d"]) assert.ok((counts.get(m) ?? 0) > 50, `${m} picked`);
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("SSCAN over a hashtable returns every member present for the whole scan", async () => {
  await withServer(async (port) => {
    const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      const members = Array.from({ length: 3000 }, (_, i) => `m${i}`);
      await r.sadd("big", ...members);
      const seen = new Set<string>();
      let cursor = "0";
      let rounds = 0;
      do {
        const [next, items] = await r.sscan("big", cursor, "COUNT", 20);
        for (const m of items) seen.add(m);
        await r.sadd("big", `extra${rounds}`);
        if (rounds % 2 === 1) await r.srem("big", `extra${rounds - 1}`);
        cursor = next;
        rounds++;
      } while (cursor !== "0");
      for (const m of members) assert.ok(seen.has(m), m);
      assert.ok(rounds > 10);
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("node-redis: set algebra, SMISMEMBER and SINTERCARD", async () => {
  await withServer(async (port) => {
    const c = createClient({ socket: { port, host: "127.0.0.1" } });
    await c.connect();
    try {
      await c.sAdd("x", ["1", "2", "3", "a"]);
      await c.sAdd("y", ["2", "3", "4", "a"]);
      assert.deepEqual((await c.sInter(["x", "y"])).sort(), ["2", "3", "a"]);
      assert.deepEqual((await c.sUnion(["x", "y"])).sort(), ["1", "2", "3", "4", "a"]);
      assert.deepEqual(await c.sDiff(["x", "y"]), ["1"]);
      assert.equal(await c.sInterCard(["x", "y"], 2), 2);
      assert.deepEqual(await c.smIsMember("x", ["1", "4"]), [true, false]);
      assert.equal(await c.sMove("x", "y", "1"), true);
      assert.equal(await c.sCard("y"), 5);
      assert.equal(await c.sDiffStore("z", ["y", "x"]), 2);
      assert.deepEqual(await c.sMembers("z"), ["1", "4"]);
    } finally {
      await c.quit();
    }
  });
});
