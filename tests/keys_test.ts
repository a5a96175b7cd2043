// Keyspace commands: propagated forms and keyspace events (in-process, through the write path),
// DUMP/RESTORE round trips and payload checks, SCAN's guarantee under growth, access times, and
// behaviour over the wire (ioredis and raw RESP).

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RespClient } from "../src/resp/client.ts";
import { crc32 } from "node:zlib";
import { startReredis } from "./helpers/server.ts";
import { parseScanCursor } from "../src/commands/keys_scan.ts";
import { bytesOf, inProcess as harness, latin1 } from "./helpers/in_process.ts";

const inProcess = () =>
  harness({
    command: (c) => `${c.db}: ${c.argv.map(latin1).join(" ")}`,
    event: (e) => `${e.db}:${e.event}:${e.cls}:${e.key}`,
  });

/** The bytes of a raw bulk-string reply (`$<len>\r\n<bytes>\r\n`). */
function bulkOf(raw: string): Uint8Array {
  const eol = raw.indexOf("\r\n");
  const len = Number(raw.slice(1, eol));
  return bytesOf(raw.slice(eol + 2, eol + 2 + len));
}

/** Replaces 13-digit absolute ms timestamps so propagated forms compare exactly. */
const noTime = (s: string) => s.replace(/\b1\d{12}\b/g, "<ms>");

// ---------------------------------------------------------------------------------------------
// Propagation and events

Deno.test("EXPIRE propagates as PEXPIREAT <abs ms> keeping its flags, with an expire event", () => {
  const h = inProcess();
  h.run("SET", "k", "v");
  h.take();
  const before = Date.now();
  assert.equal(h.run("EXPIRE", "k", "100", "NX"), ":1\r\n");
  const { commands, events } = h.take();
  assert.equal(noTime(commands[0]), "0: PEXPIREAT k <ms> NX");
  const at = Number(commands[0].split(" ")[3]);
  assert.ok(at >= before + 100000 && at <= Date.now() + 100000);
  assert.deepEqual(events, ["0:expire:g:k"]);
});

Deno.test("PEXPIREAT propagates its own absolute time unchanged", () => {
  const h = inProcess();
  h.run("SET", "k", "v");
  h.take();
  h.run("PEXPIREAT", "k", "4102444800123");
  assert.deepEqual(h.take().commands, ["0: PEXPIREAT k 4102444800123"]);
});

Deno.test("an expire time in the past deletes the key, propagated as DEL with a del event", () => {
  const h = inProcess();
  h.run("SET", "k", "v");
  h.take();
  assert.equal(h.run("EXPIRE", "k", "-1"), ":1\r\n");
  assert.deepEqual(h.take(), { commands: ["0: DEL k"], events: ["0:del:g:k"] });
  assert.equal(h.run("EXISTS", "k"), ":0\r\n");
});

Deno.test("an expire that is refused (NX, GT, missing key) propagates nothing", () => {
  const h = inProcess();
  h.run("SET", "k", "v", "EX", "100");
  h.take();
  assert.equal(h.run("EXPIRE", "k", "10", "NX"), ":0\r\n");
  assert.equal(h.run("EXPIRE", "k", "10", "GT"), ":0\r\n");
  assert.equal(h.run("EXPIRE", "missing", "10"), ":0\r\n");
  assert.deepEqual(h.take().commands, []);
});

Deno.test("PERSIST emits persist and propagates as sent; a second PERSIST changes nothing", () => {
  const h = inProcess();
  h.run("SET", "k", "v", "EX", "100");
  h.take();
  assert.equal(h.run("PERSIST", "k"), ":1\r\n");
  assert.equal(h.run("PERSIST", "k"), ":0\r\n");
  assert.deepEqual(h.take(), { commands: ["0: PERSIST k"], events: ["0:persist:g:k"] });
});

Deno.test("DEL emits one del event per existing key and propagates as sent", () => {
  const h = inProcess();
  h.run("MSET", "a", "1", "b", "2");
  h.take();
  assert.equal(h.run("DEL", "a", "nope", "b", "a"), ":2\r\n");
  assert.deepEqual(h.take(), {
    commands: ["0: DEL a nope b a"],
    events: ["0:del:g:a", "0:del:g:b"],
  });
  assert.equal(h.run("UNLINK", "a"), ":0\r\n");
  assert.deepEqual(h.take().commands, []);
});

Deno.test("RENAME moves the TTL and emits rename_from then rename_to", () => {
  const h = inProcess();
  h.run("SET", "a", "v", "PX", "100000");
  h.run("SET", "b", "old");
  h.take();
  assert.equal(h.run("RENAME", "a", "b"), "+OK\r\n");
  assert.deepEqual(h.take(), {
    commands: ["0: RENAME a b"],
    events: ["0:rename_from:g:a", "0:rename_to:g:b"],
  });
  assert.match(h.run("PTTL", "b"), /^:(99\d\d\d|100000)\r\n$/);
  assert.equal(h.run("RENAME", "b", "b"), "+OK\r\n");
  assert.deepEqual(h.take().commands, []);
});

Deno.test("MOVE emits move_from in the source db and move_to in the target db", () => {
  const h = inProcess();
  h.run("SET", "k", "v", "PX", "100000");
  h.take();
  assert.equal(h.run("MOVE", "k", "3"), ":1\r\n");
  assert.deepEqual(h.take(), {
    commands: ["0: MOVE k 3"],
    events: ["0:move_from:g:k", "3:move_to:g:k"],
  });
  h.run("SELECT", "3");
  assert.equal(h.run("GET", "k"), "$1\r\nv\r\n");
  assert.match(h.run("PTTL", "k"), /^:(99\d\d\d|100000)\r\n$/);
});

Deno.test("COPY to another db emits copy_to there and the copy is independent", () => {
  const h = inProcess();
  h.run("HSET", "h", "f", "v");
  h.take();
  assert.equal(h.run("COPY", "h", "h2", "DB", "5"), ":1\r\n");
  assert.deepEqual(h.take(), { commands: ["0: COPY h h2 DB 5"], events: ["5:copy_to:g:h2"] });
  h.run("SELECT", "5");
  h.run("HSET", "h2", "g", "w");
  h.run("SELECT", "0");
  assert.equal(h.run("HLEN", "h"), ":1\r\n");
});

Deno.test("COPY of an appended (raw) string stays raw and does not share its buffer", () => {
  const h = inProcess();
  h.run("SET", "s", "ab");
  h.run("APPEND", "s", "c");
  h.run("COPY", "s", "t");
  h.run("APPEND", "t", "d");
  assert.equal(h.run("GET", "s"), "$3\r\nabc\r\n");
  assert.equal(h.run("GET", "t"), "$4\r\nabcd\r\n");
  assert.equal(h.run("OBJECT", "ENCODING", "t"), "$3\r\nraw\r\n");
});

Deno.test("read lookups that miss count a miss and raise keymiss, OBJECT does not notify", () => {
  const h = inProcess();
  const misses = h.server.stats.keyspaceMisses;
  h.run("EXISTS", "nope");
  h.run("TYPE", "nope");
  h.run("OBJECT", "ENCODING", "nope");
  assert.equal(h.server.stats.keyspaceMisses, misses + 3);
  assert.deepEqual(h.take(), { commands: [], events: ["0:keymiss:m:nope", "0:keymiss:m:nope"] });
});

Deno.test("SCAN deletes the expired keys it meets, as DEL with an expired event", async () => {
  const h = inProcess();
  h.run("SET", "gone", "v", "PX", "1");
  h.run("SET", "kept", "v");
  await new Promise((r) => setTimeout(r, 10));
  h.take();
  assert.equal(h.run("SCAN", "0"), "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nkept\r\n");
  assert.deepEqual(h.take(), { commands: ["0: DEL gone"], events: ["0:expired:x:gone"] });
});

Deno.test("KEYS skips expired keys without deleting them", async () => {
  const h = inProcess();
  h.run("SET", "gone", "v", "PX", "1");
  await new Promise((r) => setTimeout(r, 10));
  h.take();
  assert.equal(h.run("KEYS", "*"), "*0\r\n");
  assert.deepEqual(h.take().events, []);
  assert.equal(h.server.dbs[0].dict.has("gone"), true);
});

Deno.test("RANDOMKEY skips (and deletes) expired keys until it finds a live one", async () => {
  const h = inProcess();
  for (let i = 0; i < 200; i++) h.run("SET", `e${i}`, "v", "PX", "1");
  h.run("SET", "live", "v");
  await new Promise((r) => setTimeout(r, 10));
  for (let i = 0; i < 20; i++) assert.equal(h.run("RANDOMKEY"), "$4\r\nlive\r\n");
});

Deno.test("RESTORE with a relative TTL propagates the absolute time plus ABSTTL", () => {
  const h = inProcess();
  h.run("SET", "src", "v");
  const payload = bulkOf(h.run("DUMP", "src"));
  h.take();
  assert.equal(h.run("RESTORE", "k", "5000", payload), "+OK\r\n");
  const { commands, events } = h.take();
  assert.equal(noTime(commands[0]), `0: RESTORE k <ms> ${latin1(payload)} ABSTTL`);
  assert.deepEqual(events, ["0:restore:g:k"]);
  assert.equal(h.run("RESTORE", "k2", "0", payload), "+OK\r\n");
  assert.deepEqual(h.take().commands, [`0: RESTORE k2 0 ${latin1(payload)}`]);
});

Deno.test("RESTORE REPLACE with an already expired ABSTTL deletes the key, as DEL", () => {
  const h = inProcess();
  h.run("SET", "k", "v");
  const payload = bulkOf(h.run("DUMP", "k"));
  h.take();
  assert.equal(h.run("RESTORE", "k", "1", payload, "REPLACE", "ABSTTL"), "+OK\r\n");
  assert.deepEqual(h.take(), { commands: ["0: DEL k"], events: ["0:del:g:k"] });
  assert.equal(h.run("RESTORE", "k", "1", payload, "ABSTTL"), "+OK\r\n");
  assert.deepEqual(h.take().commands, []);
  assert.equal(h.run("EXISTS", "k"), ":0\r\n");
});

// ---------------------------------------------------------------------------------------------
// DUMP / RESTORE payloads

/** A payload with a valid trailer around arbitrary body bytes (our format: see src/store/dump.ts). */
function payloadFor(body: Uint8Array, version = 1): Uint8Array {
  const out = new Uint8Array(body.length + 10);
  out.set(body);
  const v = new DataView(out.buffer);
  v.setUint16(body.length, version, true);
  v.setUint32(body.length + 2, crc32(out.subarray(0, body.length + 2)), true);
  return out;
}

Deno.test("DUMP then RESTORE round-trips every type, binary-safe, with TTL and REPLACE", async () => {
  const srv = await startReredis();
  const r = new Redis({ port: srv.port, lazyConnect: true, enableReadyCheck: false });
  try {
    await r.connect();
    const bin = Buffer.from([0, 255, 13, 10, 128]);
    await r.set("s", bin);
    await r.rpush("l", "a", "b", bin);
    await r.hset("h", "f", "v", "g", bin);
    await r.sadd("set", "x", "y");
    await r.sadd("iset", "1", "2", "3");
    await r.zadd("z", 1.5, "a", -2, "b");
    for (const k of ["s", "l", "h", "set", "iset", "z"]) {
      const payload = await r.dumpBuffer(k);
      assert.ok(payload, k);
      assert.equal(await r.restore(`${k}:copy`, 0, payload), "OK");
      assert.deepEqual(await r.dumpBuffer(`${k}:copy`), payload, k);
      assert.equal(await r.type(`${k}:copy`), await r.type(k));
      assert.equal(
        await r.object("ENCODING", `${k}:copy`),
        await r.object("ENCODING", k),
        k,
      );
    }
    assert.deepEqual(await r.getBuffer("s:copy"), bin);
    assert.deepEqual(await r.lrangeBuffer("l:copy", 0, -1), [
      Buffer.from("a"),
      Buffer.from("b"),
      bin,
    ]);
    assert.deepEqual(await r.zrange("z:copy", 0, -1, "WITHSCORES"), ["b", "-2", "a", "1.5"]);

    const p = (await r.dumpBuffer("s"))!;
    await assert.rejects(r.restore("s:copy", 0, p), /BUSYKEY Target key name already exists\./);
    assert.equal(await r.restore("s:copy", 100000, p, "REPLACE"), "OK");
    const pttl = await r.pttl("s:copy");
    assert.ok(pttl > 99000 && pttl <= 100000);
    const at = Date.now() + 50000;
    assert.equal(await r.restore("abs", at, p, "ABSTTL"), "OK");
    assert.equal(await r.pexpiretime("abs"), at);
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

Deno.test("RESTORE refuses corrupt, truncated, newer and undecodable payloads", async () => {
  const srv = await startReredis();
  const c = await RespClient.connect(srv.port);
  try {
    await c.call("SET", "k", "hello");
    await c.send("DUMP", "k");
    const p = bulkOf(latin1((await c.readRaw())!));
    const flipped = p.slice();
    flipped[1] ^= 1;
    const wrong = "ERR DUMP payload version or checksum are wrong";
    assert.deepEqual(await c.call("RESTORE", "a", "0", flipped), { "-": wrong });
    assert.deepEqual(await c.call("RESTORE", "a", "0", p.subarray(0, 9)), { "-": wrong });
    assert.deepEqual(await c.call("RESTORE", "a", "0", p.subarray(1)), { "-": wrong });
    const body = p.subarray(0, p.length - 10);
    assert.deepEqual(await c.call("RESTORE", "a", "0", payloadFor(body, 2)), { "-": wrong });
    assert.deepEqual(await c.call("RESTORE", "a", "0", payloadFor(body, 0)), { "+": "OK" });
    const bad = "ERR Bad data format";
    assert.deepEqual(await c.call("RESTORE", "b", "0", payloadFor(bytesOf("\x63xyz"))), {
      "-": bad,
    });
    assert.deepEqual(await c.call("RESTORE", "b", "0", payloadFor(new Uint8Array(0))), {
      "-": bad,
    });
    // A list payload claiming more elements than it holds.
    assert.deepEqual(await c.call("RESTORE", "b", "0", payloadFor(bytesOf("\x01\x05\x01a"))), {
      "-": bad,
    });
    assert.equal(await c.call("EXISTS", "b"), 0);
  } finally {
    c.close();
    await srv.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// SCAN, KEYS

Deno.test("SCAN cursors parse like strtoul: empty, signs, wrap-around, no spaces or overflow", () => {
  assert.equal(parseScanCursor(bytesOf("")), 0);
  assert.equal(parseScanCursor(bytesOf("+12")), 12);
  assert.equal(parseScanCursor(bytesOf("-1")), 0xffffffff);
  assert.equal(parseScanCursor(bytesOf("18446744073709551615")), 0xffffffff);
  assert.equal(parseScanCursor(bytesOf("4294967296")), 0);
  assert.equal(parseScanCursor(bytesOf("7\x00junk")), 7);
  assert.equal(parseScanCursor(bytesOf("18446744073709551616")), undefined);
  assert.equal(parseScanCursor(bytesOf(" 1")), undefined);
  assert.equal(parseScanCursor(bytesOf("1 ")), undefined);
  assert.equal(parseScanCursor(bytesOf("-")), undefined);
  assert.equal(parseScanCursor(bytesOf("0x1")), undefined);
});

async function scanAll(r: Redis, ...opts: (string | number)[]): Promise<string[]> {
  const seen: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = (await r.call("SCAN", cursor, ...opts)) as [string, string[]];
    seen.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return seen;
}

Deno.test("a full SCAN returns every key, and MATCH and TYPE filter it", async () => {
  const srv = await startReredis();
  const r = new Redis({ port: srv.port, lazyConnect: true, enableReadyCheck: false });
  try {
    await r.connect();
    const p = r.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`key:${i}`, "v");
    for (let i = 0; i < 50; i++) p.rpush(`list:${i}`, "v");
    await p.exec();
    const all = await scanAll(r, "COUNT", 7);
    assert.equal(new Set(all).size, 1050);
    const lists = await scanAll(r, "TYPE", "list");
    assert.deepEqual(new Set(lists), new Set(Array.from({ length: 50 }, (_, i) => `list:${i}`)));
    const some = await scanAll(r, "MATCH", "key:1??", "COUNT", 100);
    assert.equal(new Set(some).size, 100);
    assert.equal((await r.keys("key:9*")).length, 111);
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

Deno.test("a key present for a whole SCAN is returned even while 10 000 keys are added", async () => {
  const srv = await startReredis();
  const r = new Redis({ port: srv.port, lazyConnect: true, enableReadyCheck: false });
  try {
    await r.connect();
    const p = r.pipeline();
    for (let i = 0; i < 500; i++) p.set(`stable:${i}`, "v");
    await p.exec();
    const seen = new Set<string>();
    let cursor = "0";
    let added = 0;
    do {
      const [next, keys] = await r.scan(cursor, "COUNT", 20);
      for (const k of keys) seen.add(k);
      cursor = next;
      // Grow the table between calls so it rehashes (several times) in the middle of the scan.
      if (added < 10000) {
        const g = r.pipeline();
        for (let i = 0; i < 400; i++) g.set(`new:${added++}`, "v");
        await g.exec();
      }
    } while (cursor !== "0");
    assert.ok(added >= 4000, `only ${added} keys were added during the scan`);
    for (let i = 0; i < 500; i++) assert.ok(seen.has(`stable:${i}`), `stable:${i} was missed`);
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

Deno.test("KEYS and SCAN MATCH are binary safe", async () => {
  const srv = await startReredis();
  const c = await RespClient.connect(srv.port);
  try {
    const key = new Uint8Array([0x6b, 0x00, 0xff, 0x0d, 0x0a]);
    await c.call("SET", key, "v");
    await c.call("SET", "other", "v");
    const raw = latin1((await (c.send("KEYS", bytesOf("k\x00*")), c.readRaw()))!);
    assert.equal(raw, "*1\r\n$5\r\nk\x00\xff\r\n\r\n");
    const scan = latin1(
      (await (c.send("SCAN", "0", "MATCH", bytesOf("*[\xfe-\xff]*")), c.readRaw()))!,
    );
    assert.equal(scan, "*2\r\n$1\r\n0\r\n*1\r\n$5\r\nk\x00\xff\r\n\r\n");
  } finally {
    c.close();
    await srv.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// Access times and LFU

Deno.test("OBJECT IDLETIME: RESTORE sets it, TTL/TYPE/EXISTS keep it, GET and TOUCH reset it", () => {
  const h = inProcess();
  h.run("SET", "src", "v");
  const payload = bulkOf(h.run("DUMP", "src"));
  h.run("RESTORE", "k", "0", payload, "IDLETIME", "1000");
  assert.equal(h.run("OBJECT", "IDLETIME", "k"), ":1000\r\n");
  h.run("TTL", "k");
  h.run("TYPE", "k");
  h.run("EXISTS", "k");
  h.run("OBJECT", "ENCODING", "k");
  assert.equal(h.run("OBJECT", "IDLETIME", "k"), ":1000\r\n");
  h.run("GET", "k");
  assert.equal(h.run("OBJECT", "IDLETIME", "k"), ":0\r\n");
  h.run("RESTORE", "k2", "0", payload, "IDLETIME", "50");
  assert.equal(h.run("TOUCH", "k2", "missing"), ":1\r\n");
  assert.equal(h.run("OBJECT", "IDLETIME", "k2"), ":0\r\n");
});

Deno.test("under an LFU policy RESTORE FREQ is reported by OBJECT FREQ and IDLETIME is refused", () => {
  const h = inProcess();
  if (!h.server.config.def("maxmemory-policy")) return; // the parameter is registered elsewhere
  h.server.config.set("maxmemory-policy", "allkeys-lfu");
  h.run("SET", "src", "v");
  const payload = bulkOf(h.run("DUMP", "src"));
  h.run("RESTORE", "k", "0", payload, "FREQ", "100");
  assert.equal(h.run("OBJECT", "FREQ", "k"), ":100\r\n");
  assert.equal(h.run("OBJECT", "FREQ", "src"), ":5\r\n");
  assert.match(h.run("OBJECT", "IDLETIME", "k"), /^-ERR An LFU maxmemory policy is selected/);
});

Deno.test("OBJECT REFCOUNT reports shared integers 0..9999 as Redis does", () => {
  const h = inProcess();
  h.run("MSET", "a", "0", "b", "9999", "c", "10000", "d", "-1", "e", "x");
  assert.equal(h.run("OBJECT", "REFCOUNT", "a"), ":2147483647\r\n");
  assert.equal(h.run("OBJECT", "REFCOUNT", "b"), ":2147483647\r\n");
  assert.equal(h.run("OBJECT", "REFCOUNT", "c"), ":1\r\n");
  assert.equal(h.run("OBJECT", "REFCOUNT", "d"), ":1\r\n");
  assert.equal(h.run("OBJECT", "REFCOUNT", "e"), ":1\r\n");
});
