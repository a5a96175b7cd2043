// The write-ahead log with real processes and real files: replay after SIGKILL, acknowledged
// writes survive crashes, torn tails and damaged files, compaction under concurrent writes, and
// interop with redis-check-aof and redis-server.

import assert from "node:assert/strict";
import { join } from "node:path";
import { RespClient } from "../src/resp/client.ts";
import { redisServerAvailable, startReredis } from "./helpers/server.ts";
import { snapshot } from "./helpers/snapshot.ts";
import { freePort } from "./helpers/server.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function tmpDir(): string {
  return Deno.makeTempDirSync({ prefix: "reredis-wal-" });
}

async function writeSample(port: number): Promise<void> {
  const c = await RespClient.connect(port);
  await c.call("SET", "s", "hello");
  await c.call("SET", "bin", new Uint8Array([0, 13, 10, 255, 128]));
  await c.call("INCR", "n");
  await c.call("INCRBY", "n", "41");
  await c.call("APPEND", "s", " world");
  await c.call("SET", "ttl", "v", "EX", "1000");
  await c.call("SELECT", "3");
  await c.call("SET", "in3", "x");
  await c.call("SELECT", "0");
  await c.call("MULTI");
  await c.call("SET", "t1", "1");
  await c.call("SET", "t2", "2");
  await c.call("EXEC");
  c.close();
}

Deno.test("wal: data written before SIGKILL is replayed on restart", async () => {
  const dir = tmpDir();
  const a = await startReredis(["--dir", dir]);
  await writeSample(a.port);
  const before = await snapshot(a.port, 4);
  await a.stop();
  const b = await startReredis(["--dir", dir]);
  try {
    assert.deepEqual(await snapshot(b.port, 4), before);
    assert(Object.keys(before).length >= 6);
  } finally {
    await b.stop();
  }
});

Deno.test("wal: every acknowledged write survives SIGKILL at random points (appendfsync always)", async () => {
  const dir = tmpDir();
  const acked = new Map<string, number>();
  for (let round = 0; round < 10; round++) {
    const s = await startReredis(["--dir", dir, "--appendfsync", "always"]);
    // Check what the previous round acknowledged is all there.
    const check = await RespClient.connect(s.port);
    for (const [key, v] of acked) {
      const got = Number(await check.call("GET", key));
      assert(got === v || got === v + 1, `round ${round}: ${key} = ${got}, acknowledged ${v}`);
      acked.set(key, got);
    }
    check.close();
    const writers = [0, 1, 2, 3].map(async (w) => {
      const c = await RespClient.connect(s.port);
      const key = `counter:${w}`;
      try {
        for (;;) {
          const r = await c.call("INCR", key);
          if (typeof r !== "number") return;
          acked.set(key, r);
        }
      } catch {
        /* killed */
      } finally {
        c.close();
      }
    });
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 250));
    await s.stop();
    await Promise.all(writers);
  }
  assert([...acked.values()].every((v) => v > 0));
});

Deno.test("wal: a torn last record is truncated on load and the rest is kept", async () => {
  const dir = tmpDir();
  const a = await startReredis(["--dir", dir]);
  const c = await RespClient.connect(a.port);
  await c.call("SET", "a", "1");
  c.close();
  await a.stop();
  const incr = join(dir, "appendonlydir", "appendonly.aof.1.incr.aof");
  const sizeBefore = Deno.statSync(incr).size;
  const f = Deno.openSync(incr, { append: true });
  f.writeSync(new TextEncoder().encode("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$5\r\nhel"));
  f.close();
  const b = await startReredis(["--dir", dir]);
  try {
    const c2 = await RespClient.connect(b.port);
    assert.deepEqual(await c2.call("GET", "a"), "1");
    assert.deepEqual(await c2.call("GET", "b"), null);
    c2.close();
    assert.deepEqual(Deno.statSync(incr).size, sizeBefore);
    assert(b.output.some((l) => l.includes("Truncating the AOF")), b.output.join("\n"));
  } finally {
    await b.stop();
  }
});

async function runMain(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("wal: damage in the middle stops start-up; check-wal --fix repairs it", async () => {
  const dir = tmpDir();
  const a = await startReredis(["--dir", dir]);
  const c = await RespClient.connect(a.port);
  for (let i = 0; i < 20; i++) await c.call("SET", `k${i}`, String(i));
  c.close();
  await a.stop();
  const incr = join(dir, "appendonlydir", "appendonly.aof.1.incr.aof");
  const data = Deno.readFileSync(incr);
  const mid = Math.floor(data.length / 2);
  data.set(new TextEncoder().encode("!garbage!"), mid);
  Deno.writeFileSync(incr, data);
  const port = freePort();
  const start = await runMain(["--port", String(port), "--http-port", "0", "--dir", dir]);
  assert.deepEqual(start.code, 1);
  assert.match(start.out, /Bad file format|Unknown command/);
  const check = await runMain(["check-wal", join(dir, "appendonlydir")]);
  assert.deepEqual(check.code, 1);
  assert.match(check.out, /is not valid/);
  const fixed = await runMain(["check-wal", join(dir, "appendonlydir"), "--fix"]);
  assert.deepEqual(fixed.code, 0, fixed.out);
  const b = await startReredis(["--dir", dir]);
  try {
    const c2 = await RespClient.connect(b.port);
    assert.deepEqual(await c2.call("GET", "k0"), "0");
    c2.close();
  } finally {
    await b.stop();
  }
});

Deno.test("wal: compaction under concurrent INCR/APPEND/EXPIRE keeps the exact state", async () => {
  const dir = tmpDir();
  const a = await startReredis(["--dir", dir, "--appendfsync", "everysec"]);
  const setup = await RespClient.connect(a.port);
  for (let i = 0; i < 3000; i++) {
    await setup.send("SET", `key:${i}`, "x".repeat(i % 50));
  }
  for (let i = 0; i < 3000; i++) await setup.read();
  let stop = false;
  const writers = [0, 1, 2].map(async (w) => {
    const c = await RespClient.connect(a.port);
    let i = 0;
    while (!stop) {
      const k = `key:${(i * 7 + w * 13) % 3000}`;
      await c.call("APPEND", k, "y");
      await c.call("INCR", `ctr:${i % 50}`);
      if (i % 10 === 0) await c.call("PEXPIRE", k, "100000000");
      i++;
    }
    c.close();
  });
  for (let r = 0; r < 3; r++) {
    assert.deepEqual(await setup.call("BGREWRITEAOF"), {
      "+": "Background append only file rewriting started",
    });
    await new Promise((res) => setTimeout(res, 300));
  }
  stop = true;
  await Promise.all(writers);
  await new Promise((res) => setTimeout(res, 300));
  const before = await snapshot(a.port);
  setup.close();
  await a.stop();
  const b = await startReredis(["--dir", dir]);
  try {
    assert.deepEqual(await snapshot(b.port), before);
  } finally {
    await b.stop();
  }
});

Deno.test({
  name: "wal: redis-check-aof accepts our files and redis-server loads the same data",
  ignore: !redisServerAvailable(),
  fn: async () => {
    const dir = tmpDir();
    const a = await startReredis(["--dir", dir]);
    await writeSample(a.port);
    const c = await RespClient.connect(a.port);
    assert.deepEqual(await c.call("BGREWRITEAOF"), {
      "+": "Background append only file rewriting started",
    });
    await new Promise((res) => setTimeout(res, 300));
    await c.call("SET", "after", "rewrite");
    c.close();
    const before = await snapshot(a.port, 4);
    await a.stop();
    const manifest = join(dir, "appendonlydir", "appendonly.aof.manifest");
    const check = await new Deno.Command("redis-check-aof", { args: [manifest], stdout: "piped" })
      .output();
    const text = new TextDecoder().decode(check.stdout);
    assert.deepEqual(check.code, 0, text);
    assert.match(text, /All AOF files and manifest are valid/);
    const port = freePort();
    const redis = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
        "--save",
        "",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      let after: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !after; i++) {
        try {
          after = await snapshot(port, 4);
        } catch {
          await new Promise((res) => setTimeout(res, 50));
        }
      }
      assert.deepEqual(after, before);
    } finally {
      redis.kill("SIGKILL");
      await redis.status;
    }
  },
});
