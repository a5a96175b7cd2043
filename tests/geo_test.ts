// GEO: the geohash port (scores, decoding, geohash strings, printf-exact text), Redis's pqsort, and
// searches over the wire checked against a brute-force scan of every point (ioredis, node-redis).

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import {
  decodeScore,
  distance,
  distanceIfInShape,
  formatFixed,
  formatHuman,
  geohashString,
  type GeoShape,
  scoreOf,
} from "../src/util/geohash.ts";
import { pqsort } from "../src/util/pqsort.ts";
import { startReredis } from "./helpers/server.ts";

async function connect(port: number): Promise<Redis> {
  const r = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
  await r.connect();
  return r;
}

function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

Deno.test("a point's score is Redis's 52-bit interleaved geohash", () => {
  assert.deepEqual(scoreOf(13.361389, 38.115556), ["3479099956230698", 3479099956230698]);
  assert.deepEqual(scoreOf(-180, -85.05112878), ["0", 0]);
  // Both coordinates at their maximum set bits 52 and 53: rounded to a double like strtod.
  assert.equal(scoreOf(180, 85.05112878)[0], "13510798882111488");
});

Deno.test("decoding returns the cell centre, clamped, with C's uint64 conversion of odd scores", () => {
  const [lon, lat] = decodeScore(3479099956230698);
  assert.equal(formatHuman(lon), "13.36138933897018433");
  assert.equal(formatHuman(lat), "38.11555639549629859");
  assert.deepEqual(decodeScore(9007199254740991).map(formatHuman), [
    "179.99999731779098511",
    "85.0511287799999991",
  ]);
  assert.deepEqual(decodeScore(-1).map(formatHuman), ["180", "85.0511287799999991"]);
  assert.deepEqual(decodeScore(1e300), decodeScore(0), "past 2^64 the conversion yields 0");
});

Deno.test("GEOHASH strings re-encode with the standard -90..90 latitude range", () => {
  assert.equal(geohashString(3479099956230698), "sqc8b49rny0");
  assert.equal(geohashString(scoreOf(15.087269, 37.502669)[1]), "sqdtr74hyu0");
});

Deno.test("formatFixed is printf's %.Nf: exact digits, ties to even, signed zero, huge values", () => {
  assert.equal(formatFixed(0.03125, 4), "0.0312");
  assert.equal(formatFixed(0.09375, 4), "0.0938");
  assert.equal(formatFixed(-0, 6), "-0.000000");
  assert.equal(formatFixed(166274.15156960033, 4), "166274.1516");
  assert.equal(formatFixed(1e22, 1), "10000000000000000000000.0");
  assert.equal(formatFixed(Infinity, 6), "inf");
  assert.equal(formatHuman(-0), "0");
  assert.equal(formatHuman(2.5), "2.5");
});

Deno.test("haversine distance matches Redis's GEODIST for Palermo-Catania", () => {
  const [a, b] = [decodeScore(3479099956230698), decodeScore(scoreOf(15.087269, 37.502669)[1])];
  assert.equal(formatFixed(distance(a[0], a[1], b[0], b[1]), 4), "166274.1516");
});

Deno.test("pqsort puts exactly the sorted prefix in the requested places", () => {
  const rnd = lcg(3);
  for (let t = 0; t < 200; t++) {
    const n = 1 + Math.floor(rnd() * 150);
    const k = 1 + Math.floor(rnd() * n);
    const arr = Array.from({ length: n }, () => Math.floor(rnd() * 40));
    const full = [...arr].sort((a, b) => a - b);
    pqsort(arr, (a, b) => a - b, 0, k - 1);
    assert.deepEqual(arr.slice(0, k), full.slice(0, k));
  }
});

Deno.test("radius and box searches find exactly the points a brute-force scan finds", async () => {
  const srv = await startReredis();
  const r = await connect(srv.port);
  try {
    const rnd = lcg(11);
    const args: (string | number)[] = [];
    for (let i = 0; i < 3000; i++) {
      args.push((rnd() * 20 - 10).toFixed(6), (rnd() * 20 + 40).toFixed(6), `p${i}`);
    }
    await r.geoadd("pts", ...args);
    const scores = (await r.zrange("pts", 0, -1, "WITHSCORES")) as string[];
    const points: [string, number, number][] = [];
    for (let i = 0; i < scores.length; i += 2) {
      const [lon, lat] = decodeScore(Number(scores[i + 1]));
      points.push([scores[i], lon, lat]);
    }
    for (let q = 0; q < 40; q++) {
      const lon = rnd() * 20 - 10, lat = rnd() * 20 + 40;
      const shape: GeoShape = q % 2 === 0
        ? {
          type: "circle",
          xy: [lon, lat],
          conversion: 1000,
          radius: rnd() * 500,
          width: 0,
          height: 0,
        }
        : {
          type: "box",
          xy: [lon, lat],
          conversion: 1000,
          radius: 0,
          width: rnd() * 800,
          height: rnd() * 800,
        };
      const want = points.filter((p) => distanceIfInShape(shape, p[1], p[2]) !== undefined)
        .map((p) => p[0]).sort();
      const by = shape.type === "circle"
        ? ["BYRADIUS", shape.radius, "km"]
        : ["BYBOX", shape.width, shape.height, "km"];
      const got = (await r.call("GEOSEARCH", "pts", "FROMLONLAT", lon, lat, ...by)) as string[];
      assert.deepEqual([...got].sort(), want, `query ${q}`);
    }
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

Deno.test("COUNT sorts by distance; ANY stops at COUNT results without sorting", async () => {
  const srv = await startReredis();
  const r = await connect(srv.port);
  try {
    await r.geoadd("g", 0, 0, "o", 0.01, 0, "a", 0.02, 0, "b", 0.03, 0, "c", 0.04, 0, "d");
    assert.deepEqual(await r.georadius("g", 0.035, 0, 100, "km", "COUNT", 2), ["c", "d"]);
    assert.deepEqual(await r.georadius("g", 0.035, 0, 100, "km", "COUNT", 2, "DESC"), ["o", "a"]);
    const any = (await r.call(
      "GEOSEARCH",
      "g",
      "FROMLONLAT",
      0,
      0,
      "BYRADIUS",
      100,
      "km",
      "COUNT",
      3,
      "ANY",
    )) as string[];
    assert.equal(any.length, 3);
    assert.equal(await r.georadius("g", 0, 0, 2500, "m", "STOREDIST", "near"), 3);
    // STOREDIST keeps the raw double (values checked against redis-server 7.0.15).
    assert.deepEqual(await r.zrange("near", 0, -1, "WITHSCORES"), [
      "o",
      "0.3299589265287915",
      "a",
      "1112.4807251295435",
      "b",
      "2224.6631046788543",
    ]);
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

Deno.test("node-redis reads GEOPOS, GEODIST and GEOSEARCH results", async () => {
  const srv = await startReredis();
  const c = createClient({ socket: { port: srv.port, host: "127.0.0.1" } });
  try {
    await c.connect();
    await c.geoAdd("Sicily", [
      { longitude: 13.361389, latitude: 38.115556, member: "Palermo" },
      { longitude: 15.087269, latitude: 37.502669, member: "Catania" },
    ]);
    assert.deepEqual(await c.geoPos("Sicily", ["Palermo", "nosuch"]), [
      { longitude: "13.36138933897018433", latitude: "38.11555639549629859" },
      null,
    ]);
    assert.equal(await c.geoDist("Sicily", "Palermo", "Catania", "km"), 166.2742);
    assert.deepEqual(
      await c.geoSearch("Sicily", { longitude: 15, latitude: 37 }, { radius: 100, unit: "km" }),
      ["Catania"],
    );
    assert.deepEqual(await c.geoHash("Sicily", "Palermo"), ["sqc8b49rny0"]);
  } finally {
    await c.quit();
    await srv.stop();
  }
});
