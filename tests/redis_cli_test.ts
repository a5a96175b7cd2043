// redis-cli against Reredis: one-shot commands, --raw / --no-raw formatting, --pipe mass
// input and -3 (RESP3). Where redis-server is installed, output is compared with it.

import assert from "node:assert/strict";
import {
  redisServerAvailable,
  type RunningServer,
  startRedis,
  startReredis,
} from "./helpers/server.ts";

function installed(cmd: string): boolean {
  try {
    return new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const haveCli = installed("redis-cli");
if (!haveCli) console.warn("redis-cli not installed: tests/redis_cli_test.ts is ignored");

/** Runs redis-cli; its output (stdout + stderr) when it exits with `code`. */
async function cli(port: number, args: string[], stdin?: string, code = 0): Promise<string> {
  const p = new Deno.Command("redis-cli", {
    args: ["-h", "127.0.0.1", "-p", String(port), ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await p.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, code, `redis-cli ${args.join(" ")} exited ${out.code}: ${text}`);
  return text;
}

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !haveCli };

Deno.test("redis-cli talks to Reredis", opts, async (t) => {
  const reredis: RunningServer = await startReredis();
  const redis = redisServerAvailable() ? await startRedis() : undefined;
  const port = reredis.port;
  /** Same output from Reredis and (when installed) redis-server, after `mask`. */
  const sameAsRedis = async (
    args: string[],
    stdin?: string,
    mask = (s: string) => s,
    code = 0,
  ) => {
    const ours = mask(await cli(port, args, stdin, code));
    if (redis) assert.equal(ours, mask(await cli(redis.port, args, stdin, code)));
    return ours;
  };
  try {
    await t.step("redis-cli ping prints PONG", async () => {
      assert.equal(await cli(port, ["ping"]), "PONG\n");
    });

    await t.step("--raw prints bulk strings as they are, --no-raw quotes them", async () => {
      assert.equal(await sameAsRedis(["--raw", "echo", "a b\nc"]), "a b\nc\n");
      assert.equal(await sameAsRedis(["--no-raw", "echo", "a b"]), '"a b"\n');
      assert.equal(await sameAsRedis(["--no-raw", "echo", "\x01\xff"]), '"\\x01\\xc3\\xbf"\n');
    });

    await t.step("errors print with (error) in --no-raw mode", async () => {
      assert.equal(
        await sameAsRedis(["--no-raw", "nosuch", "a"]),
        "(error) ERR unknown command 'nosuch', with args beginning with: 'a' \n",
      );
      assert.equal(
        await sameAsRedis(["--no-raw", "select", "99"]),
        "(error) ERR DB index is out of range\n",
      );
    });

    await t.step("commands piped to stdin run one per line", async () => {
      assert.equal(
        await sameAsRedis([], "PING\nECHO hi\nSELECT 1\nFOO\n"),
        "PONG\nhi\nOK\nERR unknown command 'FOO', with args beginning with: \n\n",
      );
    });

    await t.step("--pipe sends a RESP stream and counts replies and errors", async () => {
      let stream = "";
      for (let i = 0; i < 1000; i++) {
        stream += `*2\r\n$4\r\nECHO\r\n$${String(i).length}\r\n${i}\r\n`;
      }
      stream += "*1\r\n$6\r\nNOSUCH\r\n";
      const out = await sameAsRedis(["--pipe"], stream, undefined, 1); // 1: there were errors
      assert.match(out, /errors: 1, replies: 1001\n/);
    });

    await t.step("-3 speaks RESP3: HELLO shows a map", async () => {
      const out = await sameAsRedis(
        ["-3", "--no-raw", "hello", "3"],
        undefined,
        (s) => s.replace(/"id" => \(integer\) \d+/, '"id" => (integer) N'),
      );
      assert.equal(
        out,
        [
          '1# "server" => "redis"',
          '2# "version" => "7.0.15"',
          '3# "proto" => (integer) 3',
          '4# "id" => (integer) N',
          '5# "mode" => "standalone"',
          '6# "role" => "master"',
          '7# "modules" => (empty array)',
          "",
        ].join("\n"),
      );
      assert.equal(await sameAsRedis(["-3", "--no-raw", "ping"]), "PONG\n");
    });
  } finally {
    await reredis.stop();
    await redis?.stop();
  }
});
