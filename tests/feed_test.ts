// The WebSocket change feed (/ws, docs/websocket.md) against a real server: pattern subscriptions,
// event order and shapes, resume with `since`, slow consumers, hostile frames and the command op.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { freePort, type RunningServer, startReredis } from "./helpers/server.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
type Msg = Record<string, unknown>;

/** A WebSocket client that queues incoming JSON messages for `next`. */
class Ws {
  readonly queue: Msg[] = [];
  #waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      this.queue.push(JSON.parse(e.data));
      this.#wake();
    };
    ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.#wake();
    };
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  static async open(port: number, headers?: Record<string, string>): Promise<Ws> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers } as unknown as string[]);
    await new Promise((res, rej) => {
      ws.onopen = res;
      ws.onerror = rej;
    });
    return new Ws(ws);
  }

  send(m: unknown): void {
    this.ws.send(typeof m === "string" ? m : JSON.stringify(m));
  }

  /** The next message (optionally the next one matching `pred`), within `ms`. */
  async next(pred: (m: Msg) => boolean = () => true, ms = 3000): Promise<Msg> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.queue.findIndex(pred);
      if (i >= 0) return this.queue.splice(i, 1)[0];
      if (this.closed) throw new Error(`closed ${JSON.stringify(this.closed)}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no message within ${ms} ms; have ${JSON.stringify(this.queue)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitClosed(ms = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error("not closed");
    return this.closed;
  }

  async subscribe(sub: Msg): Promise<Msg> {
    this.send({ op: "subscribe", ...sub });
    return await this.next((m) => m.op === "subscribed" || m.op === "error");
  }

  close(): void {
    try {
      this.ws.close();
    } catch { /* already closed */ }
  }
}

async function withServer(
  options: string[],
  fn: (s: RunningServer, http: number, redis: Redis) => Promise<void>,
): Promise<void> {
  const http = freePort();
  const s = await startReredis(["--appendonly", "no", "--http-port", String(http), ...options]);
  const i = options.indexOf("--requirepass");
  const password = i >= 0 ? options[i + 1] : undefined;
  const redis = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0, password });
  await redis.connect();
  try {
    await fn(s, http, redis);
  } finally {
    redis.disconnect();
    await s.stop();
  }
}

const events = (ms: Msg[]) => ms.map((m) => `${m.event} ${m.key}`);

Deno.test(
  "feed: a pattern subscription gets set/del/expire/rename events in order",
  opts,
  () =>
    withServer([], async (_s, http, redis) => {
      const ws = await Ws.open(http);
      const ack = await ws.subscribe({ patterns: ["user:*"] });
      assert.equal(ack.op, "subscribed");
      await redis.set("user:1", "alice");
      await redis.set("other", "x"); // not matching
      await redis.hset("user:2", "name", "bob");
      await redis.expire("user:1", 100);
      await redis.rename("user:2", "user:3");
      await redis.del("user:1");
      await redis.set("user:4", "v", "PX", 20);
      await new Promise((r) => setTimeout(r, 60));
      await redis.get("user:4"); // lazy expiry
      const got: Msg[] = [];
      for (let i = 0; i < 9; i++) got.push(await ws.next());
      assert.deepEqual(events(got), [
        "set user:1",
        "hset user:2",
        "expire user:1",
        "rename_from user:2",
        "rename_to user:3",
        "del user:1",
        "set user:4",
        "expire user:4",
        "expired user:4",
      ]);
      for (let i = 1; i < got.length; i++) {
        assert.ok((got[i].seq as number) > (got[i - 1].seq as number));
      }
      assert.deepEqual(
        { ...got[0], seq: 0, ts: 0 },
        {
          op: "event",
          seq: 0,
          ts: 0,
          db: 0,
          key: "user:1",
          event: "set",
          type: "string",
          ttlMs: null,
          value: "alice",
        },
      );
      assert.deepEqual(got[1].value, { name: "bob" });
      assert.equal(got[1].type, "hash");
      assert.ok((got[2].ttlMs as number) > 99000);
      assert.equal(got[5].type, null);
      assert.equal(got[5].value, null);
      ws.close();
    }),
);

Deno.test(
  "feed: db and event filters, several subscriptions add up, unsubscribe",
  opts,
  () =>
    withServer([], async (_s, http, redis) => {
      const ws = await Ws.open(http);
      await ws.subscribe({ patterns: ["a:*"], db: 1, events: ["set"] });
      await ws.subscribe({ patterns: ["b:*"] });
      await redis.set("a:1", "x"); // db 0: filtered
      await redis.select(1);
      await redis.set("a:2", "x");
      await redis.del("a:2"); // del: filtered
      await redis.set("b:1", "x"); // any db
      assert.deepEqual(events([await ws.next(), await ws.next()]), ["set a:2", "set b:1"]);
      ws.send({ op: "unsubscribe", patterns: ["b:*"] });
      await ws.next((m) => m.op === "unsubscribed");
      await redis.set("b:2", "x");
      await redis.set("a:3", "x");
      assert.deepEqual(events([await ws.next()]), ["set a:3"]);
      await redis.select(0);
      ws.close();
    }),
);

Deno.test(
  "feed: binary keys and values, big values are truncated",
  opts,
  () =>
    withServer(["--feed-value-max-bytes", "16"], async (_s, http, redis) => {
      const ws = await Ws.open(http);
      await ws.subscribe({ patterns: ["*"] });
      await redis.set(Buffer.from([0x6b, 0xff]), Buffer.from([0, 0xfe]));
      await redis.set("big", "x".repeat(17));
      await redis.set("ünï", "çödé");
      const [bin, big, uni] = [await ws.next(), await ws.next(), await ws.next()];
      assert.deepEqual(bin.key, { base64: "a/8=" });
      assert.deepEqual(bin.value, { base64: "AP4=" });
      assert.equal(big.value, null);
      assert.equal(big.truncated, true);
      assert.equal(uni.key, "ünï");
      assert.equal(uni.value, "çödé");
      ws.close();
    }),
);

Deno.test(
  "feed: FLUSHDB and FLUSHALL arrive as db-wide events with a null key",
  opts,
  () =>
    withServer([], async (_s, http, redis) => {
      const ws = await Ws.open(http);
      await ws.subscribe({ patterns: ["nomatch"] });
      await redis.flushdb();
      await redis.flushall();
      const [a, b] = [await ws.next(), await ws.next()];
      assert.deepEqual([a.event, a.key, a.db], ["flushdb", null, 0]);
      assert.deepEqual([b.event, b.key, b.db], ["flushall", null, null]);
      ws.close();
    }),
);

Deno.test(
  "feed: resume with since replays missed events, or says resync when they are gone",
  opts,
  () =>
    withServer(["--feed-ring-size", "20"], async (_s, http, redis) => {
      let ws = await Ws.open(http);
      await ws.subscribe({ patterns: ["k:*"] });
      await redis.set("k:1", "a");
      const first = await ws.next();
      ws.close();
      await redis.set("k:2", "b");
      await redis.set("skip", "b");
      await redis.set("k:3", "c");
      ws = await Ws.open(http);
      await ws.subscribe({ patterns: ["k:*"], since: first.seq });
      assert.deepEqual(events([await ws.next(), await ws.next()]), ["set k:2", "set k:3"]);
      ws.close();
      for (let i = 0; i < 30; i++) await redis.set(`k:${i}`, "x");
      ws = await Ws.open(http);
      await ws.subscribe({ patterns: ["k:*"], since: first.seq });
      assert.deepEqual(await ws.next(), { op: "resync" });
      await redis.set("k:live", "x");
      assert.deepEqual(events([await ws.next()]), ["set k:live"]);
      ws.close();
    }),
);

/** A raw WebSocket over TCP: masks what it sends, reads only when asked (or never). */
async function rawWs(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const req = `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
    `Sec-WebSocket-Version: 13\r\n\r\n`;
  await conn.write(new TextEncoder().encode(req));
  const buf = new Uint8Array(1024);
  const n = await conn.read(buf);
  assert.match(new TextDecoder().decode(buf.subarray(0, n!)), /^HTTP\/1.1 101/);
  return conn;
}

function clientFrame(opcode: number, payload: Uint8Array, mask = true, fin = true): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const f = new Uint8Array(head + (mask ? 4 : 0) + n);
  f[0] = (fin ? 0x80 : 0) | opcode;
  f[1] = (mask ? 0x80 : 0) | (n < 126 ? n : n < 65536 ? 126 : 127);
  if (n >= 126 && n < 65536) new DataView(f.buffer).setUint16(2, n);
  if (n >= 65536) new DataView(f.buffer).setBigUint64(2, BigInt(n));
  const key = [1, 2, 3, 4];
  if (mask) f.set(key, head);
  const o = head + (mask ? 4 : 0);
  for (let i = 0; i < n; i++) f[o + i] = mask ? payload[i] ^ key[i & 3] : payload[i];
  return f;
}

/** Everything read within `ms`; `peerClosed` when the server closed (or reset) first. */
async function readAll(
  conn: Deno.TcpConn,
  ms: number,
  /** Stop early (as on a timeout) once this text has arrived. */
  stopAt?: string,
): Promise<Uint8Array & { peerClosed?: boolean }> {
  const chunks: Uint8Array[] = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, ms);
  try {
    const buf = new Uint8Array(65536);
    let tail = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      if (stopAt === undefined) continue;
      tail = (tail + new TextDecoder().decode(buf.subarray(0, n))).slice(-4 * stopAt.length);
      if (tail.includes(stopAt)) {
        timedOut = true;
        conn.close();
        break;
      }
    }
  } catch { /* closed by the timer, or reset by the server */ }
  clearTimeout(timer);
  if (!timedOut) {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
  const out: Uint8Array & { peerClosed?: boolean } = new Uint8Array(
    chunks.reduce((a, c) => a + c.length, 0),
  );
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  out.peerClosed = !timedOut;
  return out;
}

/** The close code in a server close frame found in `bytes` (server frames are unmasked). */
function closeCode(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i + 2 <= bytes.length) {
    const op = bytes[i] & 0x0f;
    let n = bytes[i + 1] & 0x7f;
    let h = 2;
    if (n === 126) {
      n = (bytes[i + 2] << 8) | bytes[i + 3];
      h = 4;
    } else if (n === 127) {
      n = Number(new DataView(bytes.buffer, bytes.byteOffset + i + 2, 8).getBigUint64(0));
      h = 10;
    }
    if (op === 8) return (bytes[i + h] << 8) | bytes[i + h + 1];
    i += h + n;
  }
  return undefined;
}

Deno.test(
  "feed: a consumer that does not read gets lagged, then is closed; others keep up",
  opts,
  () =>
    withServer(
      [
        "--feed-queue-max-events",
        "200",
        // 2 s, not 1: under CI load writing phase 2 alone took longer than 1 s, and the sluggish
        // consumer was closed before it could read its lagged message.
        "--feed-slow-consumer-timeout",
        "2",
        "--feed-value-max-bytes",
        "1mb",
      ],
      async (_s, http, redis) => {
        const slow = await rawWs(http);
        await slow.write(
          clientFrame(1, new TextEncoder().encode('{"op":"subscribe","patterns":["*"]}')),
        );
        const sluggish = await rawWs(http);
        await sluggish.write(
          clientFrame(1, new TextEncoder().encode('{"op":"subscribe","patterns":["*"]}')),
        );
        const fast = await Ws.open(http);
        await fast.subscribe({ patterns: ["*"] });
        // Phase 1: a consumer that keeps up gets every event, in order, with no gap.
        for (let round = 0; round < 20; round++) {
          const p = redis.pipeline();
          for (let i = 0; i < 100; i++) p.set(`k${round * 100 + i}`, "v");
          await p.exec();
        }
        for (let n = 0; n < 2000; n++) {
          const m = await fast.next();
          assert.equal(m.op, "event");
          assert.equal(m.key, `k${n}`);
        }
        // Phase 2: ~64 MB of events, far past what the slow sockets' kernel buffers hold.
        const big = "v".repeat(64 * 1024);
        for (let round = 0; round < 50; round++) {
          const p = redis.pipeline();
          for (let i = 0; i < 20; i++) p.set(`b${i}`, big);
          await p.exec();
        }
        // A consumer that reads again after falling behind is told how many events it missed.
        // (Up to 15 s: under CI load the backlog before the lagged message drains slowly.)
        const caughtUp = await readAll(sluggish, 15000, '"op":"lagged","dropped":');
        assert.ok(new TextDecoder().decode(caughtUp).includes('"op":"lagged","dropped":'));
        // Phase 3: keep writing past the slow consumer's timeout: it must be closed (1008), while
        // the other one keeps receiving.
        const until = Date.now() + 3500;
        while (Date.now() < until) {
          await redis.set("tick", "t");
          await new Promise((r) => setTimeout(r, 50));
        }
        await fast.next((m) => m.key === "tick");
        // It never read, so its close frame sits behind megabytes it will not read either: the
        // server gives up on the close handshake and drops the connection.
        const bytes = await readAll(slow, 8000);
        assert.ok(bytes.peerClosed, "the server closed the stalled socket");
        fast.close();
      },
    ),
);

Deno.test(
  "feed: hostile frames get errors or a close with a reason; others are unaffected",
  opts,
  () =>
    withServer(["--http-max-body-size", "4096"], async (_s, http, redis) => {
      const bystander = await Ws.open(http);
      await bystander.subscribe({ patterns: ["*"] });

      const ws = await Ws.open(http);
      ws.send("{not json");
      assert.deepEqual(await ws.next(), { op: "error", message: "invalid JSON" });
      ws.send("[1,2]");
      assert.equal((await ws.next()).op, "error");
      ws.send({ op: "explode" });
      assert.deepEqual(await ws.next(), { op: "error", message: 'unknown op "explode"' });
      ws.send(new Uint8Array([1, 2, 3]) as unknown as string);
      assert.equal((await ws.next()).op, "error");
      ws.send({ op: "subscribe", patterns: "x" });
      assert.equal((await ws.next()).op, "error");
      ws.send({ op: "subscribe", patterns: ["x"], db: 99 });
      assert.equal((await ws.next()).op, "error");
      ws.send({ op: "command", id: 1, args: [] });
      assert.equal((await ws.next()).op, "error");
      ws.send({ op: "command", id: 2, args: ["SUBSCRIBE", "x"] });
      assert.equal((await ws.next()).op, "error");
      // Floods of pings are answered (paced), and the connection stays usable.
      for (let i = 0; i < 3000; i++) ws.send({ op: "ping" });
      for (let i = 0; i < 3000; i++) assert.equal((await ws.next()).op, "pong");
      ws.send("x".repeat(5000));
      assert.equal((await ws.waitClosed()).code, 1009);

      const raw = await rawWs(http);
      await raw.write(clientFrame(1, new TextEncoder().encode('{"op":"ping"}'), false));
      assert.equal(closeCode(await readAll(raw, 1000)), 1002);

      const raw2 = await rawWs(http);
      await raw2.write(clientFrame(1, new Uint8Array([0xff, 0xfe])));
      assert.equal(closeCode(await readAll(raw2, 1000)), 1007);

      const raw3 = await rawWs(http);
      const huge = new Uint8Array(10);
      huge.set([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]); // claims 4 GiB
      await raw3.write(huge);
      assert.equal(closeCode(await readAll(raw3, 1000)), 1009);

      await redis.set("still", "alive");
      const e = await bystander.next();
      assert.equal(e.key, "still");
      bystander.close();
    }),
);

Deno.test(
  "feed: the command op runs Redis commands and maps replies to JSON",
  opts,
  () =>
    withServer([], async (_s, http) => {
      const ws = await Ws.open(http);
      const call = async (id: number, args: unknown[]) => {
        ws.send({ op: "command", id, args });
        return await ws.next((m) => m.op === "reply" && m.id === id);
      };
      assert.equal((await call(1, ["SET", "k", "v"])).result, "OK");
      assert.equal((await call(2, ["GET", "k"])).result, "v");
      assert.equal((await call(3, ["INCR", "n"])).result, 1);
      assert.deepEqual((await call(4, ["GET", "k", "x"])).result, {
        error: "ERR wrong number of arguments for 'get' command",
      });
      assert.equal((await call(5, ["GET", "nothing"])).result, null);
      await call(6, ["SET", { base64: "/w==" }, { base64: "AP8=" }]);
      assert.deepEqual((await call(7, ["GET", { base64: "/w==" }])).result, { base64: "AP8=" });
      await call(8, ["HSET", "h", "f", "1"]);
      assert.deepEqual((await call(9, ["HGETALL", "h"])).result, ["f", "1"]);
      assert.equal((await call(10, ["HELLO", "3"])).op, "reply");
      assert.deepEqual((await call(11, ["HGETALL", "h"])).result, { f: "1" });
      assert.equal((await call(12, ["MULTI"])).result, "OK");
      assert.equal((await call(13, ["INCR", "n"])).result, "QUEUED");
      assert.deepEqual((await call(14, ["EXEC"])).result, [2]);
      assert.equal((await call(15, ["SELECT", "2"])).result, "OK");
      assert.equal((await call(16, ["GET", "k"])).result, null);
      assert.equal((await call(17, ["CLIENT", "SETNAME", "ws"])).result, "OK");
      ws.close();
    }),
);

Deno.test(
  "feed: with requirepass the socket must authenticate first",
  opts,
  () =>
    withServer(["--requirepass", "s3cret"], async (_s, http) => {
      const ws = await Ws.open(http);
      ws.send({ op: "subscribe", patterns: ["*"] });
      assert.match(String((await ws.next()).message), /^NOAUTH/);
      ws.send({ op: "auth", password: "wrong" });
      assert.match(String((await ws.next()).message), /^WRONGPASS/);
      ws.send({ op: "auth", password: "s3cret" });
      assert.deepEqual(await ws.next(), { op: "authenticated", user: "default" });
      ws.send({ op: "command", id: 1, args: ["SET", "a", "b"] });
      assert.equal((await ws.next((m) => m.op === "reply")).result, "OK");
      ws.close();

      const login = await fetch(`http://127.0.0.1:${http}/api/login`, {
        method: "POST",
        body: JSON.stringify({ password: "s3cret" }),
      });
      const { token } = await login.json();
      const ws2 = await Ws.open(http);
      ws2.send({ op: "auth", token });
      assert.equal((await ws2.next()).op, "authenticated");
      ws2.close();
    }),
);

Deno.test(
  "feed: the monitor op streams MONITOR lines",
  opts,
  () =>
    withServer([], async (_s, http, redis) => {
      const ws = await Ws.open(http);
      ws.send({ op: "monitor", on: true });
      assert.deepEqual(await ws.next(), { op: "monitor", on: true });
      await redis.set("mk", "v v");
      const m = await ws.next((x) => x.op === "monitor" && typeof x.line === "string");
      assert.match(String(m.line), /^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "set" "mk" "v v"$/);
      ws.send({ op: "monitor", on: false });
      await ws.next((x) => x.op === "monitor" && x.on === false);
      await redis.set("mk2", "v");
      ws.send({ op: "ping" });
      assert.deepEqual(await ws.next(), { op: "pong" });
      ws.close();
    }),
);
