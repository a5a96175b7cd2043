// Unit tests for the stringmatchlen port: every pattern feature, binary keys, and the guards that
// keep pathological patterns fast.

import assert, { equal as assertEquals } from "node:assert/strict";
import { globMatch, globMatchNocase } from "../src/util/glob.ts";

const yes = (p: string, s: string) => assert(globMatch(p, s), `${p} should match ${s}`);
const no = (p: string, s: string) => assert(!globMatch(p, s), `${p} should not match ${s}`);

Deno.test("literal patterns match only the same string", () => {
  yes("foo", "foo");
  no("foo", "fo");
  no("foo", "fooo");
  yes("", "");
  no("", "a");
  no("a", "");
});

Deno.test("star matches any run of characters, but like Redis never the empty string", () => {
  no("*", "");
  no("**", "");
  yes("*", "anything");
  yes("f*", "f");
  yes("f*o", "fooo");
  yes("*o*", "foo");
  no("f*x", "foo");
  yes("a**b", "ab");
  yes("a*b*c", "aXXbYYc");
  no("a*b*c", "aXXbYY");
});

Deno.test("question mark matches exactly one character", () => {
  yes("h?llo", "hello");
  no("h?llo", "hllo");
  no("?", "");
  yes("??", "ab");
});

Deno.test("bracket classes: sets, negation, ranges and reversed ranges", () => {
  yes("h[ae]llo", "hallo");
  no("h[ae]llo", "hillo");
  yes("h[^e]llo", "hallo");
  no("h[^e]llo", "hello");
  yes("h[a-b]llo", "hbllo");
  no("h[a-b]llo", "hcllo");
  yes("h[b-a]llo", "hallo"); // Redis swaps reversed ranges
  yes("[\\]]", "]");
  yes("[a\\-z]", "-");
  no("[a\\-z]", "b");
});

Deno.test("an unterminated class behaves as in Redis", () => {
  yes("[abc", "a");
  no("[abc", "d");
  yes("[^", "x");
  no("[", "x");
  no("a[", "a");
});

Deno.test("backslash escapes the next character", () => {
  yes("\\*", "*");
  no("\\*", "a");
  yes("a\\?", "a?");
  no("a\\?", "ab");
  yes("a\\", "a\\"); // a trailing backslash is literal
});

Deno.test("matching is binary safe and compares bytes as signed chars like C", () => {
  yes("\x00*", "\x00abc");
  yes("*\xff", "ab\xff");
  yes("[\x80-\xff]", "\x90");
  // 'a'..'\xff' is reversed in signed-char order (-1 < 97), so it spans \xff..a.
  yes("[a-\xff]", "0");
  no("[a-\xff]", "b");
});

Deno.test("nocase variant folds ASCII letters only", () => {
  assert(globMatchNocase("MaxMemory*", "maxmemory-policy"));
  assert(globMatchNocase("[A-Z]", "q"));
  assert(!globMatch("[A-Z]", "q"));
  assert(!globMatchNocase("\xc9", "\xe9"));
});

Deno.test("pathological star patterns finish quickly", () => {
  const start = performance.now();
  const s = "a".repeat(5000);
  assertEquals(globMatch("a*".repeat(100) + "b", s), false);
  assertEquals(globMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(100000)), false);
  assert(performance.now() - start < 2000);
});

Deno.test("patterns nested deeper than 1000 stars fail instead of recursing forever", () => {
  const p = "*a".repeat(1100);
  assertEquals(globMatch(p, "a".repeat(1100)), false);
  assertEquals(globMatch("*a".repeat(900), "a".repeat(900)), true);
});
