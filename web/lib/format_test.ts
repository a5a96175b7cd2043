// Unit tests for the UI's pure helpers (run by tests/ui_test.ts: deno test --config web/deno.json).
/// <reference lib="deno.ns" />

import assert from "node:assert/strict";
import { escapeBytes, fmtBytes, fmtTtl, globToRegExp, rawOutput, renderReply } from "./format.ts";
import { splitLine } from "./split_line.ts";

Deno.test("replies render like redis-cli", () => {
  assert.equal(renderReply(3), "(integer) 3");
  assert.equal(renderReply(null), "(nil)");
  assert.equal(renderReply("OK", "set"), "OK");
  assert.equal(renderReply("OK", "get"), '"OK"');
  assert.equal(renderReply("a\nb", "get"), '"a\\nb"');
  assert.equal(renderReply({ error: "ERR wrong" }), "(error) ERR wrong");
  assert.equal(renderReply([]), "(empty array)");
  assert.equal(renderReply(["a", ["b", "c"], 5]), '1) "a"\n2) 1) "b"\n   2) "c"\n3) (integer) 5');
  assert.equal(renderReply({ base64: btoa("\x00\xff") }), '"\\x00\\xff"');
  assert.equal(renderReply({ k: "v" }), '1# "k" => "v"');
  assert.equal(renderReply(1.5), "(double) 1.5");
});

Deno.test("redis-cli prints INFO and CLIENT LIST raw", () => {
  assert.ok(rawOutput(["INFO"]));
  assert.ok(rawOutput(["client", "list"]));
  assert.ok(!rawOutput(["GET", "x"]));
});

Deno.test("command lines split like redis-cli", () => {
  assert.deepEqual(splitLine('set "a b" c'), ["set", "a b", "c"]);
  assert.deepEqual(splitLine("set 'it''s'"), null);
  assert.deepEqual(splitLine("set k 'x\\'y'"), ["set", "k", "x'y"]);
  assert.deepEqual(splitLine('set k "\\x41\\n"'), ["set", "k", "A\n"]);
  assert.deepEqual(splitLine('get "unterminated'), null);
  assert.deepEqual(splitLine("  "), []);
});

Deno.test("globs match like Redis patterns", () => {
  assert.ok(globToRegExp("user:*").test("user:1"));
  assert.ok(!globToRegExp("user:*").test("users"));
  assert.ok(globToRegExp("h?llo").test("hallo"));
  assert.ok(globToRegExp("h[ae]llo").test("hello"));
  assert.ok(!globToRegExp("h[^e]llo").test("hello"));
  assert.ok(globToRegExp("a\\*b").test("a*b"));
  assert.ok(globToRegExp("x.y").test("x.y") && !globToRegExp("x.y").test("xzy"));
});

Deno.test("sizes, TTLs and escapes read well", () => {
  assert.equal(fmtBytes(512), "512 B");
  assert.equal(fmtBytes(1536), "1.5 KB");
  assert.equal(fmtTtl(-1), "∞");
  assert.equal(fmtTtl(90_000), "1m 30s");
  assert.equal(fmtTtl(2 * 86400_000 + 3600_000), "2d 1h");
  assert.equal(escapeBytes(new Uint8Array([0x61, 0x22, 0x0a, 0xff])), 'a\\"\\n\\xff');
});
