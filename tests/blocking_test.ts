// Blocking commands over the wire (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP):
// woken by another client's writes, first blocked first served, float timeouts, no blocking inside
// MULTI, CLIENT UNBLOCK, disconnects and type changes while waiting. One server for the file.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RespClient } from "../src/resp/client.ts";
import { sharedServer } from "./helpers/server.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
/** REREDIS_TEST_REDIS=1 runs the same expectations against redis-server. */
const shared = sharedServer();
const port = shared.port;

/** ioredis without its INFO ready check, on a fresh db-0 connection. */
async function connect(): Promise<Redis> {
  const r = new Redis({ port: await port(), lazyConnect: true, enableReadyCheck: false });
  await r.connect();
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (b: Uint8Array | null) => b === null ? "(closed)" : new TextDecoder().decode(b);

/** Runs `fn` with n ioredis clients (the last one flushes the db first), disconnecting after. */
async function withClients(n: number, fn: (...c: Redis[]) => Promise<void>): Promise<void> {
  const clients: Redis[] = [];
  for (let i = 0; i < n; i++) clients.push(await connect());
  await clients[n - 1].flushall();
  try {
    await fn(...clients);
  } finally {
    for (const c of clients) c.disconnect();
  }
}

/** Waits until the server reports `n` blocked clients (so the order of blocking is known). */
async function untilBlocked(r: Redis, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const list = String(await r.call("CLIENT", "LIST"));
    if (list.split("\n").filter((l) => / flags=\w*b/.test(l)).length >= n) return;
    await sleep(10);
  }
  throw new Error(`never saw ${n} blocked clients`);
}

Deno.test(
  "BLPOP waiters are served first blocked, first served, one element each",
  opts,
  () =>
    withClients(4, async (a, b, c, w) => {
      const pa = a.blpop("q", 0);
      await untilBlocked(w, 1);
      const pb = b.blpop("q", 0);
      await untilBlocked(w, 2);
      const pc = c.blpop("q", 0);
      await untilBlocked(w, 3);
      assert.equal(await w.rpush("q", "1"), 1);
      assert.deepEqual(await pa, ["q", "1"]);
      await w.rpush("q", "2", "3");
      assert.deepEqual(await pb, ["q", "2"]);
      assert.deepEqual(await pc, ["q", "3"]);
      assert.equal(await w.exists("q"), 0);
    }),
);

Deno.test(
  "a waiter on several keys is served from the key that got the push",
  opts,
  () =>
    withClients(2, async (a, w) => {
      const p = a.brpop("k1", "k2", "k3", 0);
      await untilBlocked(w, 1);
      await w.lpush("k2", "x", "y");
      assert.deepEqual(await p, ["k2", "x"]);
      assert.deepEqual(await w.lrange("k2", 0, -1), ["y"]);
    }),
);

Deno.test(
  "BLMOVE and BRPOPLPUSH wake up on a push and move the element",
  opts,
  () =>
    withClients(3, async (a, b, w) => {
      const pa = a.blmove("src", "dst", "LEFT", "RIGHT", 0);
      await untilBlocked(w, 1);
      const pb = b.brpoplpush("src", "dst", 0);
      await untilBlocked(w, 2);
      await w.rpush("src", "one", "two");
      assert.equal(await pa, "one");
      assert.equal(await pb, "two");
      assert.deepEqual(await w.lrange("dst", 0, -1), ["two", "one"]);
    }),
);

Deno.test(
  "BLMPOP wakes up with COUNT elements from the first list that has some",
  opts,
  () =>
    withClients(2, async (a, w) => {
      const p = a.call("BLMPOP", "0", "2", "m1", "m2", "RIGHT", "COUNT", "2");
      await untilBlocked(w, 1);
      await w.rpush("m2", "a", "b", "c");
      assert.deepEqual(await p, ["m2", ["c", "b"]]);
    }),
);

Deno.test(
  "BZPOPMIN, BZPOPMAX and BZMPOP wake up on ZADD",
  opts,
  () =>
    withClients(4, async (a, b, c, w) => {
      const pa = a.bzpopmin("z", 0);
      await untilBlocked(w, 1);
      const pb = b.bzpopmax("z", 0);
      await untilBlocked(w, 2);
      const pc = c.call("BZMPOP", "0", "1", "z", "MIN", "COUNT", "5");
      await untilBlocked(w, 3);
      await w.zadd("z", 1, "low", 5, "high", 3, "mid");
      assert.deepEqual(await pa, ["z", "low", "1"]);
      assert.deepEqual(await pb, ["z", "high", "5"]);
      assert.deepEqual(await pc, ["z", [["mid", "3"]]]);
    }),
);

Deno.test(
  "float timeouts end the wait with a null reply, about on time",
  opts,
  () =>
    withClients(1, async (r) => {
      for (
        const [call, seconds] of [
          [() => r.blpop("none", 0.15), 0.15],
          [() => r.blmove("none", "d", "LEFT", "LEFT", 0.1), 0.1],
          [() => r.bzpopmax("none", 0.1), 0.1],
          [() => r.call("BLMPOP", "0.05", "1", "none", "LEFT"), 0.05],
        ] as const
      ) {
        const t0 = performance.now();
        assert.equal(await call(), null);
        const took = performance.now() - t0;
        assert.ok(took >= seconds * 1000 - 5 && took < seconds * 1000 + 1000, `took ${took} ms`);
      }
    }),
);

Deno.test("a RESP3 client times out with the RESP3 null", opts, async () => {
  const c = await RespClient.connect(await port());
  try {
    await c.call("HELLO", "3");
    await c.send("BLPOP", "none", "0.01");
    assert.equal(text(await c.readRaw()), "_\r\n");
    await c.send("BLMOVE", "none", "x", "LEFT", "LEFT", "0.01");
    assert.equal(text(await c.readRaw()), "_\r\n");
  } finally {
    c.close();
  }
});

Deno.test(
  "inside MULTI blocking commands answer at once as if timed out",
  opts,
  () =>
    withClients(1, async (r) => {
      const t0 = performance.now();
      const res = await r.multi()
        .blpop("none", 0)
        .brpop("none", 0)
        .blmove("none", "d", "LEFT", "LEFT", 0)
        .brpoplpush("none", "d", 0)
        .bzpopmin("none", 0)
        .call("BLMPOP", "0", "1", "none", "LEFT")
        .exec();
      assert.ok(performance.now() - t0 < 1000);
      assert.deepEqual(res, Array(6).fill([null, null]));
    }),
);

Deno.test(
  "a transaction that pushes and pops leaves a waiter blocked; one that pushes serves it",
  opts,
  () =>
    withClients(2, async (a, w) => {
      const p = a.blpop("t", 0);
      await untilBlocked(w, 1);
      await w.multi().rpush("t", "x").lpop("t").exec();
      await sleep(50);
      await untilBlocked(w, 1);
      await w.multi().rpush("t", "y").rpush("t", "z").exec();
      assert.deepEqual(await p, ["t", "y"]);
      assert.deepEqual(await w.lrange("t", 0, -1), ["z"]);
    }),
);

Deno.test(
  "CLIENT UNBLOCK ends a wait as a timeout or with the UNBLOCKED error",
  opts,
  () =>
    withClients(3, async (a, b, w) => {
      const idA = await a.client("ID");
      const idB = await b.client("ID");
      const pa = a.blpop("u", 0);
      const pb = b.bzpopmin("u2", 0).catch((e: Error) => e);
      await untilBlocked(w, 2);
      assert.equal(await w.client("UNBLOCK", idA), 1);
      assert.equal(await pa, null);
      assert.equal(await w.client("UNBLOCK", idB, "ERROR"), 1);
      assert.equal(String(await pb), "ReplyError: UNBLOCKED client unblocked via CLIENT UNBLOCK");
      assert.equal(await w.client("UNBLOCK", idA), 0, "no longer blocked");
      assert.equal(await w.client("UNBLOCK", 999999), 0);
      await assert.rejects(
        w.call("CLIENT", "UNBLOCK", String(idA), "MAYBE"),
        /ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR/,
      );
      // The unblocked clients run later commands normally.
      assert.equal(await a.ping(), "PONG");
      assert.equal(await b.ping(), "PONG");
    }),
);

Deno.test(
  "a waiter that disconnects is forgotten: the next push stays in the list",
  opts,
  () =>
    withClients(2, async (a, w) => {
      a.blpop("gone", 0).catch(() => {});
      await untilBlocked(w, 1);
      a.disconnect();
      await sleep(100);
      await w.rpush("gone", "kept");
      await sleep(50);
      assert.deepEqual(await w.lrange("gone", 0, -1), ["kept"]);
    }),
);

Deno.test(
  "a list waiter ignores the key while it holds another type",
  opts,
  () =>
    withClients(2, async (a, w) => {
      const p = a.blpop("typed", 0);
      await untilBlocked(w, 1);
      await w.set("typed", "string");
      await sleep(50);
      await untilBlocked(w, 1);
      await w.del("typed");
      await w.rpush("typed", "now");
      assert.deepEqual(await p, ["typed", "now"]);
    }),
);

Deno.test("a blocked client's pipelined commands run after it is served", opts, async () => {
  const c = await RespClient.connect(await port());
  const w = await connect();
  try {
    await c.writeRaw("*3\r\n$5\r\nBLPOP\r\n$2\r\npp\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n");
    await untilBlocked(w, 1);
    await w.rpush("pp", "v");
    assert.equal(text(await c.readRaw()), "*2\r\n$2\r\npp\r\n$1\r\nv\r\n");
    assert.equal(text(await c.readRaw()), "+PONG\r\n");
  } finally {
    c.close();
    w.disconnect();
  }
});

Deno.test("a timeout past 2^31 ms (about 25 days) still blocks", opts, async () => {
  await withClients(2, async (a, b) => {
    const pending = a.blpop("long", 3000000);
    await untilBlocked(b, 1);
    await sleep(100);
    await b.lpush("long", "v");
    assert.deepEqual(await pending, ["long", "v"]);
  });
});

Deno.test("blocking servers stop", opts, async () => {
  await shared.stop();
});
