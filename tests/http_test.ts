// The HTTP side (docs/http_api.md) against a real server: health, INFO as JSON, SCAN-backed key
// listing, reading/replacing/deleting keys by type, the cluster view, Prometheus metrics, logins.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { freePort, type RunningServer, startReredis } from "./helpers/server.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function withServer(
  options: string[],
  fn: (base: string, redis: Redis, s: RunningServer) => Promise<void>,
): Promise<void> {
  const http = freePort();
  const s = await startReredis(["--appendonly", "no", "--http-port", String(http), ...options]);
  const i = options.indexOf("--requirepass");
  const redis = new Redis({
    port: s.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    password: i >= 0 ? options[i + 1] : undefined,
  });
  await redis.connect();
  try {
    await fn(`http://127.0.0.1:${http}`, redis, s);
  } finally {
    redis.disconnect();
    await s.stop();
  }
}

async function json(res: Promise<Response>): Promise<{ status: number; body: unknown }> {
  const r = await res;
  return { status: r.status, body: await r.json() };
}

Deno.test(
  "http: /healthz and /api/info (INFO as JSON, numbers as numbers)",
  opts,
  () =>
    withServer([], async (base, redis) => {
      assert.deepEqual(await json(fetch(`${base}/healthz`)), {
        status: 200,
        body: { ok: true, loading: false },
      });
      await redis.set("a", "1");
      const { body } = await json(fetch(`${base}/api/info`)) as {
        body: Record<string, Record<string, unknown>>;
      };
      assert.equal(body.server.redis_version, "7.0.15");
      assert.equal(typeof body.clients.connected_clients, "number");
      assert.deepEqual(body.keyspace.db0, { keys: 1, expires: 0, avg_ttl: 0 });
      const one = await json(fetch(`${base}/api/info?section=memory`)) as {
        body: Record<string, unknown>;
      };
      assert.deepEqual(Object.keys(one.body), ["memory"]);
    }),
);

Deno.test(
  "http: /api/keys pages through SCAN with match, type and db",
  opts,
  () =>
    withServer([], async (base, redis) => {
      for (let i = 0; i < 50; i++) await redis.set(`user:${i}`, "x");
      await redis.hset("user:h", "f", "v");
      await redis.set("other", "y", "EX", 100);
      await redis.select(3);
      await redis.set("in3", "z");
      const seen: string[] = [];
      let cursor = "0";
      do {
        const { body } = await json(
          fetch(`${base}/api/keys?match=user:*&count=7&cursor=${cursor}`),
        );
        const b = body as { cursor: string; keys: { key: string; type: string }[] };
        seen.push(...b.keys.map((k) => k.key));
        cursor = b.cursor;
      } while (cursor !== "0");
      assert.equal(new Set(seen).size, 51);
      const hashes = await json(fetch(`${base}/api/keys?type=hash&count=1000`));
      assert.deepEqual((hashes.body as { keys: unknown[] }).keys, [
        { key: "user:h", type: "hash", ttlMs: null },
      ]);
      const other = await json(fetch(`${base}/api/keys?match=other`));
      const k = (other.body as { keys: { ttlMs: number }[] }).keys[0];
      assert.ok(k.ttlMs > 99000 && k.ttlMs <= 100000);
      const db3 = await json(fetch(`${base}/api/keys?db=3`));
      assert.deepEqual((db3.body as { keys: { key: string }[] }).keys.map((x) => x.key), ["in3"]);
      assert.equal((await json(fetch(`${base}/api/keys?db=99`))).status, 400);
    }),
);

Deno.test(
  "http: GET/PUT/DELETE /api/keys/<key> for every type, binary keys, TTLs",
  opts,
  () =>
    withServer([], async (base, redis) => {
      const put = (key: string, body: unknown, db = 0) =>
        json(
          fetch(`${base}/api/keys/${key}?db=${db}`, { method: "PUT", body: JSON.stringify(body) }),
        );
      assert.deepEqual(await put("s", { type: "string", value: "hello", ttlMs: 50000 }), {
        status: 200,
        body: { ok: true },
      });
      assert.equal(await redis.get("s"), "hello");
      assert.ok(await redis.pttl("s") > 49000);
      await put("l", { type: "list", value: ["a", "b", "c"] });
      assert.deepEqual(await redis.lrange("l", 0, -1), ["a", "b", "c"]);
      await put("h", { type: "hash", value: { f1: "v1", f2: "2" } });
      assert.deepEqual(await redis.hgetall("h"), { f1: "v1", f2: "2" });
      await put("st", { type: "set", value: ["x", "y"] });
      assert.deepEqual((await redis.smembers("st")).sort(), ["x", "y"]);
      await put("z", { type: "zset", value: [["m1", 1], ["m2", 2.5]] });
      assert.deepEqual(await redis.zrange("z", 0, -1, "WITHSCORES"), ["m1", "1", "m2", "2.5"]);
      await put("%FF%00k", { type: "string", value: { base64: "AP8=" } });
      assert.deepEqual(
        await redis.getBuffer(Buffer.from([0xff, 0, 0x6b])),
        Buffer.from([0, 0xff]),
      );
      // Replacing changes the type.
      await put("s", { type: "list", value: ["only"] });
      assert.equal(await redis.type("s"), "list");
      assert.equal(await redis.pttl("s"), -1);

      const get = (key: string) => json(fetch(`${base}/api/keys/${key}`));
      assert.deepEqual((await get("h")).body, {
        key: "h",
        db: 0,
        type: "hash",
        ttlMs: null,
        size: 2,
        value: { f1: "v1", f2: "2" },
      });
      assert.deepEqual((await get("z")).body, {
        key: "z",
        db: 0,
        type: "zset",
        ttlMs: null,
        size: 2,
        value: [["m1", 1], ["m2", 2.5]],
      });
      assert.deepEqual(((await get("%FF%00k")).body as { key: unknown; value: unknown }).value, {
        base64: "AP8=",
      });
      assert.equal((await get("missing")).status, 404);
      assert.equal((await put("bad", { type: "nope", value: 1 })).status, 400);
      assert.equal((await put("bad", { type: "hash", value: [1] })).status, 400);
      assert.deepEqual(
        await json(fetch(`${base}/api/keys/l`, { method: "DELETE" })),
        { status: 200, body: { deleted: 1 } },
      );
      assert.equal(await redis.exists("l"), 0);
    }),
);

Deno.test(
  "http: /api/cluster gives a single-node answer, unknown paths 404",
  opts,
  () =>
    withServer([], async (base, _redis, s) => {
      const { body } = await json(fetch(`${base}/api/cluster`)) as {
        body: { enabled: boolean; nodes: { addr: string; slots: number[][] }[] };
      };
      assert.equal(body.enabled, false);
      assert.equal(body.nodes.length, 1);
      assert.equal(body.nodes[0].addr, `127.0.0.1:${s.port}`);
      assert.deepEqual(body.nodes[0].slots, [[0, 16383]]);
      assert.equal((await json(fetch(`${base}/api/nothing`))).status, 404);
    }),
);

Deno.test(
  "http: /metrics is Prometheus text with INFO's numbers",
  opts,
  () =>
    withServer([], async (base, redis) => {
      await redis.set("a", "1");
      await redis.get("a");
      await redis.get("a");
      await redis.call("NOPE").catch(() => {});
      const r = await fetch(`${base}/metrics`);
      assert.match(r.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
      const text = await r.text();
      assert.match(text, /^reredis_commands_total\{cmd="get"\} 2$/m);
      assert.match(text, /^reredis_commands_total\{cmd="set"\} 1$/m);
      assert.match(text, /^reredis_keys\{db="0"\} 1$/m);
      const errs = Number(/errorstat_ERR:count=(\d+)/.exec(await redis.info("errorstats"))![1]);
      assert.match(text, new RegExp(`^reredis_errors_total\\{code="ERR"\\} ${errs}$`, "m"));
      assert.match(text, /^# TYPE reredis_command_latency_seconds summary$/m);
      assert.match(
        text,
        /^reredis_command_latency_seconds\{cmd="get",quantile="0\.99"\} [\d.e-]+$/m,
      );
      assert.match(text, /^reredis_feed_subscribers 0$/m);
      assert.match(text, /^reredis_memory_rss_bytes \d+$/m);
      assert.match(text, /^reredis_event_loop_lag_seconds [\d.e-]+$/m);
      const info = await redis.info("stats");
      const total = Number(/total_commands_processed:(\d+)/.exec(info)![1]);
      const m = Number(/^reredis_commands_processed_total (\d+)$/m.exec(text)![1]);
      assert.ok(m <= total && m >= total - 2);
      // Every sample line is `name{labels} value`.
      for (const line of text.split("\n")) {
        if (line === "" || line.startsWith("#")) continue;
        assert.match(line, /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+0-9.eInfNa]+$/);
      }
    }),
);

Deno.test(
  "http: with requirepass the API needs a login (cookie or bearer token)",
  opts,
  () =>
    withServer(["--requirepass", "pw"], async (base) => {
      assert.equal((await json(fetch(`${base}/api/info`))).status, 401);
      assert.equal(
        await fetch(`${base}/metrics`).then(async (r) => (await r.body?.cancel(), r.status)),
        401,
      );
      assert.deepEqual(await json(fetch(`${base}/api/session`)), {
        status: 200,
        body: { required: true, user: null },
      });
      const bad = await json(fetch(`${base}/api/login`, {
        method: "POST",
        body: JSON.stringify({ password: "nope" }),
      }));
      assert.equal(bad.status, 401);
      const res = await fetch(`${base}/api/login`, {
        method: "POST",
        body: JSON.stringify({ username: "default", password: "pw" }),
      });
      const { token, user } = await res.json();
      assert.equal(user, "default");
      const cookie = res.headers.get("set-cookie")!;
      assert.match(cookie, /^reredis_session=[0-9a-f]+; Path=\/; HttpOnly; SameSite=Strict$/);
      const viaBearer = await json(fetch(`${base}/api/info?section=server`, {
        headers: { authorization: `Bearer ${token}` },
      }));
      assert.equal(viaBearer.status, 200);
      const viaCookie = await json(fetch(`${base}/api/keys`, {
        headers: { cookie: cookie.split(";")[0] },
      }));
      assert.equal(viaCookie.status, 200);
      await fetch(`${base}/api/logout`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      })
        .then((r) => r.body?.cancel());
      assert.equal(
        (await json(fetch(`${base}/api/keys`, {
          headers: { authorization: `Bearer ${token}` },
        }))).status,
        401,
      );
      assert.equal(
        await fetch(`${base}/healthz`).then(async (r) => (await r.body?.cancel(), r.status)),
        200,
      );
    }),
);
