// Keyspace notifications compared with redis-server: tests/corpus/notifications.txt runs on both
// servers while a second connection per server is PSUBSCRIBEd to every keyspace/keyevent channel.
// After each command, the subscriber's messages (up to a PING sentinel) must be byte-identical.
// (tests/differential_test.ts also runs the file, comparing the command replies only.)

import assert from "node:assert/strict";
import { RespClient } from "../src/resp/client.ts";
import { escapeBytes, parseCorpus } from "./helpers/corpus.ts";
import {
  redisServerAvailable,
  type RunningServer,
  startRedis,
  startReredis,
} from "./helpers/server.ts";

const haveRedis = redisServerAvailable();
const opts = { sanitizeResources: false, sanitizeOps: false };
const enc = new TextEncoder();
const PONG = enc.encode("*2\r\n$4\r\npong\r\n$0\r\n\r\n");

/** A command connection plus a subscriber connection to one server. */
class Pair {
  private constructor(readonly cmd: RespClient, readonly sub: RespClient) {}

  static async open(port: number): Promise<Pair> {
    const cmd = await RespClient.connect(port);
    const sub = await RespClient.connect(port);
    await sub.send("PSUBSCRIBE", "__keyspace@*__:*", "__keyevent@*__:*");
    await sub.readRaw();
    await sub.readRaw();
    return new Pair(cmd, sub);
  }

  /** The command's raw reply, then every notification the subscriber got for it. */
  async run(args: Uint8Array[]): Promise<string> {
    await this.cmd.send(...args);
    const reply = await this.cmd.readRaw();
    await this.sub.send("PING");
    const msgs: string[] = [];
    for (;;) {
      const m = await this.sub.readRaw();
      if (m === null) return "(subscriber closed)";
      if (escapeBytes(m) === escapeBytes(PONG)) break;
      msgs.push(escapeBytes(m));
    }
    return `${escapeBytes(reply)}\n      ${msgs.join("\n      ")}`;
  }

  close(): void {
    this.cmd.close();
    this.sub.close();
  }
}

Deno.test("keyspace notifications match redis-server message for message", {
  ...opts,
  ignore: !haveRedis,
}, async () => {
  const text = await Deno.readTextFile(new URL("./corpus/notifications.txt", import.meta.url));
  const { steps, errors } = parseCorpus(text);
  assert.deepEqual(errors, []);
  const servers: RunningServer[] = [];
  const pairs: Pair[] = [];
  try {
    servers.push(await startReredis(["--appendonly", "no"]), await startRedis());
    for (const s of servers) pairs.push(await Pair.open(s.port));
    const problems: string[] = [];
    for (const step of steps) {
      if (step.kind === "sleep") {
        await new Promise((r) => setTimeout(r, step.ms));
        continue;
      }
      if (step.kind === "reset") {
        for (const p of pairs) await p.run([enc.encode("FLUSHALL")]);
        continue;
      }
      const [ours, theirs] = await Promise.all(pairs.map((p) => p.run(step.args)));
      if (step.noreply || step.match) continue;
      if (ours !== theirs) {
        problems.push(`line ${step.line}: ${step.text}\n  redis:   ${theirs}\n  reredis: ${ours}`);
      }
    }
    assert.equal(problems.length, 0, `${problems.length} difference(s):\n${problems.join("\n")}`);
  } finally {
    for (const p of pairs) p.close();
    for (const s of servers) await s.stop();
  }
});

Deno.test("expired fires when the active cycle removes a key nobody reads", opts, async () => {
  const server = await startReredis(["--appendonly", "no", "--notify-keyspace-events", "Ex"]);
  const sub = await RespClient.connect(server.port);
  const cmd = await RespClient.connect(server.port);
  try {
    await sub.send("SUBSCRIBE", "__keyevent@0__:expired");
    await sub.readRaw();
    assert.deepEqual(await cmd.call("SET", "k", "v", "PX", "30"), { "+": "OK" });
    const msg = await sub.read();
    assert.deepEqual(msg, ["message", "__keyevent@0__:expired", "k"]);
  } finally {
    sub.close();
    cmd.close();
    await server.stop();
  }
});
