// Scripting beyond single replies (those are in tests/corpus/scripting.txt): effects replication
// into the WAL, functions surviving restarts and compaction, busy-reply-threshold with -BUSY,
// SCRIPT KILL / FUNCTION KILL / UNKILLABLE, WATCH and FUNCTION DUMP/RESTORE.

import assert from "node:assert/strict";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import type { Buffer } from "node:buffer";
import { RespClient } from "../src/resp/client.ts";
import { startReredis } from "./helpers/server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const opts = { sanitizeOps: false, sanitizeResources: false };

function walText(dir: string, suffix: string): string {
  const sub = join(dir, "appendonlydir");
  let out = "";
  for (const e of Deno.readDirSync(sub)) {
    if (e.name.endsWith(suffix)) {
      out += new TextDecoder("latin1").decode(Deno.readFileSync(join(sub, e.name)));
    }
  }
  return out;
}

Deno.test({
  name: "a script's writes reach the WAL as the commands it ran, in MULTI/EXEC, and replay",
  ...opts,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "reredis-lua-" });
    try {
      let srv = await startReredis([
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
      ]);
      let r = new Redis({ port: srv.port, host: "127.0.0.1" });
      const out = await r.eval(
        "redis.call('SET', KEYS[1], ARGV[1]) redis.call('INCRBY', KEYS[2], 5) " +
          "redis.call('SPOP', KEYS[3]) return redis.call('GET', KEYS[1])",
        3,
        "a",
        "n",
        "missing",
        "v1",
      );
      assert.equal(out, "v1");
      await r.eval("return redis.call('GET', KEYS[1])", 1, "a"); // read-only: nothing logged
      r.disconnect();
      const incr = walText(dir, ".incr.aof");
      assert.match(incr, /MULTI[\s\S]*SET[\s\S]*INCRBY[\s\S]*EXEC/);
      assert.doesNotMatch(incr, /EVAL|redis\.call|SPOP/);
      await srv.stop();
      srv = await startReredis(["--dir", dir, "--appendonly", "yes"]);
      r = new Redis({ port: srv.port, host: "127.0.0.1" });
      assert.deepEqual(await r.mget("a", "n"), ["v1", "5"]);
      r.disconnect();
      await srv.stop();
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "function libraries persist through restarts and WAL compaction; scripts do not",
  ...opts,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "reredis-lua-" });
    try {
      let srv = await startReredis(["--dir", dir, "--appendonly", "yes"]);
      let r = new Redis({ port: srv.port, host: "127.0.0.1" });
      await r.function(
        "LOAD",
        "#!lua name=lib\nredis.register_function('hello', function(keys, args) return 'hi ' .. args[1] end)",
      );
      const sha = await r.script("LOAD", "return 1") as string;
      await r.set("k", "v");
      r.disconnect();
      await srv.stop();
      srv = await startReredis(["--dir", dir, "--appendonly", "yes"]);
      r = new Redis({ port: srv.port, host: "127.0.0.1" });
      assert.equal(await r.fcall("hello", 0, "ann"), "hi ann");
      assert.deepEqual(await r.script("EXISTS", sha), [0]);
      assert.equal(await r.call("BGREWRITEAOF"), "Background append only file rewriting started");
      for (let i = 0; i < 100 && !walText(dir, ".base.aof").includes("FUNCTION"); i++) {
        await sleep(50);
      }
      assert.match(walText(dir, ".base.aof"), /FUNCTION[\s\S]*LOAD[\s\S]*name=lib/);
      await r.function("DELETE", "lib");
      r.disconnect();
      await srv.stop();
      srv = await startReredis(["--dir", dir, "--appendonly", "yes"]);
      r = new Redis({ port: srv.port, host: "127.0.0.1" });
      await assert.rejects(r.fcall("hello", 0, "x"), /Function not found/);
      assert.equal(await r.get("k"), "v");
      r.disconnect();
      await srv.stop();
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "past busy-reply-threshold others get -BUSY, SCRIPT KILL stops the script, the pipeline goes on",
  ...opts,
  async fn() {
    const srv = await startReredis(["--appendonly", "no", "--busy-reply-threshold", "100"]);
    try {
      const a = await RespClient.connect(srv.port);
      const b = await RespClient.connect(srv.port);
      await a.send("EVAL", "local i = 0 while true do i = i + 1 end", "0");
      await a.send("PING");
      await sleep(250);
      assert.deepEqual(await b.call("GET", "x"), {
        "-":
          "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
      });
      assert.deepEqual(await b.call("FUNCTION", "KILL"), {
        "-":
          "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
      });
      const stats = await b.call("FUNCTION", "STATS") as unknown[];
      assert.equal(stats[0], "running_script");
      const sha = createHash("sha1").update("local i = 0 while true do i = i + 1 end").digest(
        "hex",
      );
      assert.deepEqual((stats[1] as unknown[]).slice(0, 4), ["name", sha, "command", [
        "EVAL",
        "local i = 0 while true do i = i + 1 end",
        "0",
      ]]);
      assert.deepEqual(await b.call("SCRIPT", "KILL"), { "+": "OK" });
      const killed = await a.read() as { "-": string };
      assert.match(killed["-"], /^ERR Script killed by user with SCRIPT KILL\.\.\. script: /);
      assert.deepEqual(await a.read(), { "+": "PONG" });
      assert.deepEqual(await b.call("GET", "x"), null);
      assert.deepEqual(await b.call("SCRIPT", "KILL"), {
        "-": "NOTBUSY No scripts in execution right now.",
      });
      a.close();
      b.close();
    } finally {
      await srv.stop();
    }
  },
});

Deno.test({
  name:
    "a busy function: -BUSY names FUNCTION KILL, SCRIPT KILL is refused, FUNCTION KILL stops it",
  ...opts,
  async fn() {
    const srv = await startReredis(["--appendonly", "no", "--busy-reply-threshold", "100"]);
    try {
      const a = await RespClient.connect(srv.port);
      const b = await RespClient.connect(srv.port);
      await b.call(
        "FUNCTION",
        "LOAD",
        "#!lua name=spin\nredis.register_function('spin', function() while true do end end)",
      );
      await a.send("FCALL", "spin", "0");
      await sleep(250);
      const busy = {
        "-":
          "BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
      };
      assert.deepEqual(await b.call("PING"), busy);
      assert.deepEqual(await b.call("SCRIPT", "KILL"), busy);
      assert.deepEqual(await b.call("FUNCTION", "KILL"), { "+": "OK" });
      assert.deepEqual(await a.read(), {
        "-": "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.",
      });
      assert.deepEqual(await b.call("PING"), { "+": "PONG" });
      a.close();
      b.close();
    } finally {
      await srv.stop();
    }
  },
});

Deno.test({
  name: "a busy script that wrote is UNKILLABLE, runs to its end and stays atomic",
  ...opts,
  async fn() {
    const srv = await startReredis(["--appendonly", "no", "--busy-reply-threshold", "50"]);
    try {
      const a = await RespClient.connect(srv.port);
      const b = await RespClient.connect(srv.port);
      const watcher = new Redis({ port: srv.port, host: "127.0.0.1" });
      await watcher.watch("second");
      await a.send(
        "EVAL",
        "redis.call('SET', KEYS[1], '1') local t = redis.call('TIME') " +
          "local deadline = t[1] * 1000000 + t[2] + 500000 " +
          "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= deadline " +
          "redis.call('SET', KEYS[2], '2') return 'done'",
        "2",
        "first",
        "second",
      );
      await sleep(150);
      assert.deepEqual(await b.call("MGET", "first", "second"), {
        "-":
          "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
      });
      const unkillable = await b.call("SCRIPT", "KILL") as { "-": string };
      assert.match(unkillable["-"], /^UNKILLABLE Sorry the script already executed write commands/);
      assert.deepEqual(await a.read(), "done");
      assert.deepEqual(await b.call("MGET", "first", "second"), ["1", "2"]);
      const exec = await watcher.multi().set("second", "3").exec();
      assert.equal(exec, null, "WATCH saw the script's write");
      watcher.disconnect();
      a.close();
      b.close();
    } finally {
      await srv.stop();
    }
  },
});

Deno.test({
  name: "FUNCTION DUMP and RESTORE round-trip libraries with FLUSH, APPEND and REPLACE policies",
  ...opts,
  async fn() {
    const srv = await startReredis(["--appendonly", "no"]);
    const r = new Redis({ port: srv.port, host: "127.0.0.1" });
    try {
      const code = (v: string) =>
        `#!lua name=lib\nredis.register_function('f', function() return '${v}' end)`;
      await r.function("LOAD", code("one"));
      const dump = await r.callBuffer("FUNCTION", "DUMP") as Buffer;
      await r.function("FLUSH");
      await assert.rejects(r.fcall("f", 0), /Function not found/);
      assert.equal(await r.call("FUNCTION", "RESTORE", dump), "OK");
      assert.equal(await r.fcall("f", 0), "one");
      await assert.rejects(r.call("FUNCTION", "RESTORE", dump), /Library lib already exists/);
      await r.function("LOAD", "REPLACE", code("two"));
      assert.equal(await r.fcall("f", 0), "two");
      assert.equal(await r.call("FUNCTION", "RESTORE", dump, "REPLACE"), "OK");
      assert.equal(await r.fcall("f", 0), "one");
      assert.equal(await r.call("FUNCTION", "RESTORE", dump, "FLUSH"), "OK");
      await assert.rejects(r.call("FUNCTION", "RESTORE", dump.subarray(1)), /checksum are wrong/);
      const stats = await r.call("FUNCTION", "STATS");
      assert.deepEqual(stats, [
        "running_script",
        null,
        "engines",
        ["LUA", ["libraries_count", 1, "functions_count", 1]],
      ]);
    } finally {
      r.disconnect();
      await srv.stop();
    }
  },
});
