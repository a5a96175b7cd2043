// Real client libraries against Reredis: ioredis and node-redis v4 connect, pipeline, round-trip
// binary Buffers and surface server errors the way their users expect.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { type RunningServer, startReredis } from "./helpers/server.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
/** Bytes no UTF-8 decoder may touch: CR LF, NUL, invalid sequences, high bytes. */
const BINARY = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0xfe, 0xc3, 0x28, 0x80, 0x24, 0x2a]);

Deno.test("ioredis works against Reredis", opts, async (t) => {
  const server: RunningServer = await startReredis();
  const redis = new Redis({ port: server.port, host: "127.0.0.1", lazyConnect: true });
  try {
    await redis.connect();

    await t.step("PING and ECHO", async () => {
      assert.equal(await redis.ping(), "PONG");
      assert.equal(await redis.echo("héllo"), "héllo");
    });

    await t.step("a pipeline returns every reply in order", async () => {
      const res = await redis.pipeline().ping().echo("a").echo("b").call("NOSUCH").exec();
      assert.ok(res);
      assert.deepEqual(res.slice(0, 3), [[null, "PONG"], [null, "a"], [null, "b"]]);
      assert.match(String(res[3][0]), /unknown command 'NOSUCH'/);
    });

    await t.step("binary Buffers round-trip through ECHO", async () => {
      const back = await redis.callBuffer("ECHO", BINARY) as Buffer;
      assert.ok(Buffer.isBuffer(back));
      assert.deepEqual([...back], [...BINARY]);
    });

    await t.step("server errors reject with a ReplyError carrying Redis's text", async () => {
      await assert.rejects(
        () => redis.call("NOSUCH", "x"),
        (e: Error) => {
          assert.equal(e.name, "ReplyError");
          assert.equal(e.message, "ERR unknown command 'NOSUCH', with args beginning with: 'x' ");
          return true;
        },
      );
      await assert.rejects(() => redis.select(99), /ERR DB index is out of range/);
      assert.equal(await redis.ping(), "PONG"); // the connection survives the errors
    });

    await t.step("the db option SELECTs on connect", async () => {
      const other = new Redis({ port: server.port, host: "127.0.0.1", db: 3, lazyConnect: true });
      try {
        await other.connect();
        assert.equal(await other.ping(), "PONG");
      } finally {
        other.disconnect();
      }
    });

    await t.step("MULTI/EXEC through ioredis's multi()", async () => {
      const res = await redis.multi().ping().echo("in-tx").exec();
      assert.deepEqual(res, [[null, "PONG"], [null, "in-tx"]]);
    });

    await t.step("strings and expiry: SET GET INCR EXPIRE TTL DEL", async () => {
      assert.equal(await redis.set("ioredis:k", "v"), "OK");
      assert.equal(await redis.get("ioredis:k"), "v");
      assert.equal(await redis.incr("ioredis:n"), 1);
      assert.equal(await redis.incrby("ioredis:n", 41), 42);
      assert.equal(await redis.expire("ioredis:k", 100), 1);
      const ttl = await redis.ttl("ioredis:k");
      assert.ok(ttl > 0 && ttl <= 100, `ttl ${ttl}`);
      assert.equal(await redis.del("ioredis:k", "ioredis:n", "ioredis:none"), 2);
      assert.equal(await redis.get("ioredis:k"), null);
      await redis.set("ioredis:s", "abc");
      await assert.rejects(
        () => redis.incr("ioredis:s"),
        /^ReplyError: ERR value is not an integer/,
      );
      await redis.del("ioredis:s");
    });

    await t.step("binary keys and values round-trip through SET/GET", async () => {
      await redis.set(BINARY, BINARY);
      const back = await redis.getBuffer(BINARY);
      assert.ok(back);
      assert.deepEqual([...back], [...BINARY]);
      await redis.del(BINARY);
    });
  } finally {
    redis.disconnect();
    await server.stop();
  }
});

Deno.test("node-redis v4 works against Reredis", opts, async (t) => {
  const server: RunningServer = await startReredis();
  const client = createClient({ socket: { host: "127.0.0.1", port: server.port } });
  client.on("error", () => {}); // connection errors surface through the awaited calls
  try {
    await client.connect();

    await t.step("PING and ECHO", async () => {
      assert.equal(await client.ping(), "PONG");
      assert.equal(await client.echo("héllo"), "héllo");
    });

    await t.step("concurrent calls are pipelined and resolve in order", async () => {
      const res = await Promise.all([
        client.ping(),
        client.echo("a"),
        client.sendCommand(["ECHO", "b"]),
      ]);
      assert.deepEqual(res, ["PONG", "a", "b"]);
    });

    await t.step("multi().execAsPipeline() sends a plain pipeline", async () => {
      const res = await client.multi().ping().echo("x").execAsPipeline();
      assert.deepEqual(res, ["PONG", "x"]);
    });

    await t.step("binary Buffers round-trip with returnBuffers", async () => {
      const back = await client.sendCommand(["ECHO", BINARY], { returnBuffers: true });
      assert.ok(Buffer.isBuffer(back));
      assert.deepEqual([...(back as Buffer)], [...BINARY]);
    });

    await t.step("server errors reject with an ErrorReply carrying Redis's text", async () => {
      await assert.rejects(
        () => client.sendCommand(["NOSUCH"]),
        (e: Error) => {
          assert.equal(e.constructor.name, "ErrorReply");
          assert.equal(e.message, "ERR unknown command 'NOSUCH', with args beginning with: ");
          return true;
        },
      );
      assert.equal(await client.ping(), "PONG");
    });

    await t.step("SELECT through the client's select()", async () => {
      await client.select(2);
      await client.select(0);
      await assert.rejects(() => client.select(99), /DB index is out of range/);
    });

    await t.step("strings and expiry: SET GET INCR EXPIRE TTL DEL", async () => {
      assert.equal(await client.set("noderedis:k", "v"), "OK");
      assert.equal(await client.get("noderedis:k"), "v");
      assert.equal(await client.incr("noderedis:n"), 1);
      assert.equal(await client.expire("noderedis:k", 100), true);
      const ttl = await client.ttl("noderedis:k");
      assert.ok(ttl > 0 && ttl <= 100, `ttl ${ttl}`);
      assert.equal(await client.del(["noderedis:k", "noderedis:n"]), 2);
      assert.equal(await client.get("noderedis:k"), null);
    });

    // node-redis v4 speaks RESP2 only (RESP3 arrived in v5), so RESP3 shapes are covered by the
    // differential corpus (HELLO 3) and redis-cli -3 instead.
  } finally {
    await client.disconnect().catch(() => {});
    await server.stop();
  }
});
