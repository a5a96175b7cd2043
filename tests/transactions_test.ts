// Transactions: MULTI/EXEC/DISCARD/WATCH over the wire (ioredis, node-redis, raw sockets) — QUEUED,
// EXECABORT, no rollback on runtime errors, WATCH invalidated by other clients, by expiry and by
// FLUSHDB/FLUSHALL/SWAPDB — and, in process, the one atomic change record a transaction emits.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { Config } from "../src/config.ts";
import { Server } from "../src/server/server.ts";
import { ALL_COMMANDS } from "../src/commands/index.ts";
import { RespClient } from "../src/resp/client.ts";
import { sharedServer } from "./helpers/server.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
/** REREDIS_TEST_REDIS=1 runs the same expectations against redis-server. */
const shared = sharedServer();
const port = shared.port;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (b: Uint8Array | null) => b === null ? "(closed)" : new TextDecoder().decode(b);

/** n fresh ioredis clients on a flushed server, disconnected afterwards. */
async function withClients(n: number, fn: (...c: Redis[]) => Promise<void>): Promise<void> {
  const clients: Redis[] = [];
  for (let i = 0; i < n; i++) {
    const r = new Redis({ port: await port(), lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    clients.push(r);
  }
  await clients[0].flushall();
  try {
    await fn(...clients);
  } finally {
    for (const c of clients) c.disconnect();
  }
}

/** Sends each command and returns the raw replies, in order. */
async function rawSession(c: RespClient, ...cmds: string[][]): Promise<string[]> {
  const out: string[] = [];
  for (const cmd of cmds) {
    await c.send(...cmd);
    out.push(text(await c.readRaw()));
  }
  return out;
}

Deno.test("commands inside MULTI answer QUEUED and EXEC replies all results", opts, async () => {
  await withClients(1, async () => {});
  const c = await RespClient.connect(await port());
  try {
    assert.deepEqual(
      await rawSession(c, ["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["GET", "a"], ["EXEC"]),
      ["+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n"],
    );
  } finally {
    c.close();
  }
});

Deno.test("a queue-time error aborts EXEC with EXECABORT and runs nothing", opts, async () => {
  await withClients(1, async () => {});
  const c = await RespClient.connect(await port());
  try {
    const replies = await rawSession(
      c,
      ["MULTI"],
      ["SET", "x", "1"],
      ["NOSUCH"],
      ["SET", "y"],
      ["EXEC"],
      ["EXISTS", "x", "y"],
    );
    assert.equal(replies[3], "-ERR wrong number of arguments for 'set' command\r\n");
    assert.equal(replies[4], "-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert.equal(replies[5], ":0\r\n");
  } finally {
    c.close();
  }
});

Deno.test(
  "ioredis rejects an aborted transaction; runtime errors do not roll back",
  opts,
  () =>
    withClients(1, async (r) => {
      await assert.rejects(r.multi().set("k", "v").call("NOSUCH").exec(), /EXECABORT/);
      assert.equal(await r.exists("k"), 0);
      await r.set("str", "text");
      const res = await r.multi().incr("str").set("after", "1").lpush("str", "x").incrby("after", 2)
        .exec();
      assert.equal(res!.length, 4);
      assert.match(String(res![0][0]), /ERR value is not an integer or out of range/);
      assert.deepEqual(res![1], [null, "OK"]);
      assert.match(String(res![2][0]), /WRONGTYPE/);
      assert.deepEqual(res![3], [null, 3]);
      assert.equal(await r.get("str"), "text");
      assert.equal(await r.get("after"), "3");
    }),
);

Deno.test(
  "DISCARD drops the queue and the WATCHes",
  opts,
  () =>
    withClients(2, async (r, other) => {
      await r.watch("w");
      // Sent one by one: ioredis's own multi().discard() never reaches the server.
      assert.equal(await r.call("MULTI"), "OK");
      assert.equal(await r.call("SET", "d", "1"), "QUEUED");
      assert.equal(await r.call("DISCARD"), "OK");
      assert.equal(await r.exists("d"), 0);
      await other.set("w", "changed");
      // The WATCH went with DISCARD: a new transaction is not aborted by the earlier write.
      assert.deepEqual(await r.multi().set("d", "2").exec(), [[null, "OK"]]);
    }),
);

Deno.test(
  "a WATCHed key written by another client makes EXEC return null",
  opts,
  () =>
    withClients(2, async (r, other) => {
      await r.set("bal", "10");
      await r.watch("bal");
      const bal = Number(await r.get("bal"));
      await other.incrby("bal", 5);
      assert.equal(await r.multi().set("bal", String(bal - 1)).exec(), null);
      assert.equal(await r.get("bal"), "15");
      // Without interference the same optimistic update goes through.
      await r.watch("bal");
      assert.deepEqual(await r.multi().set("bal", "14").exec(), [[null, "OK"]]);
      // Any write counts, even one that leaves the same value; a write to another db does not.
      await r.watch("bal");
      await other.set("bal", "14");
      assert.equal(await r.multi().get("bal").exec(), null);
      await r.watch("bal");
      await other.select(1);
      await other.set("bal", "other-db");
      assert.deepEqual(await r.multi().get("bal").exec(), [[null, "14"]]);
    }),
);

Deno.test(
  "WATCH of a missing key is invalidated when another client creates it",
  opts,
  () =>
    withClients(2, async (r, other) => {
      await r.watch("fresh");
      await other.lpush("fresh", "x");
      assert.equal(await r.multi().ping().exec(), null);
    }),
);

Deno.test(
  "a WATCHed key that expires before EXEC aborts it (Redis 7.0)",
  opts,
  () =>
    withClients(1, async (r) => {
      await r.set("ttl", "v", "PX", 50);
      await r.watch("ttl");
      await sleep(120);
      assert.equal(await r.multi().ping().exec(), null);
      // A key already expired at WATCH time is just a missing key.
      await r.set("gone", "v", "PX", 10);
      await sleep(50);
      await r.watch("gone");
      assert.deepEqual(await r.multi().ping().exec(), [[null, "PONG"]]);
    }),
);

Deno.test(
  "FLUSHDB, FLUSHALL and SWAPDB invalidate WATCHes on keys they remove",
  opts,
  () =>
    withClients(2, async (r, other) => {
      for (const flush of [() => other.flushdb(), () => other.flushall()]) {
        await r.set("f", "v");
        await r.watch("f");
        await flush();
        assert.equal(await r.multi().ping().exec(), null);
      }
      // Flushing a db where the watched key does not exist changes nothing for it.
      await r.set("f", "v");
      await r.watch("f");
      await other.select(2);
      await other.flushdb();
      assert.deepEqual(await r.multi().ping().exec(), [[null, "PONG"]]);
      await r.watch("f");
      await other.swapdb(0, 1);
      assert.equal(await r.multi().ping().exec(), null);
    }),
);

Deno.test("node-redis transactions and WATCH", opts, async () => {
  await withClients(1, async () => {});
  const a = createClient({ socket: { port: await port() } });
  const b = createClient({ socket: { port: await port() } });
  await a.connect();
  await b.connect();
  try {
    assert.deepEqual(await a.multi().set("n", "1").incr("n").get("n").exec(), ["OK", 2, "2"]);
    await a.watch("n");
    await b.set("n", "100");
    await assert.rejects(a.multi().incr("n").exec(), /WatchError|watched keys/i);
    assert.equal(await a.get("n"), "100");
  } finally {
    await a.quit();
    await b.quit();
  }
});

Deno.test(
  "MULTI errors: nesting, EXEC and DISCARD without MULTI, WATCH inside MULTI",
  opts,
  async () => {
    const c = await RespClient.connect(await port());
    try {
      assert.deepEqual(
        await rawSession(c, ["EXEC"], ["DISCARD"], ["MULTI"], ["MULTI"], ["WATCH", "k"], ["EXEC"]),
        [
          "-ERR EXEC without MULTI\r\n",
          "-ERR DISCARD without MULTI\r\n",
          "+OK\r\n",
          "-ERR MULTI calls can not be nested\r\n",
          "-ERR WATCH inside MULTI is not allowed\r\n",
          "*0\r\n",
        ],
      );
    } finally {
      c.close();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// In process: the write path

function inProcess() {
  const server = new Server(new Config(), ALL_COMMANDS);
  const c = server.internalClient();
  const records: { atomic: boolean; commands: string[] }[] = [];
  const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
  server.wp.subscribe((rec) =>
    records.push({
      atomic: rec.atomic,
      commands: rec.commands.map((cmd) => cmd.argv.map(latin1).join(" ")),
    })
  );
  const run = (...args: string[]) => {
    server.execute(c, args.map((a) => new TextEncoder().encode(a)));
    return new TextDecoder().decode(c.reply.take());
  };
  return { run, records };
}

Deno.test("EXEC emits one atomic change record holding every write, in order", () => {
  const h = inProcess();
  h.run("MULTI");
  h.run("SET", "a", "1");
  h.run("GET", "a");
  h.run("INCRBYFLOAT", "a", "1.5");
  h.run("LPUSH", "l", "x");
  h.run("EXEC");
  assert.equal(h.records.length, 1);
  assert.equal(h.records[0].atomic, true);
  assert.deepEqual(h.records[0].commands, [
    "SET a 1",
    "SET a 2.5 KEEPTTL",
    "LPUSH l x",
  ]);
});

Deno.test("a transaction with one write, or none, is not wrapped; an aborted one emits nothing", () => {
  const h = inProcess();
  h.run("MULTI");
  h.run("SET", "a", "1");
  h.run("GET", "a");
  h.run("EXEC");
  h.run("MULTI");
  h.run("GET", "a");
  h.run("EXEC");
  h.run("MULTI");
  h.run("SET", "b", "1");
  h.run("NOSUCH");
  h.run("EXEC");
  assert.deepEqual(h.records, [{ atomic: false, commands: ["SET a 1"] }]);
});

Deno.test("transactions servers stop", opts, async () => {
  await shared.stop();
});
