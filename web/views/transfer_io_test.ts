// Unit tests for export/import encoding (run by tests/ui_test.ts with web/deno.json).
/// <reference lib="deno.ns" />

import assert from "node:assert/strict";
import { commandsFor, encodeResp, parseResp } from "./transfer_io.ts";
import { parseClusterNodes } from "./cluster_nodes.ts";

Deno.test("an exported key becomes DEL + create + PEXPIRE commands", () => {
  assert.deepEqual(commandsFor({ key: "s", type: "string", ttlMs: 5000, value: "v" }), [
    ["DEL", "s"],
    ["SET", "s", "v"],
    ["PEXPIRE", "s", "5000"],
  ]);
  assert.deepEqual(
    commandsFor({ key: "z", type: "zset", ttlMs: null, value: [["a", "1"], ["b", 2]] }),
    [["DEL", "z"], ["ZADD", "z", "1", "a", "2", "b"]],
  );
  assert.deepEqual(
    commandsFor({ key: "h", type: "hash", ttlMs: null, value: [["f", { base64: "AP8=" }]] }),
    [["DEL", "h"], ["HSET", "h", "f", { base64: "AP8=" }]],
  );
  const big = commandsFor({
    key: "l",
    type: "list",
    ttlMs: null,
    value: Array.from({ length: 1200 }, (_, i) => String(i)),
  });
  assert.deepEqual(big.map((c) => [c[0], c.length]), [["DEL", 2], ["RPUSH", 502], ["RPUSH", 502], [
    "RPUSH",
    202,
  ]]);
});

Deno.test("RESP command files round-trip, binary arguments included", async () => {
  const cmds = [["SET", "k", { base64: "AP8=" }], ["HSET", "h", "f", "é"]];
  const bytes = new Uint8Array(await encodeResp(cmds).arrayBuffer());
  assert.equal(
    new TextDecoder().decode(bytes.subarray(0, 24)),
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n",
  );
  assert.deepEqual(parseResp(bytes), cmds);
  assert.deepEqual(parseResp(new TextEncoder().encode("PING\r\nSET a b\r\n")), [
    ["PING"],
    ["SET", "a", "b"],
  ]);
});

Deno.test("CLUSTER NODES lines parse into nodes, ranges and open slots", () => {
  const nodes = parseClusterNodes(
    "07c3 127.0.0.1:30004@31004 slave e7d1 0 1426238317239 4 connected\n" +
      "67ed 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922 [5461->-292f]\n" +
      "292f 127.0.0.1:30003@31003 myself,master - 0 0 3 connected 10923-16383 7 [5461-<-67ed]\n",
  );
  assert.equal(nodes.length, 3);
  assert.equal(nodes[0].role, "replica");
  assert.deepEqual(nodes[1].ranges, [[5461, 10922]]);
  assert.deepEqual(nodes[1].migrating, [5461]);
  assert.deepEqual(nodes[2].ranges, [[10923, 16383], [7, 7]]);
  assert.deepEqual(nodes[2].importing, [5461]);
  assert.equal(nodes[2].address, "127.0.0.1:30003");
});
