// String commands: the long double arithmetic of INCRBYFLOAT (against outputs recorded from
// redis-server 7.0.15), keyspace events and propagated forms (in-process, through the write
// path), and behaviour over the wire (ioredis and raw RESP for binary values and RESP3).

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RespClient } from "../src/resp/client.ts";
import { MutableString } from "../src/store/types.ts";
import { formatFixed17, incrByFloat, parseLongDouble } from "../src/util/long_double.ts";
import { startReredis } from "./helpers/server.ts";
import { bytesOf, inProcess as harness, latin1 } from "./helpers/in_process.ts";

// ---------------------------------------------------------------------------------------------
// Long double arithmetic

type Expected = string | { len: number; head: string; tail: string };

/** `SET k a; INCRBYFLOAT k b` → reply, recorded from redis-server 7.0.15 (x86-64). */
const REDIS_INCRBYFLOAT: [string, string, Expected][] = [
  ["1000.1", "0", "1000.09999999999999998"],
  ["0.1", "0.2", "0.3"],
  ["3", "1e-5", "3.00001"],
  [
    "0",
    "1e300",
    "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144",
  ],
  ["10.5", "0.1", "10.6"],
  ["1.1", "2.2", "3.3"],
  ["-1.5", "1.25", "-0.25"],
  ["1", "-1", "0"],
  ["0.1", "-0.1", "0"],
  ["1e-17", "0", "0.00000000000000001"],
  ["1e-17", "4e-18", "0.00000000000000001"],
  ["-1e-20", "0", "0"],
  ["5", "4e-4951", "5"],
  ["9223372036854775807", "1", "9223372036854775808"],
  ["9223372036854775807", "0.5", "9223372036854775807.5"],
  ["18446744073709551615", "1", "18446744073709551616"],
  ["18446744073709551617", "0", "18446744073709551616"],
  ["123456789012345678901234567890", "0", "123456789012345678899921813504"],
  ["0.000003814697265625", "0", "0.00000381469726562"],
  ["0.000011444091796875", "0", "0.00001144409179688"],
  ["1.000000000000000005", "0", "1"],
  ["2.5e-17", "0", "0.00000000000000002"],
  ["3.5e-17", "0", "0.00000000000000004"],
  ["7.5e-18", "0", "0.00000000000000001"],
  ["1e4932", "0", {
    len: 4933,
    head: "100000000000000000000601894938",
    tail: "163141086538418113791886622720",
  }],
  ["1.18973149535723176502e+4932", "0", {
    len: 4933,
    head: "118973149535723176502126385303",
    tail: "444156604419552086811989770240",
  }],
  [
    "1.7976931348623157e308",
    "1.7976931348623157e308",
    "359538626972463139991842093548208868096772893888658356970628841530353257046248792709403737216774171128857586838851041378617416726902272110715794556052955234146997955372576789671236326588091188869859074894581254961338834769297758245552436667197907705664206565009503223382416235440319971852753604933726679072768",
  ],
  ["0x10", "0x1p-3", "16.125"],
  ["0x1.8p1", ".5", "3.5"],
  ["5.", "+1", "6"],
  ["1E2", "0.1234567890123456789", "100.12345678901234568"],
  ["3.14159265358979323846264338327950288", "0", "3.14159265358979324"],
  ["-3.14159265358979323846264338327950288", "0", "-3.14159265358979324"],
  ["2.718281828459045", "1", "3.718281828459045"],
  ["100", "-100.00000000000000001", "-0.00000000000000001"],
  ["0.3", "-0.1", "0.2"],
  ["1.23456789e-10", "1", "1.00000000012345679"],
  ["99999999999999999999.5", "0.5", "100000000000000000000"],
  ["-0", "0", "0"],
  ["-0.0", "-0", "0"],
  ["inf", "1", "ERR increment would produce NaN or Infinity"],
  ["1", "inf", "ERR increment would produce NaN or Infinity"],
  ["1", "-inf", "ERR increment would produce NaN or Infinity"],
  ["1", "nan", "ERR value is not a valid float"],
  ["1", "1e5000", "ERR value is not a valid float"],
  ["1", "1e-5000", "ERR value is not a valid float"],
  ["1", "abc", "ERR value is not a valid float"],
  ["abc", "1", "ERR value is not a valid float"],
  ["1", " 1", "ERR value is not a valid float"],
  ["1", "1 ", "ERR value is not a valid float"],
  ["1", "0x", "ERR value is not a valid float"],
  ["1", "1e", "ERR value is not a valid float"],
  ["1e4932", "1e4932", "ERR increment would produce NaN or Infinity"],
  ["-1e4932", "-1e4932", "ERR increment would produce NaN or Infinity"],
  ["1.5", "-1.5", "0"],
  ["0.1", "0.7", "0.8"],
  ["17.5", "0.000000000000000001", "17.5"],
  ["4.35", "0", "4.35"],
  ["1.005", "0", "1.005"],
  ["0.1", "0.1", "0.2"],
];

function incrByFloatReply(a: string, b: string): string {
  const r = incrByFloat(bytesOf(a), bytesOf(b));
  if (r.ok) return latin1(r.value);
  return r.error === "overflow"
    ? "ERR increment would produce NaN or Infinity"
    : "ERR value is not a valid float";
}

Deno.test("incrByFloat reproduces redis-server 7.0.15 INCRBYFLOAT replies", () => {
  for (const [a, b, want] of REDIS_INCRBYFLOAT) {
    const got = incrByFloatReply(a, b);
    if (typeof want === "string") assert.equal(got, want, `${a} + ${b}`);
    else {
      assert.equal(got.length, want.len, `${a} + ${b}: length`);
      assert.equal(got.slice(0, 30), want.head, `${a} + ${b}: head`);
      assert.equal(got.slice(-30), want.tail, `${a} + ${b}: tail`);
    }
  }
});

Deno.test("incrByFloat treats a missing value as 0", () => {
  const r = incrByFloat(undefined, bytesOf("2.50"));
  assert.ok(r.ok && latin1(r.value) === "2.5");
});

Deno.test("parseLongDouble rejects NUL bytes, leading spaces, NaN and 5 KB inputs", () => {
  for (const s of ["1\x002", "\x00", " 1", "\t1", "nan", "-nan", "NaN(12)", "", "1".repeat(5120)]) {
    assert.equal(parseLongDouble(bytesOf(s)), undefined, JSON.stringify(s.slice(0, 20)));
  }
  assert.ok(parseLongDouble(bytesOf("0." + "1".repeat(5117))));
  assert.ok(parseLongDouble(bytesOf("0e999999999999")), "an exact zero is never out of range");
});

Deno.test("formatFixed17 rounds an exact tie to the even digit, as glibc printf", () => {
  // 2^-18 = 0.000003814697265625: the 18th decimal is a 5 with nothing after it.
  assert.equal(formatFixed17(parseLongDouble(bytesOf("0x1p-18"))!), "0.00000381469726562");
  assert.equal(formatFixed17(parseLongDouble(bytesOf("0x3p-18"))!), "0.00001144409179688");
  assert.equal(formatFixed17(parseLongDouble(bytesOf("-0"))!), "-0.00000000000000000");
});

// ---------------------------------------------------------------------------------------------
// Keyspace events and propagated forms (in-process, through the one write path)

const inProcess = () => harness();

/** Replaces 13-digit absolute ms timestamps so propagated forms compare exactly. */
const noTime = (s: string) => s.replace(/\b1\d{12}\b/g, "<ms>");

Deno.test("SET with EX propagates as SET PXAT <abs ms> and emits set then expire", () => {
  const h = inProcess();
  const before = Date.now();
  assert.equal(h.run("SET", "k", "v", "EX", "10", "GET"), "$-1\r\n");
  const { commands, events } = h.take();
  assert.equal(noTime(commands[0]), "SET k v PXAT <ms>");
  const at = Number(commands[0].split(" ")[4]);
  assert.ok(at >= before + 10000 && at <= Date.now() + 10000);
  assert.deepEqual(events, ["set:$:k", "expire:g:k"]);
});

Deno.test("SET with GET and no expire propagates as sent without the GET tokens", () => {
  const h = inProcess();
  h.run("set", "k", "v1");
  h.take();
  assert.equal(h.run("set", "k", "v2", "get", "XX", "GET", "KEEPTTL"), "$2\r\nv1\r\n");
  assert.deepEqual(h.take().commands, ["set k v2 XX KEEPTTL"]);
});

Deno.test("SETEX and PSETEX propagate as SET PXAT; SETNX and MSET as sent", () => {
  const h = inProcess();
  h.run("SETEX", "a", "100", "v");
  h.run("PSETEX", "b", "100000", "v");
  h.run("SETNX", "c", "v");
  h.run("SETNX", "c", "v");
  h.run("MSET", "d", "1", "e", "2");
  const { commands, events } = h.take();
  assert.deepEqual(commands.map(noTime), [
    "SET a v PXAT <ms>",
    "SET b v PXAT <ms>",
    "SETNX c v",
    "MSET d 1 e 2",
  ]);
  assert.deepEqual(events, [
    "set:$:a",
    "expire:g:a",
    "set:$:b",
    "expire:g:b",
    "set:$:c",
    "set:$:d",
    "set:$:e",
  ]);
});

Deno.test("GETSET propagates as SET and GETDEL as DEL with a del event", () => {
  const h = inProcess();
  h.run("SET", "k", "v");
  h.take();
  assert.equal(h.run("GETSET", "k", "w"), "$1\r\nv\r\n");
  assert.equal(h.run("GETDEL", "k"), "$1\r\nw\r\n");
  assert.equal(h.run("GETDEL", "k"), "$-1\r\n");
  assert.deepEqual(h.take(), { commands: ["SET k w", "DEL k"], events: ["set:$:k", "del:g:k"] });
});

Deno.test("GETEX propagates EX as PEXPIREAT, PERSIST as PERSIST, a past EXAT as DEL", () => {
  const h = inProcess();
  h.run("SET", "k", "v");
  h.take();
  h.run("GETEX", "k", "EX", "100");
  h.run("GETEX", "k", "PXAT", "99999999999999");
  h.run("GETEX", "k", "PERSIST");
  h.run("GETEX", "k", "PERSIST"); // no TTL left: nothing to propagate
  h.run("GETEX", "k", "EXAT", "1");
  assert.equal(h.run("GET", "k"), "$-1\r\n");
  const { commands, events } = h.take();
  assert.deepEqual(commands.map(noTime), [
    "PEXPIREAT k <ms>",
    "PEXPIREAT k 99999999999999",
    "PERSIST k",
    "DEL k",
  ]);
  assert.deepEqual(events, ["expire:g:k", "expire:g:k", "persist:g:k", "del:g:k"]);
});

Deno.test("INCRBYFLOAT propagates its result as SET … KEEPTTL", () => {
  const h = inProcess();
  assert.equal(h.run("INCRBYFLOAT", "f", "1.5"), "$3\r\n1.5\r\n");
  assert.equal(h.run("INCRBYFLOAT", "f", "0.1"), "$3\r\n1.6\r\n");
  assert.deepEqual(h.take(), {
    commands: ["SET f 1.5 KEEPTTL", "SET f 1.6 KEEPTTL"],
    events: ["incrbyfloat:$:f", "incrbyfloat:$:f"],
  });
});

Deno.test("commands that change nothing propagate nothing", () => {
  const h = inProcess();
  h.run("SET", "k", "v");
  h.take();
  h.run("SET", "k", "v", "NX");
  h.run("SET", "new", "v", "XX");
  h.run("MSETNX", "k", "1", "z", "2");
  h.run("SETRANGE", "k", "0", "");
  h.run("INCR", "k"); // not an integer
  h.run("SET", "k", "v", "EX", "0");
  assert.deepEqual(h.take(), { commands: [], events: [] });
});

Deno.test("APPEND emits append even with an empty argument; counters emit incrby", () => {
  const h = inProcess();
  h.run("APPEND", "a", "x");
  h.run("APPEND", "a", "");
  h.run("SETRANGE", "a", "3", "y");
  h.run("INCR", "n");
  h.run("DECRBY", "n", "5");
  assert.deepEqual(h.take(), {
    commands: ["APPEND a x", "APPEND a ", "SETRANGE a 3 y", "INCR n", "DECRBY n 5"],
    events: ["append:$:a", "append:$:a", "setrange:$:a", "incrby:$:n", "incrby:$:n"],
  });
});

Deno.test("APPEND to an existing key stores a MutableString; SET and INCR store plain bytes", () => {
  const h = inProcess();
  const db = h.server.dbs[0];
  h.run("APPEND", "a", "first");
  assert.ok(db.dict.get("a") instanceof Uint8Array, "a new key is stored like SET");
  h.run("APPEND", "a", "second");
  assert.ok(db.dict.get("a") instanceof MutableString);
  h.run("SETRANGE", "r", "2", "x");
  assert.ok(db.dict.get("r") instanceof MutableString);
  h.run("INCR", "a2");
  assert.ok(db.dict.get("a2") instanceof Uint8Array);
  h.run("SET", "r", "plain");
  assert.ok(db.dict.get("r") instanceof Uint8Array);
});

Deno.test("INCR, APPEND, SETRANGE and INCRBYFLOAT keep the TTL; SET and GETSET drop it", () => {
  const h = inProcess();
  const db = h.server.dbs[0];
  const keepers: string[][] = [["INCR"], ["APPEND", "1"], ["INCRBYFLOAT", "1"], [
    "SETRANGE",
    "0",
    "2",
  ]];
  for (const [cmd, ...rest] of keepers) {
    h.run("SET", "k", "1", "EX", "100");
    h.run(cmd, "k", ...rest);
    assert.ok(db.getExpire("k") !== undefined, `${cmd} keeps the TTL`);
  }
  h.run("SET", "k", "v", "KEEPTTL");
  assert.ok(db.getExpire("k") !== undefined, "KEEPTTL keeps it");
  h.run("GETSET", "k", "v");
  assert.equal(db.getExpire("k"), undefined);
  h.run("SET", "k", "1", "EX", "100");
  h.run("SET", "k", "2");
  assert.equal(db.getExpire("k"), undefined);
});

Deno.test("read commands count keyspace hits and misses like lookupKeyRead", () => {
  const h = inProcess();
  const stats = h.server.stats;
  h.run("SET", "k", "v");
  h.run("GET", "k");
  h.run("GET", "nope");
  h.run("MGET", "k", "nope", "k");
  h.run("STRLEN", "k");
  h.run("INCR", "counter"); // a write lookup: not counted
  assert.equal(stats.keyspaceHits, 4);
  assert.equal(stats.keyspaceMisses, 2);
});

// ---------------------------------------------------------------------------------------------
// Over the wire

async function withServer(
  fn: (port: number) => Promise<void>,
  options: string[] = [],
): Promise<void> {
  const srv = await startReredis(options);
  try {
    await fn(srv.port);
  } finally {
    await srv.stop();
  }
}

Deno.test("GET and SET are binary safe for CR LF, NUL and invalid UTF-8", async () => {
  await withServer(async (port) => {
    const c = await RespClient.connect(port);
    const key = bytesOf("k\r\n\x00\xff");
    const value = bytesOf("\x00\r\n\xc3\x28\xff\xfe\r\n$-1\r\n");
    assert.deepEqual(await c.call("SET", key, value), { "+": "OK" });
    await c.send("GET", key);
    assert.equal(latin1((await c.readRaw())!), `$${value.length}\r\n${latin1(value)}\r\n`);
    await c.send("GETRANGE", key, "1", "2");
    assert.equal(latin1((await c.readRaw())!), "$2\r\n\r\n\r\n");
    await c.send("APPEND", key, bytesOf("\x80"));
    assert.equal(latin1((await c.readRaw())!), `:${value.length + 1}\r\n`);
    await c.send("LCS", key, key);
    assert.equal(latin1((await c.readRaw())!), `$${value.length + 1}\r\n${latin1(value)}\x80\r\n`);
    c.close();
  });
});

Deno.test("RESP3 replies null as _ and LCS IDX as a map", async () => {
  await withServer(async (port) => {
    const c = await RespClient.connect(port);
    await c.call("HELLO", "3");
    await c.send("GET", "missing");
    assert.equal(latin1((await c.readRaw())!), "_\r\n");
    await c.send("MGET", "missing", "missing");
    assert.equal(latin1((await c.readRaw())!), "*2\r\n_\r\n_\r\n");
    await c.call("MSET", "a", "ohmytext", "b", "mynewtext");
    await c.send("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN");
    assert.equal(
      latin1((await c.readRaw())!),
      "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
    );
    c.close();
  });
});

Deno.test("ioredis: counters, floats and ranges", async () => {
  await withServer(async (port) => {
    const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      assert.equal(await r.incr("n"), 1);
      assert.equal(await r.incrby("n", 41), 42);
      assert.equal(await r.decrby("n", 2), 40);
      await assert.rejects(r.incrby("n", "x" as unknown as number), /not an integer/);
      await r.set("big", "9223372036854775807");
      await assert.rejects(r.incr("big"), /increment or decrement would overflow/);
      assert.equal(await r.incrbyfloat("f", "10.5"), "10.5");
      assert.equal(await r.incrbyfloat("f", "0.1"), "10.6");
      await r.set("f", "1000.1");
      assert.equal(await r.incrbyfloat("f", "0"), "1000.09999999999999998");
      assert.equal(await r.setrange("s", 3, "abc"), 6);
      assert.equal(await r.get("s"), "\x00\x00\x00abc");
      assert.equal(await r.getrange("s", -3, -1), "abc");
      assert.equal(await r.strlen("s"), 6);
      assert.deepEqual(await r.mget("n", "nope", "f"), ["40", null, "1000.09999999999999998"]);
      assert.equal(await r.msetnx("n", "1", "m", "2"), 0);
      assert.equal(await r.get("m"), null);
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("keys set with PX expire, and GETEX PERSIST keeps them", async () => {
  await withServer(async (port) => {
    const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
    await r.connect();
    try {
      await r.set("gone", "v", "PX", 50);
      await r.set("kept", "v", "PX", 50);
      assert.equal(await r.getex("kept", "PERSIST"), "v");
      await new Promise((res) => setTimeout(res, 120));
      assert.equal(await r.get("gone"), null);
      assert.equal(await r.get("kept"), "v");
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("repeated APPENDs grow one string in place", async () => {
  await withServer(async (port) => {
    const c = await RespClient.connect(port);
    const chunk = "x".repeat(100);
    const n = 20000;
    // Pipelined: with copying on every append this would move ~20 GB.
    let batch = "";
    for (let i = 0; i < n; i++) {
      batch += `*3\r\n$6\r\nAPPEND\r\n$3\r\nbig\r\n$100\r\n${chunk}\r\n`;
    }
    await c.writeRaw(batch);
    for (let i = 0; i < n; i++) await c.readRaw();
    assert.deepEqual(await c.call("STRLEN", "big"), 100 * n);
    c.close();
  });
});

Deno.test("SETRANGE and APPEND refuse to pass proto-max-bulk-len", async () => {
  await withServer(async (port) => {
    const c = await RespClient.connect(port);
    const err = { "-": "ERR string exceeds maximum allowed size (proto-max-bulk-len)" };
    assert.deepEqual(await c.call("SETRANGE", "k", String(1024 * 1024), "x"), err);
    assert.deepEqual(await c.call("SETRANGE", "k", String(1024 * 1024 - 1), "x"), 1024 * 1024);
    assert.deepEqual(await c.call("APPEND", "k", "y"), err);
    assert.deepEqual(await c.call("SETRANGE", "k", "-1", "x"), {
      "-": "ERR offset is out of range",
    });
    c.close();
  }, ["--proto-max-bulk-len", "1mb"]);
});
