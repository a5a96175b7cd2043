// Pub/sub over the wire: channel, pattern and shard subscriptions with ioredis, node-redis and raw
// sockets; RESP3 push frames; the RESP2 subscribed-mode restrictions; PUBSUB introspection across
// clients; and the `client-output-buffer-limit pubsub` limits disconnecting a subscriber that
// stops reading. One server for the file.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { RespClient } from "../src/resp/client.ts";
import { sharedServer } from "./helpers/server.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
/** REREDIS_TEST_REDIS=1 runs the same expectations against redis-server. */
const shared = sharedServer();
const port = shared.port;

async function connect(): Promise<Redis> {
  const r = new Redis({ port: await port(), lazyConnect: true, enableReadyCheck: false });
  await r.connect();
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (b: Uint8Array | null) => b === null ? "(closed)" : new TextDecoder().decode(b);

/** Polls `fn` until it returns true (or fails after ~`ms`). */
async function eventually(
  fn: () => boolean | Promise<boolean>,
  what: string,
  ms = 3000,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await fn()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

Deno.test(
  "ioredis subscribers receive messages; PUBLISH counts channel and pattern receivers",
  opts,
  async () => {
    const [sub, psub, pub] = [await connect(), await connect(), await connect()];
    try {
      const got: string[] = [];
      sub.on("message", (ch: string, msg: string) => got.push(`message ${ch} ${msg}`));
      psub.on(
        "pmessage",
        (p: string, ch: string, msg: string) => got.push(`pmessage ${p} ${ch} ${msg}`),
      );
      assert.equal(await sub.subscribe("news", "sport"), 2);
      assert.equal(await psub.psubscribe("n*"), 1);
      assert.equal(await pub.publish("news", "hello"), 2);
      assert.equal(await pub.publish("sport", "goal"), 1);
      assert.equal(await pub.publish("nothing-subscribed", "x"), 1, "the pattern matches it");
      assert.equal(await pub.publish("weather", "rain"), 0);
      await eventually(() => got.length === 4, "4 deliveries");
      assert.deepEqual(got.sort(), [
        "message news hello",
        "message sport goal",
        "pmessage n* news hello",
        "pmessage n* nothing-subscribed x",
      ]);
    } finally {
      for (const c of [sub, psub, pub]) c.disconnect();
    }
  },
);

Deno.test(
  "a client subscribed to a channel and a matching pattern gets the message twice",
  opts,
  async () => {
    const c = await RespClient.connect(await port());
    const pub = await connect();
    try {
      await c.send("SUBSCRIBE", "ch");
      await c.readRaw();
      await c.send("PSUBSCRIBE", "c?");
      await c.readRaw();
      assert.equal(await pub.publish("ch", "m"), 2);
      assert.equal(text(await c.readRaw()), "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n");
      assert.equal(
        text(await c.readRaw()),
        "*4\r\n$8\r\npmessage\r\n$2\r\nc?\r\n$2\r\nch\r\n$1\r\nm\r\n",
      );
    } finally {
      c.close();
      pub.disconnect();
    }
  },
);

Deno.test("RESP3 subscribers get push frames and may still run any command", opts, async () => {
  const c = await RespClient.connect(await port());
  const pub = await connect();
  try {
    await c.call("HELLO", "3");
    await c.send("SUBSCRIBE", "r3");
    assert.equal(text(await c.readRaw()), ">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n");
    await pub.publish("r3", "pushed");
    assert.equal(text(await c.readRaw()), ">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$6\r\npushed\r\n");
    await c.send("SET", "k", "v");
    assert.equal(text(await c.readRaw()), "+OK\r\n");
    await c.send("GET", "k");
    assert.equal(text(await c.readRaw()), "$1\r\nv\r\n");
    await c.send("PING");
    assert.equal(text(await c.readRaw()), "+PONG\r\n");
  } finally {
    c.close();
    pub.disconnect();
  }
});

Deno.test(
  "RESP2 subscribed mode allows only (un)subscribe, PING, QUIT and RESET",
  opts,
  async () => {
    const c = await RespClient.connect(await port());
    try {
      await c.send("SUBSCRIBE", "a");
      await c.readRaw();
      for (const cmd of [["GET", "x"], ["PUBLISH", "a", "b"], ["CLIENT", "ID"]]) {
        await c.send(...cmd);
        const name = cmd[0] === "CLIENT" ? "client|id" : cmd[0].toLowerCase();
        assert.equal(
          text(await c.readRaw()),
          `-ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n`,
        );
      }
      await c.send("PING", "hi");
      assert.equal(text(await c.readRaw()), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
      await c.send("UNSUBSCRIBE");
      assert.equal(text(await c.readRaw()), "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n");
      await c.send("GET", "x");
      assert.match(text(await c.readRaw()), /^\$/);
    } finally {
      c.close();
    }
  },
);

Deno.test(
  "PUBSUB CHANNELS, NUMSUB and NUMPAT count every client; a disconnect unsubscribes",
  opts,
  async () => {
    const [a, b, q] = [await connect(), await connect(), await connect()];
    try {
      await a.subscribe("x1", "x2", "y1");
      await b.subscribe("x1");
      await b.psubscribe("x*", "y*", "x*");
      assert.deepEqual(((await q.pubsub("CHANNELS")) as string[]).sort(), ["x1", "x2", "y1"]);
      assert.deepEqual(((await q.pubsub("CHANNELS", "x*")) as string[]).sort(), ["x1", "x2"]);
      assert.deepEqual(await q.pubsub("NUMSUB", "x1", "x2", "zz"), ["x1", 2, "x2", 1, "zz", 0]);
      assert.equal(await q.pubsub("NUMPAT"), 2);
      b.disconnect();
      await eventually(async () => Number(await q.pubsub("NUMPAT")) === 0, "patterns dropped");
      assert.deepEqual(await q.pubsub("NUMSUB", "x1"), ["x1", 1]);
      await a.unsubscribe("x2");
      assert.deepEqual(((await q.pubsub("CHANNELS")) as string[]).sort(), ["x1", "y1"]);
    } finally {
      for (const c of [a, b, q]) c.disconnect();
    }
  },
);

Deno.test(
  "sharded pub/sub: SPUBLISH reaches SSUBSCRIBE clients only, PUBLISH never does",
  opts,
  async () => {
    const s = await RespClient.connect(await port());
    const pub = await connect();
    try {
      await s.send("SSUBSCRIBE", "{user}1", "{user}2");
      assert.equal(text(await s.readRaw()), "*3\r\n$10\r\nssubscribe\r\n$7\r\n{user}1\r\n:1\r\n");
      assert.equal(text(await s.readRaw()), "*3\r\n$10\r\nssubscribe\r\n$7\r\n{user}2\r\n:2\r\n");
      assert.equal(await pub.publish("{user}1", "plain"), 0);
      assert.equal(await pub.call("SPUBLISH", "{user}1", "sharded"), 1);
      assert.equal(
        text(await s.readRaw()),
        "*3\r\n$8\r\nsmessage\r\n$7\r\n{user}1\r\n$7\r\nsharded\r\n",
      );
      assert.deepEqual(((await pub.call("PUBSUB", "SHARDCHANNELS")) as string[]).sort(), [
        "{user}1",
        "{user}2",
      ]);
      assert.deepEqual(await pub.call("PUBSUB", "SHARDNUMSUB", "{user}1", "nope"), [
        "{user}1",
        1,
        "nope",
        0,
      ]);
      assert.deepEqual(await pub.pubsub("CHANNELS"), [], "shard channels are listed apart");
      await s.send("SUNSUBSCRIBE");
      await s.readRaw();
      await s.readRaw();
      assert.deepEqual(await pub.call("PUBSUB", "SHARDCHANNELS"), []);
    } finally {
      s.close();
      pub.disconnect();
    }
  },
);

Deno.test("binary channels and messages arrive byte for byte", opts, async () => {
  const c = await RespClient.connect(await port());
  const pub = await RespClient.connect(await port());
  try {
    const ch = new Uint8Array([0, 0xff, 13, 10]);
    const msg = new Uint8Array([1, 2, 0, 0xfe, 13, 10, 36]);
    await c.send("SUBSCRIBE", ch);
    await c.readRaw();
    assert.equal(await pub.call("PUBLISH", ch, msg), 1);
    const raw = await c.readRaw();
    const expected = [
      ...new TextEncoder().encode("*3\r\n$7\r\nmessage\r\n$4\r\n"),
      ...ch,
      13,
      10,
      ...new TextEncoder().encode("$7\r\n"),
      ...msg,
      13,
      10,
    ];
    assert.deepEqual([...raw!], expected);
  } finally {
    c.close();
    pub.close();
  }
});

Deno.test("node-redis subscribes, receives and unsubscribes", opts, async () => {
  const client = createClient({ socket: { port: await port() } });
  await client.connect();
  const sub = client.duplicate();
  await sub.connect();
  try {
    const got: string[] = [];
    await sub.subscribe("nr", (message, channel) => got.push(`${channel}:${message}`));
    await sub.pSubscribe("nr*", (message, channel) => got.push(`p ${channel}:${message}`));
    assert.equal(await client.publish("nr", "one"), 2);
    assert.equal(await client.publish("nr2", "two"), 1);
    await eventually(() => got.length === 3, "3 deliveries");
    assert.deepEqual(got.sort(), ["nr:one", "p nr2:two", "p nr:one"]);
    await sub.unsubscribe("nr");
    await sub.pUnsubscribe();
    assert.equal(await client.publish("nr", "three"), 0);
  } finally {
    await sub.quit();
    await client.quit();
  }
});

Deno.test("CONFIG client-output-buffer-limit reads and writes Redis's format", opts, async () => {
  const r = await connect();
  try {
    const def = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
    assert.deepEqual(await r.config("GET", "client-output-buffer-limit"), [
      "client-output-buffer-limit",
      def,
    ]);
    assert.equal(await r.config("SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60"), "OK");
    await assert.rejects(
      r.config("SET", "client-output-buffer-limit", "pubsub 1mb"),
      /Wrong number of arguments in buffer limit configuration/,
    );
    await assert.rejects(
      r.config("SET", "client-output-buffer-limit", "pubsub 1mb 1mb -1"),
      /Error in hard, soft or soft_seconds setting in buffer limit configuration/,
    );
    assert.deepEqual(await r.config("GET", "client-output-buffer-limit"), [
      "client-output-buffer-limit",
      def,
    ]);
  } finally {
    r.disconnect();
  }
});

/** A subscriber that never reads its socket, and a publisher flooding its channel. */
async function slowSubscriber(limit: string, body: (pub: Redis, sub: RespClient) => Promise<void>) {
  const pub = await connect();
  const sub = await RespClient.connect(await port());
  try {
    await pub.config("SET", "client-output-buffer-limit", limit);
    await sub.send("SUBSCRIBE", "flood");
    await sub.readRaw();
    await body(pub, sub);
  } finally {
    await pub.config("SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
    sub.close();
    pub.disconnect();
  }
}

const CHUNK = "x".repeat(64 * 1024);

Deno.test(
  "a subscriber that stops reading is closed past the pubsub hard limit",
  opts,
  () =>
    slowSubscriber("pubsub 1mb 0 0", async (pub) => {
      let sent = 0;
      while ((await pub.publish("flood", CHUNK)) === 1) {
        sent += CHUNK.length;
        assert.ok(sent < 256 * 1024 * 1024, "never disconnected");
      }
      await eventually(
        async () => !String(await pub.client("LIST")).includes("sub=1"),
        "subscriber gone",
      );
      assert.deepEqual(await pub.pubsub("NUMSUB", "flood"), ["flood", 0]);
    }),
);

Deno.test(
  "a subscriber over the soft limit is closed only after soft-seconds",
  opts,
  () =>
    slowSubscriber("pubsub 0 512kb 1", async (pub) => {
      // Fill the socket buffers and then some, so the subscriber sits over the soft limit.
      const t0 = Date.now();
      let receivers = 1;
      let overSince = 0;
      while (receivers === 1 && Date.now() - t0 < 10000) {
        receivers = await pub.publish("flood", CHUNK);
        const omem = Number(
          / omem=(\d+)/.exec(
            String(await pub.client("LIST")).split("\n").find((l) => l.includes("sub=1")) ?? "",
          )?.[1] ?? 0,
        );
        if (omem >= 512 * 1024 && overSince === 0) overSince = Date.now();
        if (overSince > 0) await sleep(50);
      }
      assert.equal(receivers, 0, "disconnected within 10 s");
      assert.ok(overSince > 0 && Date.now() - overSince >= 900, "not before soft-seconds");
    }),
);

Deno.test("a subscriber that keeps reading is not disconnected by a burst", opts, async () => {
  const pub = await connect();
  const sub = await connect();
  try {
    let got = 0;
    sub.on("messageBuffer", () => got++);
    await sub.subscribe("burst");
    const n = 200;
    const pipeline = pub.pipeline();
    for (let i = 0; i < n; i++) pipeline.publish("burst", CHUNK);
    const results = await pipeline.exec();
    assert.ok(results!.every(([e, v]) => e === null && v === 1));
    await eventually(() => got === n, `${n} messages`, 10000);
  } finally {
    sub.disconnect();
    pub.disconnect();
  }
});

Deno.test("pubsub servers stop", opts, async () => {
  await shared.stop();
});
