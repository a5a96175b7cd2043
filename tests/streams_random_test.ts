// Randomized differential test for streams: seeded sequences of XADD (every id form and trim
// option), XDEL, XTRIM, consumer-group commands, XCLAIM/XAUTOCLAIM, XSETID and the XINFO / XRANGE
// / XPENDING views, run on Reredis and redis-server with small node limits, replies compared byte
// for byte (wall-clock fields masked). The hand-written cases live in tests/corpus/streams.txt.

import assert from "node:assert/strict";
import { RespClient } from "../src/resp/client.ts";
import { redisServerAvailable, startRedis, startReredis } from "./helpers/server.ts";

const dec = new TextDecoder("latin1");
/** Millisecond timestamps (seen-time, delivery time) differ between the servers. */
const mask = (t: string) => t.replace(/:1[6-9]\d{11}\r\n/g, ":<ms>\r\n");

function generator(seed: number) {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const ri = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(a: T[]): T => a[ri(a.length)];
  let ms = 1;
  const id = () => `${ri(ms + 2)}-${ri(3)}`;
  const group = () => pick(["g1", "g2"]);
  const consumer = () => pick(["c1", "c2", "c3"]);
  const trims = (): string[] =>
    pick([
      [],
      [],
      ["MAXLEN", String(ri(8))],
      ["MAXLEN", "~", String(ri(8))],
      ["MINID", id()],
      ["MINID", "~", id()],
      ["MAXLEN", "~", String(ri(8)), "LIMIT", String(ri(6))],
    ]);
  return {
    config: [
      ["stream-node-max-entries", String(pick([2, 3, 5, 100]))],
      ["stream-node-max-bytes", String(pick([50, 100, 4096]))],
    ],
    next(): string[] {
      const k = pick(["s1", "s2"]);
      const r = ri(100);
      if (r < 30) {
        ms += ri(3);
        const fields = pick([["f", String(ri(100))], ["f", "x".repeat(ri(40)), "g", "1"], [
          "o",
          "v",
        ]]);
        return ["XADD", k, ...trims(), pick([`${ms}-${ri(5)}`, `${ms}-*`, `${ms}`]), ...fields];
      }
      if (r < 36) return ["XDEL", k, id(), id()];
      if (r < 40) {
        const n = String(ri(8));
        return [
          "XTRIM",
          k,
          ...pick([["MAXLEN", n], ["MAXLEN", "~", n], ["MINID", id()], ["MINID", "~", id()]]),
        ];
      }
      if (r < 45) {
        const opt = pick([[], ["ENTRIESREAD", String(ri(5))], ["MKSTREAM"]]);
        return ["XGROUP", "CREATE", k, group(), pick(["$", "0", id()]), ...opt];
      }
      if (r < 47) return ["XGROUP", "SETID", k, group(), pick(["$", "0", id()])];
      if (r < 60) {
        const opts = [...pick([[], ["COUNT", String(1 + ri(3))]]), ...pick([[], ["NOACK"]])];
        return [
          "XREADGROUP",
          "GROUP",
          group(),
          consumer(),
          ...opts,
          "STREAMS",
          k,
          pick([">", ">", "0", id()]),
        ];
      }
      if (r < 64) return ["XACK", k, group(), id(), id()];
      if (r < 68) {
        const opts = pick([["JUSTID"], ["JUSTID", "FORCE"], ["JUSTID", "RETRYCOUNT", "4"], [
          "JUSTID",
          "LASTID",
          id(),
        ]]);
        return ["XCLAIM", k, group(), consumer(), "0", id(), id(), ...opts];
      }
      if (r < 72) {
        return [
          "XAUTOCLAIM",
          k,
          group(),
          consumer(),
          "0",
          pick(["0", id()]),
          "COUNT",
          String(1 + ri(3)),
          "JUSTID",
        ];
      }
      if (r < 78) return ["XINFO", "GROUPS", k];
      if (r < 84) return ["XINFO", "STREAM", k];
      if (r < 86) return ["XINFO", "STREAM", k, "FULL"];
      if (r < 89) return ["XPENDING", k, group()];
      if (r < 93) {
        return ["XRANGE", k, pick(["-", id(), "(" + id()]), pick(["+", id(), "(" + id()])];
      }
      if (r < 95) {
        return ["XREVRANGE", k, pick(["+", id()]), pick(["-", id()]), "COUNT", String(ri(4))];
      }
      if (r < 97) {
        const opt = pick([[], ["ENTRIESADDED", String(ri(20))], ["MAXDELETEDID", id()]]);
        return ["XSETID", k, `${ms + ri(3)}-${ri(3)}`, ...opt];
      }
      return ["XREAD", "COUNT", "3", "STREAMS", k, id()];
    },
  };
}

Deno.test({
  name: "random stream command sequences reply byte-for-byte like redis-server (RESP2 and RESP3)",
  ignore: !redisServerAvailable(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const [ours, theirs] = await Promise.all([startReredis(), startRedis()]);
    const diffs: string[] = [];
    try {
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const gen = generator(seed);
        const sides = await Promise.all([ours, theirs].map((s) => RespClient.connect(s.port)));
        const both = async (args: string[]) => {
          for (const c of sides) await c.send(...args);
          return await Promise.all(sides.map(async (c) => mask(dec.decode((await c.readRaw())!))));
        };
        if (seed % 2 === 0) await both(["HELLO", "3"]);
        await both(["FLUSHALL"]);
        for (const [k, v] of gen.config) await both(["CONFIG", "SET", k, v]);
        for (let step = 0; step < 400 && diffs.length < 5; step++) {
          const args = gen.next();
          const [a, b] = await both(args);
          if (a !== b) {
            diffs.push(
              `seed ${seed}: ${args.join(" ")}\n  reredis ${JSON.stringify(a)}\n  redis   ${
                JSON.stringify(b)
              }`,
            );
          }
        }
        await both(["CONFIG", "SET", "stream-node-max-entries", "100"]);
        await both(["CONFIG", "SET", "stream-node-max-bytes", "4096"]);
        for (const c of sides) c.close();
      }
    } finally {
      await Promise.all([ours.stop(), theirs.stop()]);
    }
    assert.deepEqual(diffs, []);
  },
});

Deno.test({
  name: "stream commands raise the same keyspace events as redis-server, in order",
  ignore: !redisServerAvailable(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const script = [
      "XADD s 1-0 f v",
      "XADD s MAXLEN 1 2-0 f v",
      "XADD s NOMKSTREAM 3-0 f v",
      "XADD nomk NOMKSTREAM 1-0 f v",
      "XDEL s 3-0 9-0",
      "XTRIM s MAXLEN 0",
      "XTRIM s MAXLEN 0",
      "XGROUP CREATE s g $ MKSTREAM",
      "XGROUP CREATE fresh g $ MKSTREAM",
      "XADD s 5-0 f v",
      "XREADGROUP GROUP g alice STREAMS s >",
      "XREADGROUP GROUP g bob STREAMS s >",
      "XGROUP CREATECONSUMER s g carol",
      "XGROUP CREATECONSUMER s g carol",
      "XCLAIM s g dave 0 5-0",
      "XAUTOCLAIM s g erin 0 0",
      "XACK s g 5-0",
      "XGROUP SETID s g 0",
      "XGROUP DELCONSUMER s g alice",
      "XGROUP DESTROY s g",
      "XSETID s 9-0",
      "XREAD STREAMS nokey 0",
      "XRANGE nokey - +",
      "XLEN nokey",
      "DEL s",
    ];
    const run = async (port: number) => {
      const sub = await RespClient.connect(port);
      const c = await RespClient.connect(port);
      await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
      await sub.call("PSUBSCRIBE", "__key*@0__:*");
      for (const line of script) await c.call(...line.split(" "));
      await c.call("SET", "done", "1");
      const seen: string[] = [];
      for (;;) {
        const m = (await sub.read()) as string[];
        if (m[2].endsWith("done")) break;
        seen.push(`${m[2]} ${m[3]}`);
      }
      await c.call("CONFIG", "SET", "notify-keyspace-events", "");
      c.close();
      sub.close();
      return seen;
    };
    const [ours, theirs] = await Promise.all([startReredis(), startRedis()]);
    try {
      const [a, b] = [await run(ours.port), await run(theirs.port)];
      assert.ok(b.length > 20);
      assert.deepEqual(a, b);
    } finally {
      await Promise.all([ours.stop(), theirs.stop()]);
    }
  },
});
