// Lists: the deque against an array model, O(1) work at both ends of a million-element list,
// keyspace events and propagated forms of the list commands and SORT (in process, through the
// write path), OBJECT ENCODING as Redis 7.0, and ioredis / node-redis over the wire.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { ListValue, packLimits, setListMaxListpackSize } from "../src/store/list.ts";
import { cloneValue, deserializeValue, serializeValue } from "../src/store/dump.ts";
import { type RunningServer, startReredis } from "./helpers/server.ts";
import { inProcess as harness } from "./helpers/in_process.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
let server: Promise<RunningServer> | undefined;
const port = async () => (await (server ??= startReredis())).port;

async function connect(): Promise<Redis> {
  const r = new Redis({ port: await port(), lazyConnect: true, enableReadyCheck: false });
  await r.connect();
  return r;
}

/** A server without sockets: commands in, raw replies, propagated commands and events out. */
const inProcess = () => harness();

// ---------------------------------------------------------------------------------------------
// The deque

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random ops on a ListValue and an array side by side; elements of 1, 200 and > limit bytes. */
function modelRun(seed: number, steps: number, fill: number): void {
  const rand = rng(seed);
  const l = new ListValue();
  let model: string[] = [];
  let packedSeen = 0, ringSeen = 0;
  const element = () => {
    const r = rand();
    const d = String(Math.floor(rand() * 8));
    return r < 0.9 ? d : r < 0.99 ? d.repeat(200) : d.repeat(packLimits.maxBytes + 1);
  };
  for (let step = 0; step < steps; step++) {
    const v = element();
    const op = Math.floor(rand() * 10);
    if (op === 0) (l.pushHead(v), model.unshift(v));
    else if (op === 1) (l.pushTail(v), model.push(v));
    else if (op === 2) assert.equal(l.popHead(), model.shift());
    else if (op === 3) assert.equal(l.popTail(), model.pop());
    else if (op === 4) {
      const i = Math.floor(rand() * (model.length + 1));
      l.insertAt(i, v);
      model.splice(i, 0, v);
    } else if (op === 5 && model.length > 0) {
      const i = Math.floor(rand() * model.length);
      assert.equal(l.set(i, v), true);
      model[i] = v;
      assert.equal(l.get(i), v);
    } else if (op === 6 && rand() < 0.2) {
      const limit = Math.floor(rand() * 3);
      const fromTail = rand() < 0.5;
      let removed = 0;
      const keep = (fromTail ? [...model].reverse() : model).filter((e) => {
        if (e === v && (limit === 0 || removed < limit)) return !++removed;
        return true;
      });
      model = fromTail ? keep.reverse() : keep;
      assert.equal(l.removeMatching(v, limit, fromTail), removed);
    } else if (op === 7 && rand() < 0.05) {
      const h = Math.floor(rand() * 3), t = Math.floor(rand() * 3);
      l.trim(h, t);
      model = model.slice(Math.min(h, model.length), Math.max(model.length - t, h));
    } else if (op === 8) assert.equal(l.indexOf(v), model.indexOf(v));
    else if (op === 9 && model.length > 0) {
      const i = Math.floor(rand() * model.length);
      assert.equal(l.get(i), model[i]);
    }
    assert.equal(l.size, model.length);
    if (l.isPacked) packedSeen++;
    else ringSeen++;
    if (step % 97 === 0) {
      assert.deepEqual([...l.values()], model);
      assert.deepEqual([...l.valuesReversed()], [...model].reverse());
      assert.deepEqual([...l.clone().values()], model);
    }
  }
  assert.deepEqual([...l.values()], model);
  assert.ok(
    packedSeen > 0 && ringSeen > 0,
    `fill ${fill}: packed ${packedSeen} / ring ${ringSeen} steps`,
  );
}

Deno.test("the list matches an array model in both forms, for every list-max-listpack-size", () => {
  try {
    for (const fill of [-2, -1, -5, 4, 1, 0]) {
      setListMaxListpackSize(fill);
      modelRun(42 + fill, 6000, fill);
    }
  } finally {
    setListMaxListpackSize(-2);
  }
});

Deno.test("a list packs into one string up to the limit, and again once it halves", () => {
  const l = new ListValue();
  for (let i = 0; i < 500; i++) l.pushTail("0123456789"); // 12 chars framed: 6000 < 8192
  assert.equal(l.isPacked, true);
  for (let i = 0; i < 300; i++) l.pushHead("0123456789");
  assert.equal(l.isPacked, false, "9600 chars > 8 KB");
  while (l.size > 400) l.popTail();
  assert.equal(l.isPacked, false, "not yet at half the limit");
  while (l.size > 300) l.popHead();
  assert.equal(l.isPacked, true, "packed again under 4 KB");
  assert.deepEqual([...l.values()], Array(300).fill("0123456789"));
  l.pushTail("x".repeat(9000));
  assert.equal(l.isPacked, false, "an element past the limit");
});

/** Nanoseconds per push+pop pair at both ends of a list of `n` elements. */
function costPerOp(n: number, ops: number): number {
  const l = new ListValue();
  for (let i = 0; i < n; i++) l.pushTail("e" + (i & 1023));
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    l.pushHead("h");
    l.popTail();
    l.pushTail("t");
    l.popHead();
  }
  assert.equal(l.size, n);
  return ((performance.now() - t0) * 1e6) / ops;
}

Deno.test("push and pop at both ends cost the same on a million elements as on ten thousand", () => {
  costPerOp(10_000, 100_000); // warm up the JIT
  const small = costPerOp(10_000, 200_000);
  const big = costPerOp(1_000_000, 200_000);
  // O(n) work (an Array.shift on a big array) would be ~100x slower; allow wide timer noise.
  assert.ok(
    big < small * 10 + 200,
    `1M: ${big.toFixed(0)} ns/op vs 10k: ${small.toFixed(0)} ns/op`,
  );
});

Deno.test("the DUMP codec round-trips a list and COPY clones it deeply", () => {
  const l = ListValue.from(["a", "\x00\xff", "", "x".repeat(10000)]);
  const back = deserializeValue(serializeValue(l)) as ListValue;
  assert.deepEqual([...back.values()], [...l.values()]);
  const copy = cloneValue(l) as ListValue;
  copy.pushTail("more");
  assert.equal(l.size, 4);
});

// ---------------------------------------------------------------------------------------------
// Events and propagation

Deno.test("pushes and pops emit their events; an emptied list is deleted with del", () => {
  const h = inProcess();
  h.run("RPUSH", "l", "a", "b", "c");
  h.run("LPUSHX", "nokey", "a");
  h.run("LPOP", "l");
  h.run("RPOP", "l", "5");
  assert.deepEqual(h.take(), {
    commands: ["RPUSH l a b c", "LPOP l", "RPOP l 5"],
    events: ["rpush:l:l", "lpop:l:l", "rpop:l:l", "del:g:l"],
  });
});

Deno.test("LMPOP and a served BLPOP/BLMPOP propagate as LPOP/RPOP with the count", () => {
  const h = inProcess();
  h.run("RPUSH", "l", "a", "b", "c", "d", "e");
  h.take();
  h.run("LMPOP", "2", "none", "l", "LEFT", "COUNT", "2");
  h.run("BLPOP", "none", "l", "0");
  h.run("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "9");
  assert.deepEqual(h.take(), {
    commands: ["LPOP l 2", "LPOP l", "RPOP l 2"],
    events: ["lpop:l:l", "lpop:l:l", "rpop:l:l", "del:g:l"],
  });
});

Deno.test("LMOVE emits the push on the destination before the pop on the source", () => {
  const h = inProcess();
  h.run("RPUSH", "s", "x");
  h.take();
  assert.equal(h.run("BLMOVE", "s", "d", "RIGHT", "LEFT", "0"), "$1\r\nx\r\n");
  assert.deepEqual(h.take(), {
    commands: ["LMOVE s d RIGHT LEFT"],
    events: ["lpush:l:d", "rpop:l:s", "del:g:s"],
  });
  h.run("RPOPLPUSH", "d", "d");
  assert.deepEqual(h.take(), {
    commands: ["RPOPLPUSH d d"],
    events: ["lpush:l:d", "rpop:l:d"],
  });
});

Deno.test("no-op writes propagate nothing; LTRIM that removes nothing still notifies", () => {
  const h = inProcess();
  h.run("RPUSH", "l", "a", "b");
  h.take();
  h.run("LREM", "l", "0", "zz");
  h.run("LINSERT", "l", "BEFORE", "zz", "x");
  h.run("LPOP", "none");
  h.run("LTRIM", "l", "0", "-1");
  assert.deepEqual(h.take(), { commands: [], events: ["ltrim:l:l"] });
  h.run("LSET", "l", "0", "A");
  h.run("LINSERT", "l", "AFTER", "A", "mid");
  h.run("LREM", "l", "1", "b");
  h.run("LTRIM", "l", "5", "10");
  assert.deepEqual(h.take(), {
    commands: ["LSET l 0 A", "LINSERT l AFTER A mid", "LREM l 1 b", "LTRIM l 5 10"],
    events: ["lset:l:l", "linsert:l:l", "lrem:l:l", "ltrim:l:l", "del:g:l"],
  });
});

Deno.test("SORT … STORE propagates verbatim and emits sortstore; an empty result deletes", () => {
  const h = inProcess();
  h.run("RPUSH", "l", "3", "1", "2");
  h.run("SADD", "s", "b", "a", "c");
  h.run("SET", "dst", "old");
  h.take();
  assert.equal(h.run("SORT", "l"), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
  assert.equal(h.run("SORT", "l", "DESC", "STORE", "dst"), ":3\r\n");
  assert.equal(h.run("SORT", "s", "BY", "nosort", "STORE", "dst2"), ":3\r\n");
  assert.equal(h.run("LRANGE", "dst2", "0", "-1"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  assert.equal(h.run("SORT", "none", "STORE", "dst"), ":0\r\n");
  assert.equal(h.run("SORT", "none", "STORE", "dst"), ":0\r\n");
  assert.equal(h.run("SORT_RO", "l", "LIMIT", "0", "1"), "*1\r\n$1\r\n1\r\n");
  assert.deepEqual(h.take(), {
    commands: ["SORT l DESC STORE dst", "SORT s BY nosort STORE dst2", "SORT none STORE dst"],
    events: ["sortstore:l:dst", "sortstore:l:dst2", "del:g:dst"],
  });
});

Deno.test("OBJECT ENCODING is quicklist for every list in Redis 7.0, whatever the size setting", () => {
  const h = inProcess();
  for (const size of ["-2", "1", "-5", "128"]) {
    assert.equal(h.run("CONFIG", "SET", "list-max-listpack-size", size), "+OK\r\n");
    h.run("RPUSH", `l${size}`, "a");
    assert.equal(h.run("OBJECT", "ENCODING", `l${size}`), "$9\r\nquicklist\r\n");
    h.run("RPUSH", `l${size}`, ..."x".repeat(300).split(""));
    assert.equal(h.run("OBJECT", "ENCODING", `l${size}`), "$9\r\nquicklist\r\n");
  }
  assert.equal(
    h.run("CONFIG", "GET", "list-max-ziplist-size"),
    "*2\r\n$21\r\nlist-max-ziplist-size\r\n$3\r\n128\r\n",
  );
});

// ---------------------------------------------------------------------------------------------
// Over the wire

Deno.test(
  "a million-element list: pushes, pops at both ends and ranges stay fast",
  opts,
  async () => {
    const r = await connect();
    try {
      await r.del("big");
      const batch = Array.from({ length: 10_000 }, (_, i) => String(i));
      const t0 = performance.now();
      for (let i = 0; i < 100; i++) await r.rpush("big", ...batch);
      assert.equal(await r.llen("big"), 1_000_000);
      const pipe = r.pipeline();
      for (let i = 0; i < 10_000; i++) {
        pipe.lpush("big", "h").rpop("big").rpush("big", "t").lpop(
          "big",
        );
      }
      await pipe.exec();
      assert.equal(await r.llen("big"), 1_000_000);
      // Each round replaced the last element by "t" and left the head as it was.
      assert.deepEqual(await r.lrange("big", 0, 2), ["0", "1", "2"]);
      assert.deepEqual(await r.lrange("big", -2, -1), ["9998", "t"]);
      assert.equal(await r.lindex("big", 500_123), "123");
      assert.equal((await r.lpop("big", 1000))!.length, 1000);
      assert.ok(performance.now() - t0 < 30_000);
    } finally {
      await r.del("big");
      r.disconnect();
    }
  },
);

Deno.test("ioredis list commands round-trip binary elements", opts, async () => {
  const r = await connect();
  try {
    await r.del("bin", "dst");
    const bytes = Buffer.from([0, 255, 13, 10, 36]);
    await r.rpush("bin", bytes, "plain");
    assert.deepEqual(await r.lrangeBuffer("bin", 0, 0), [bytes]);
    assert.equal(await r.lpos("bin", bytes), 0);
    assert.deepEqual(await r.lmoveBuffer("bin", "dst", "LEFT", "RIGHT"), bytes);
    assert.deepEqual(await r.lrange("bin", 0, -1), ["plain"]);
    assert.deepEqual(await r.call("LMPOP", "2", "bin", "dst", "LEFT", "COUNT", "5"), [
      "bin",
      ["plain"],
    ]);
  } finally {
    r.disconnect();
  }
});

Deno.test("node-redis list commands", opts, async () => {
  const c = createClient({ socket: { port: await port() } });
  await c.connect();
  try {
    await c.del("nl");
    assert.equal(await c.rPush("nl", ["a", "b", "c"]), 3);
    assert.equal(await c.lInsert("nl", "BEFORE", "b", "x"), 4);
    assert.deepEqual(await c.lRange("nl", 0, -1), ["a", "x", "b", "c"]);
    assert.deepEqual(await c.lPopCount("nl", 2), ["a", "x"]);
    assert.deepEqual(await c.lPos("nl", "c"), 1);
    assert.deepEqual(await c.sort("nl", { DIRECTION: "DESC", ALPHA: true }), ["c", "b"]);
    assert.equal(await c.lLen("nl"), 2);
  } finally {
    await c.quit();
  }
});

Deno.test("lists servers stop", opts, async () => {
  if (server) await (await server).stop();
});
