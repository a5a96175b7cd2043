// Real Node libraries that depend on Lua scripts (and streams) run unchanged against Reredis:
// BullMQ (queue, workers, delays, retries, repeatable jobs, QueueEvents), redis-semaphore,
// rate-limiter-flexible, connect-redis, and ioredis's defineCommand / EVALSHA fallback.

// msgpackr (a BullMQ dependency) lists msgpackr-extract@^3 as optional; its newest release names
// platform packages the registry may lack. Resolving 3.0.4 first pins the whole graph to it.
import "msgpackr-extract";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { Queue, QueueEvents, Worker } from "bullmq";
import { Mutex } from "redis-semaphore";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { RedisStore } from "connect-redis";
import { createClient } from "redis5";
import { type RunningServer, startRedis, startReredis } from "./helpers/server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  // LIBRARIES_ON_REDIS=1 runs the same tests on redis-server, to check the tests themselves.
  const srv: RunningServer = Deno.env.get("LIBRARIES_ON_REDIS")
    ? await startRedis()
    : await startReredis(["--appendfsync", "everysec"]);
  try {
    await fn(srv.port);
  } finally {
    await srv.stop();
  }
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "bullmq: 10 000 jobs on 4 concurrent workers each complete exactly once",
  ...opts,
  fn: () =>
    withServer(async (port) => {
      const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
      const queue = new Queue("bulk", { connection });
      const runs = new Map<string, number>();
      const completed = new Set<string>();
      const workers = Array.from({ length: 4 }, () => {
        const w = new Worker("bulk", (job) => {
          runs.set(job.id!, (runs.get(job.id!) ?? 0) + 1);
          return Promise.resolve(job.data.n * 2);
        }, { connection, concurrency: 4 });
        w.on("completed", (job, result) => {
          assert.equal(result, job.data.n * 2);
          completed.add(job.id!);
        });
        return w;
      });
      const N = 10_000;
      for (let i = 0; i < N; i += 1000) {
        await queue.addBulk(
          Array.from({ length: 1000 }, (_, j) => ({ name: "n", data: { n: i + j } })),
        );
      }
      await until(() => completed.size === N, 50_000, "10 000 completions");
      await Promise.all(workers.map((w) => w.close()));
      assert.equal(runs.size, N);
      for (const count of runs.values()) assert.equal(count, 1);
      const counts = await queue.getJobCounts("completed", "failed", "wait", "active");
      assert.deepEqual(counts, { completed: N, failed: 0, wait: 0, active: 0 });
      await queue.close();
    }),
});

Deno.test({
  name: "bullmq: delayed jobs wait, failures retry with backoff, QueueEvents reports them",
  ...opts,
  fn: () =>
    withServer(async (port) => {
      const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
      const queue = new Queue("life", { connection });
      const events = new QueueEvents("life", { connection });
      await events.waitUntilReady();
      const seen: string[] = [];
      events.on("completed", ({ jobId }) => seen.push(`completed:${jobId}`));
      events.on("failed", ({ jobId }) => seen.push(`failed:${jobId}`));
      const attempts = new Map<string, number[]>();
      const worker = new Worker("life", (job) => {
        const list = attempts.get(job.name) ?? [];
        list.push(Date.now());
        attempts.set(job.name, list);
        if (job.name === "flaky" && job.attemptsMade < 2) throw new Error("not yet");
        if (job.name === "doomed") throw new Error("never");
        return Promise.resolve("ok");
      }, { connection });
      const t0 = Date.now();
      const delayed = await queue.add("later", {}, { delay: 400 });
      const flaky = await queue.add("flaky", {}, {
        attempts: 3,
        backoff: { type: "exponential", delay: 100 },
      });
      const doomed = await queue.add("doomed", {}, { attempts: 2, backoff: 50 });
      await until(
        () =>
          seen.includes(`completed:${delayed.id}`) && seen.includes(`completed:${flaky.id}`) &&
          seen.includes(`failed:${doomed.id}`),
        10_000,
        "all events",
      );
      assert.ok(attempts.get("later")![0] - t0 >= 390, "the delayed job waited");
      const f = attempts.get("flaky")!;
      assert.equal(f.length, 3);
      assert.ok(f[1] - f[0] >= 90 && f[2] - f[1] >= 190, `exponential backoff: ${f}`);
      assert.equal(attempts.get("doomed")!.length, 2);
      assert.equal((await queue.getJob(flaky.id!))!.returnvalue, "ok");
      assert.equal((await queue.getJob(doomed.id!))!.failedReason, "never");
      await worker.close();
      await events.close();
      await queue.close();
    }),
});

Deno.test({
  name: "bullmq: a repeatable job runs on its schedule",
  ...opts,
  fn: () =>
    withServer(async (port) => {
      const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
      const queue = new Queue("rep", { connection });
      const runs: number[] = [];
      const worker = new Worker("rep", () => {
        runs.push(Date.now());
        return Promise.resolve();
      }, { connection });
      await queue.upsertJobScheduler("tick", { every: 150 }, { name: "tick" });
      await until(() => runs.length >= 3, 10_000, "three repeats");
      await queue.removeJobScheduler("tick");
      assert.deepEqual((await queue.getJobSchedulers()).length, 0);
      assert.ok(runs[2] - runs[1] >= 100, `spacing ${runs}`);
      await worker.close();
      await queue.close();
    }),
});

Deno.test({
  name: "redis-semaphore: a Mutex admits one holder at a time under contention",
  ...opts,
  fn: () =>
    withServer(async (port) => {
      const clients = Array.from({ length: 4 }, () => new Redis({ port, host: "127.0.0.1" }));
      let inside = 0;
      let maxInside = 0;
      let done = 0;
      await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const m = new Mutex(clients[i % 4], "res", {
          acquireTimeout: 10_000,
          retryInterval: 5,
          lockTimeout: 5_000,
        });
        await m.acquire();
        inside++;
        maxInside = Math.max(maxInside, inside);
        await sleep(5);
        inside--;
        done++;
        await m.release();
      }));
      assert.equal(done, 20);
      assert.equal(maxInside, 1);
      const m = new Mutex(clients[0], "held", { lockTimeout: 5_000, acquireTimeout: 50 });
      await m.acquire();
      const other = new Mutex(clients[1], "held", { acquireTimeout: 100, retryInterval: 10 });
      assert.equal(await other.tryAcquire(), false);
      await m.release();
      assert.equal(await other.tryAcquire(), true);
      await other.release();
      for (const c of clients) c.disconnect();
    }),
});

Deno.test({
  name: "rate-limiter-flexible: RateLimiterRedis allows the points, then rejects until reset",
  ...opts,
  fn: () =>
    withServer(async (port) => {
      const client = new Redis({ port, host: "127.0.0.1", enableOfflineQueue: false });
      await new Promise((r) => client.once("ready", r));
      const rl = new RateLimiterRedis({
        storeClient: client,
        points: 5,
        duration: 1,
        keyPrefix: "rl",
      });
      for (let i = 0; i < 5; i++) {
        const r = await rl.consume("user1");
        assert.equal(r.remainingPoints, 4 - i);
      }
      const rejected = await rl.consume("user1").then(() => undefined, (e) => e);
      assert.ok(rejected instanceof RateLimiterRes, String(rejected));
      assert.ok(rejected.msBeforeNext > 0 && rejected.msBeforeNext <= 1000);
      assert.equal((await rl.get("user1"))!.consumedPoints, 6);
      await sleep(rejected.msBeforeNext + 20);
      assert.equal((await rl.consume("user1")).remainingPoints, 4);
      await rl.penalty("user2", 3);
      assert.equal((await rl.get("user2"))!.consumedPoints, 3);
      await rl.delete("user2");
      assert.equal(await rl.get("user2"), null);
      client.disconnect();
    }),
});

Deno.test({
  name: "connect-redis: sessions are stored, read, touched, listed and destroyed",
  ...opts,
  fn: () =>
    withServer(async (port) => {
      const client = createClient({ url: `redis://127.0.0.1:${port}` });
      await client.connect();
      const store = new RedisStore({ client, prefix: "sess:", ttl: 60 });
      const call = <T>(f: (cb: (err: unknown, v?: T) => void) => void) =>
        new Promise<T | undefined>((res, rej) => f((e, v) => e ? rej(e) : res(v)));
      const cookie = (ms: number) => ({ originalMaxAge: ms, expires: new Date(Date.now() + ms) });
      const sess = { cookie: cookie(10_000), user: "ann" };
      // deno-lint-ignore no-explicit-any
      const s = store as any;
      await call((cb) => s.set("abc", sess, cb));
      assert.deepEqual((await call<{ user: string }>((cb) => s.get("abc", cb)))!.user, "ann");
      const ttl = await client.ttl("sess:abc");
      assert.ok(ttl > 0 && ttl <= 10);
      await call((cb) => s.touch("abc", { ...sess, cookie: cookie(50_000) }, cb));
      assert.ok((await client.ttl("sess:abc")) > 10);
      await call((cb) => s.set("def", sess, cb));
      assert.equal(await call((cb) => s.length(cb)), 2);
      assert.deepEqual(((await call<string[]>((cb) => s.ids(cb))) ?? []).sort(), ["abc", "def"]);
      await call((cb) => s.destroy("abc", cb));
      assert.equal(await call((cb) => s.get("abc", cb)), null);
      await call((cb) => s.clear(cb));
      assert.equal(await call((cb) => s.length(cb)), 0);
      await client.quit();
    }),
});

Deno.test({
  name: "ioredis: defineCommand runs by EVALSHA and falls back to EVAL after SCRIPT FLUSH",
  ...opts,
  fn: () =>
    withServer(async (port) => {
      const r = new Redis({ port, host: "127.0.0.1" });
      r.defineCommand("incrCapped", {
        numberOfKeys: 1,
        lua: `local v = redis.call('INCR', KEYS[1])
              if v > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end
              return v`,
      });
      // deno-lint-ignore no-explicit-any
      const rr = r as any;
      assert.equal(await rr.incrCapped("c", 2), 1);
      assert.equal(await rr.incrCapped("c", 2), 2);
      assert.equal(await rr.incrCapped("c", 2), 2);
      assert.equal(await r.script("FLUSH"), "OK");
      assert.equal(await rr.incrCapped("c", 5), 3);
      const sha = await r.script("LOAD", "return {KEYS[1], ARGV[1], 3.99, true, false}");
      assert.deepEqual(await r.evalsha(sha as string, 1, "k", "a"), ["k", "a", 3, 1, null]);
      const p = r.pipeline();
      p.evalsha(sha as string, 1, "x", "y");
      p.eval("return redis.call('GET', KEYS[1])", 1, "c");
      assert.deepEqual(await p.exec(), [[null, ["x", "y", 3, 1, null]], [null, "3"]]);
      r.disconnect();
    }),
});
