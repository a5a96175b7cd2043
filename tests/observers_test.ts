// MONITOR, SLOWLOG, LATENCY and CLIENT TRACKING (redirect and BCAST) compared with redis-server
// on scenarios that need several connections; times, durations and addresses are normalized.

import assert from "node:assert/strict";
import { RespClient } from "../src/resp/client.ts";
import type { RespValue } from "../src/resp/decoder.ts";
import { escapeBytes } from "./helpers/corpus.ts";
import {
  redisServerAvailable,
  type RunningServer,
  startRedis,
  startReredis,
} from "./helpers/server.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: !redisServerAvailable() };

/** Runs `scenario` on both servers and returns [reredis, redis] results. */
async function both<T>(
  scenario: (port: number) => Promise<T>,
  redisOptions: string[] = [],
): Promise<[T, T]> {
  const servers: RunningServer[] = [];
  try {
    servers.push(
      await startReredis(["--appendonly", "no", "--enable-debug-command", "yes"]),
      await startRedis(["--enable-debug-command", "yes", ...redisOptions]),
    );
    return [await scenario(servers[0].port), await scenario(servers[1].port)];
  } finally {
    for (const s of servers) await s.stop();
  }
}

/** Everything `c` receives until a PING sentinel's reply (`pong` shape given). */
async function drain(c: RespClient, pong: string): Promise<string[]> {
  await c.send("PING");
  const out: string[] = [];
  for (;;) {
    const raw = await c.readRaw();
    if (raw === null) return [...out, "(closed)"];
    const s = escapeBytes(raw);
    if (s === pong) return out;
    out.push(s);
  }
}

const PONG2_SUB = "*2\\r\\n$4\\r\\npong\\r\\n$0\\r\\n\\r\\n";
const PONG3 = "+PONG\\r\\n";

Deno.test("CLIENT TRACKING: REDIRECT to a RESP2 subscriber and BCAST prefixes", opts, async () => {
  const [ours, theirs] = await both(async (port) => {
    const sub = await RespClient.connect(port);
    const reader = await RespClient.connect(port);
    const bcast = await RespClient.connect(port);
    const noloop = await RespClient.connect(port);
    const writer = await RespClient.connect(port);
    const log: string[] = [];
    const subId = await sub.call("CLIENT", "ID") as number;
    await sub.call("SUBSCRIBE", "__redis__:invalidate");
    log.push(String(await reader.call("CLIENT", "TRACKING", "on", "REDIRECT", String(subId))));
    await reader.call("GET", "user:1");
    await reader.call("MGET", "user:2", "other");
    await bcast.call("HELLO", "3");
    log.push(
      JSON.stringify(
        await bcast.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "acct:"),
      ),
    );
    await noloop.call("HELLO", "3");
    await noloop.call("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP");
    // BCAST groups the keys changed in one event-loop iteration: pause between writes so both
    // servers send one message per write.
    const pause = () => new Promise((r) => setTimeout(r, 20));
    await writer.call("SET", "user:1", "a");
    await pause();
    await writer.call("MSET", "user:2", "b", "other", "c", "acct:9", "d");
    await pause();
    await noloop.call("SET", "user:3", "mine");
    await new Promise((r) => setTimeout(r, 50));
    log.push(...(await drain(sub, PONG2_SUB)).map((s) => "sub " + s));
    log.push(...(await drain(bcast, PONG3)).map((s) => "bcast " + s));
    log.push(...(await drain(noloop, PONG3)).map((s) => "noloop " + s));
    // The redirect target goes away: the tracking client is told (RESP3) or not (RESP2).
    await reader.call("GET", "user:1");
    sub.close();
    await new Promise((r) => setTimeout(r, 50));
    await writer.call("SET", "user:1", "z");
    // (Client ids differ between the servers.)
    log.push(JSON.stringify(await reader.call("CLIENT", "TRACKINGINFO")).replace(/,\d+,/, ",ID,"));
    await writer.call("FLUSHALL");
    await new Promise((r) => setTimeout(r, 50));
    log.push(...(await drain(bcast, PONG3)).map((s) => "bcast " + s));
    for (const c of [reader, bcast, noloop, writer]) c.close();
    return log;
  });
  assert.deepEqual(ours, theirs);
});

/** A MONITOR line with its time and client address replaced by placeholders. */
function normalizeMonitor(line: string): string {
  return line.replace(
    /^\d+\.\d{6} \[(\d+) (lua|[\d.]+:\d+)\]/,
    (_m, db, who) => `T [${db} ${who === "lua" ? "lua" : "ADDR"}]`,
  );
}

Deno.test(
  "MONITOR shows commands after they ran, quoted and redacted like Redis",
  opts,
  async () => {
    const [ours, theirs] = await both(async (port) => {
      const mon = await RespClient.connect(port);
      const c = await RespClient.connect(port);
      assert.deepEqual(await mon.call("MONITOR"), { "+": "OK" });
      const cmds: string[][] = [
        ["SELECT", "2"],
        ["SET", "a b", 'c"d\\\x01\n\t'],
        ["MULTI"],
        ["SET", "x", "1"],
        ["GET", "x"],
        ["EXEC"],
        ["CONFIG", "GET", "port"], // admin: not shown
        ["NOSUCH", "cmd"], // rejected: not shown
        ["GET"], // wrong arity: not shown
        ["AUTH", "secret"],
        ["AUTH", "user", "secret"],
        ["HELLO", "2", "AUTH", "default", "pw"],
        ["EVAL", "return redis.call('set','k','v')", "0"],
        ["SELECT", "0"],
      ];
      for (const a of cmds) await c.call(...a);
      await new Promise((r) => setTimeout(r, 50));
      const lines: string[] = [];
      await c.call("ECHO", "end");
      for (;;) {
        const v = await mon.read() as { "+": string };
        const line = normalizeMonitor(v["+"]);
        lines.push(line);
        if (line.includes('"ECHO" "end"')) break;
      }
      mon.close();
      c.close();
      return lines;
    });
    assert.deepEqual(ours, theirs);
  },
);

/** SLOWLOG GET entries with id/time/duration/address normalized. */
function normalizeSlowlog(v: RespValue): RespValue {
  return (v as RespValue[][]).map((
    e,
  ) => ["ID", "TIME", "US", e[3], e[4] === "" ? "" : "ADDR", e[5]]);
}

Deno.test("SLOWLOG records arguments capped and redacted like Redis", opts, async () => {
  const [ours, theirs] = await both(async (port) => {
    const c = await RespClient.connect(port);
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    await c.call("SLOWLOG", "RESET");
    await c.call("CLIENT", "SETNAME", "tester");
    await c.call("SET", "k", "x".repeat(200));
    const many = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await c.call("DEL", ...many);
    await c.call("AUTH", "nope");
    await c.call("EXEC"); // fails outside MULTI, still logged (EXEC is not skip_slowlog in 7.0)
    const log = await c.call("SLOWLOG", "GET", "-1");
    const len = await c.call("SLOWLOG", "LEN");
    await c.call("CONFIG", "SET", "slowlog-max-len", "2");
    await c.call("PING");
    const capped = await c.call("SLOWLOG", "LEN");
    c.close();
    return [normalizeSlowlog(log!), len, capped];
  });
  assert.deepEqual(ours, theirs);
});

Deno.test("LATENCY LATEST / HISTORY record slow commands past the threshold", opts, async () => {
  const [ours, theirs] = await both(async (port) => {
    const c = await RespClient.connect(port);
    await c.call("CONFIG", "SET", "latency-monitor-threshold", "5");
    await c.call("DEBUG", "SLEEP", "0.02");
    const latest = await c.call("LATENCY", "LATEST") as RespValue[][];
    const hist = await c.call("LATENCY", "HISTORY", "command") as RespValue[][];
    const reset = await c.call("LATENCY", "RESET");
    const after = await c.call("LATENCY", "LATEST");
    c.close();
    return [
      latest.map((e) => [e[0], "T", (e[2] as number) >= 20, (e[3] as number) >= 20]),
      hist.length,
      reset,
      after,
    ];
  });
  assert.deepEqual(ours, theirs);
});

Deno.test(
  "CLIENT TRACKING: overlapping PREFIXes given together reply an error, then +OK (Redis quirk)",
  opts,
  async () => {
    const [ours, theirs] = await both(async (port) => {
      const c = await RespClient.connect(port);
      await c.send(
        "CLIENT",
        "TRACKING",
        "on",
        "BCAST",
        "PREFIX",
        "b",
        "PREFIX",
        "a",
        "PREFIX",
        "ab",
      );
      const out = [escapeBytes(await c.readRaw()), escapeBytes(await c.readRaw())];
      out.push(JSON.stringify(await c.call("CLIENT", "TRACKINGINFO")));
      c.close();
      return out;
    });
    assert.deepEqual(ours, theirs);
  },
);
