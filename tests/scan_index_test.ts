// ScanIndex (src/store/scan_index.ts) and the keyspace Dict built on it: Redis's dictScan
// guarantee across growth, shrinking and incremental rehashing, Redis's cursor sequence, random
// picks, entry reuse, and Map-equivalent lookups.

import assert from "node:assert/strict";
import { ScanIndex } from "../src/store/scan_index.ts";
import { Dict } from "../src/store/dict.ts";

/** A deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

function fullScan(idx: ScanIndex): string[] {
  const out: string[] = [];
  let cursor = 0;
  do cursor = idx.scanInto(cursor, out); while (cursor !== 0);
  return out;
}

Deno.test("scan: every key exactly once when the table is stable", () => {
  const idx = new ScanIndex();
  for (let i = 0; i < 5000; i++) idx.add(`key:${i}`);
  idx.rehashFor(1000);
  const got = fullScan(idx);
  assert.equal(got.length, 5000);
  assert.equal(new Set(got).size, 5000);
});

Deno.test("scan: Redis's reverse-binary cursor sequence", () => {
  const idx = new ScanIndex();
  for (let i = 0; i < 3; i++) idx.add(`k${i}`); // 4 buckets, no resize
  const cursors = [0];
  let c = 0;
  do cursors.push(c = idx.scanInto(c, [])); while (c !== 0);
  assert.deepEqual(cursors, [0, 2, 1, 3, 0]);
  // High cursor bits beyond the table are ignored, as dictScan masks them.
  assert.equal(idx.scanInto(0xfffffffc, []), 2);
  assert.equal(new ScanIndex().scanInto(5, []), 0);
});

Deno.test("scan: keys present for the whole scan are returned while the table grows and shrinks", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const rand = rng(seed);
    const idx = new ScanIndex();
    const live = new Set<string>();
    const liveList: string[] = []; // the same keys, for O(1) random victims
    let next = 0;
    const add = () => {
      const k = `m:${next++}`;
      idx.add(k);
      live.add(k);
      liveList.push(k);
    };
    const start = 50 + Math.floor(rand() * 3000);
    for (let i = 0; i < start; i++) add();
    if (seed % 2 === 0) idx.rehashFor(1000);
    const stable = new Set(live); // keys never removed during the scan
    const seen = new Set<string>();
    let cursor = 0;
    let steps = 0;
    do {
      const out: string[] = [];
      cursor = idx.scanInto(cursor, out);
      for (const k of out) {
        assert.ok(live.has(k), `seed ${seed}: returned a removed key ${k}`);
        seen.add(k);
      }
      // Mutate between calls: grow fast early, shrink hard later (seed decides the mix).
      const phase = steps++ % 40 < 20 ? "grow" : "shrink";
      const ops = Math.floor(rand() * 200);
      for (let i = 0; i < ops; i++) {
        if (phase === "grow" || live.size === 0) add();
        else {
          const j = Math.floor(rand() * liveList.length);
          const victim = liveList[j];
          liveList[j] = liveList[liveList.length - 1];
          liveList.pop();
          idx.remove(victim);
          live.delete(victim);
          stable.delete(victim);
        }
      }
    } while (cursor !== 0);
    for (const k of stable) assert.ok(seen.has(k), `seed ${seed}: missed ${k}`);
    assert.equal(idx.size, live.size);
    assert.deepEqual(new Set(fullScan(idx)), live);
  }
});

Deno.test("scan: a big shrink during a scan (from 20000 to 10 keys)", () => {
  const idx = new ScanIndex();
  for (let i = 0; i < 20000; i++) idx.add(`s${i}`);
  const keep = new Set(["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10"]);
  const seen = new Set<string>();
  let cursor = 0;
  let removed = false;
  do {
    const out: string[] = [];
    cursor = idx.scanInto(cursor, out);
    for (const k of out) seen.add(k);
    if (!removed) {
      for (let i = 0; i < 20000; i++) if (!keep.has(`s${i}`)) idx.remove(`s${i}`);
      removed = true;
    }
  } while (cursor !== 0);
  for (const k of keep) assert.ok(seen.has(k));
  assert.equal(idx.size, 10);
  assert.deepEqual(new Set(fullScan(idx)), keep);
});

Deno.test("remove, re-add, clear and random stay consistent", () => {
  const rand = rng(42);
  const idx = new ScanIndex();
  const live = new Set<string>();
  for (let round = 0; round < 20000; round++) {
    const k = `r${Math.floor(rand() * 3000)}`;
    if (live.has(k)) {
      assert.equal(idx.remove(k), true);
      live.delete(k);
    } else {
      idx.add(k);
      live.add(k);
    }
    assert.equal(idx.remove(`absent${round}`), false);
    if (round % 1000 === 0 && live.size > 0) {
      for (let i = 0; i < 20; i++) assert.ok(live.has(idx.random()!));
    }
  }
  assert.equal(idx.size, live.size);
  assert.deepEqual(new Set(fullScan(idx)), live);
  // Emptying shrinks and compacts; the index still works afterwards.
  for (const k of live) idx.remove(k);
  assert.equal(idx.size, 0);
  assert.equal(idx.random(), undefined);
  assert.deepEqual(fullScan(idx), []);
  idx.add("again");
  assert.equal(idx.random(), "again");
  idx.clear();
  assert.equal(idx.size, 0);
  assert.deepEqual(fullScan(idx), []);
});

Deno.test("scan(cursor, emit) lets the callback change the index", () => {
  const idx = new ScanIndex();
  for (let i = 0; i < 100; i++) idx.add(`e${i}`);
  const seen: string[] = [];
  let cursor = 0;
  do {
    cursor = idx.scan(cursor, (k) => {
      seen.push(k);
      idx.remove(k); // e.g. a key found expired while visiting it
    });
  } while (cursor !== 0);
  assert.equal(new Set(seen).size, 100);
  assert.equal(idx.size, 0);
});

Deno.test("Dict (the keyspace) agrees with a Map through growth, shrinking and reuse", () => {
  const rand = rng(7);
  const d = new Dict<number>();
  const m = new Map<string, number>();
  for (let round = 0; round < 60000; round++) {
    // Grow to ~8000 keys, then shrink, then grow again: resizes both ways, entries reused.
    const span = round < 20000 ? 8000 : round < 40000 ? 500 : 8000;
    const k = round % 997 === 0 ? "" : `k${Math.floor(rand() * span)}`;
    const op = rand();
    if (op < 0.5) {
      assert.equal(d.set(k, round), !m.has(k));
      m.set(k, round);
    } else if (op < 0.8) {
      assert.equal(d.delete(k), m.delete(k));
    } else {
      assert.equal(d.get(k), m.get(k));
      assert.equal(d.has(k), m.has(k));
    }
    if (round % 5000 === 0) d.rehashFor(1);
  }
  assert.equal(d.size, m.size);
  assert.deepEqual(new Set(d.keys()), new Set(m.keys()));
  for (const [k, v] of m) assert.equal(d.get(k), v);
  d.clear();
  assert.equal(d.size, 0);
  assert.equal(d.get("k1"), undefined);
  assert.deepEqual([...d.keys()], []);
});

Deno.test("ScanIndex.addIfAbsent adds once and keeps every key findable across growth", () => {
  const idx = new ScanIndex();
  for (let i = 0; i < 5000; i++) assert.equal(idx.addIfAbsent(`k${i}`), true);
  for (let i = 0; i < 5000; i += 7) assert.equal(idx.addIfAbsent(`k${i}`), false);
  assert.equal(idx.size, 5000);
  for (let i = 0; i < 5000; i++) assert.ok(idx.has(`k${i}`));
  assert.equal(idx.has("k5000"), false);
});
