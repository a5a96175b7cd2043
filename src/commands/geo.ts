// GEO commands (Redis's geo.c): points stored in sorted sets under 52-bit geohash scores.
// GEOADD GEOPOS GEODIST GEOHASH GEORADIUS[_RO] GEORADIUSBYMEMBER[_RO] GEOSEARCH GEOSEARCHSTORE.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { ZSet } from "../store/zset.ts";
import { eqi, toKey, utf8 } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import {
  decodeScore,
  distance,
  distanceIfInShape,
  formatFixed,
  formatHuman,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  geohashString,
  type GeoShape,
  isZero,
  scoreOf,
  scoreRangeOf,
  searchAreas,
} from "../util/geohash.ts";
import { pqsort } from "../util/pqsort.ts";
import { doubleArg, lookupZset, NOT_INT, storeResult, SYNTAX, zsetLimits } from "./zsets_common.ts";
import { zaddGeneric } from "./zsets.ts";

/** Parses "lon lat" (extractLongLatOrReply), replying Redis's error when invalid. */
function lonLatArg(ctx: Ctx, args: Uint8Array[], i: number): [number, number] | undefined {
  const lon = doubleArg(ctx, args[i]);
  if (lon === undefined) return undefined;
  const lat = doubleArg(ctx, args[i + 1]);
  if (lat === undefined) return undefined;
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    ctx.reply.error(
      `ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`,
    );
    return undefined;
  }
  return [lon, lat];
}

/** Meters per unit (extractUnitOrReply); undefined after replying the error. */
function unitArg(ctx: Ctx, b: Uint8Array): number | undefined {
  if (eqi(b, "m")) return 1;
  if (eqi(b, "km")) return 1000;
  if (eqi(b, "ft")) return 0.3048;
  if (eqi(b, "mi")) return 1609.34;
  ctx.reply.error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return undefined;
}

/** A coordinate (addReplyHumanLongDouble): a bulk string in RESP2, a RESP3 double otherwise. */
function replyCoord(ctx: Ctx, d: number): void {
  const r = ctx.reply;
  if (r.proto === 2) r.bulkBinary(formatHuman(d));
  else if (r.enabled) r.simpleRaw("," + formatHuman(d));
}

/** The distance reply: "%.4f" as a bulk string, even in RESP3. */
function replyDistance(ctx: Ctx, d: number): void {
  ctx.reply.bulkBinary(formatFixed(d, 4));
}

function geoadd(ctx: Ctx, args: Uint8Array[]): void {
  let xx = false, nx = false, longIdx = 2;
  for (; longIdx < args.length; longIdx++) {
    const o = args[longIdx];
    if (eqi(o, "nx")) nx = true;
    else if (eqi(o, "xx")) xx = true;
    else if (!eqi(o, "ch")) break;
  }
  if ((args.length - longIdx) % 3 !== 0 || (xx && nx)) return ctx.reply.error(SYNTAX);
  // GEOADD is ZADD with scores computed from the coordinates, and propagates as that ZADD.
  const argv: Uint8Array[] = [utf8("zadd"), ...args.slice(1, longIdx)];
  for (let i = longIdx; i < args.length; i += 3) {
    const xy = lonLatArg(ctx, args, i);
    if (!xy) return;
    argv.push(utf8(scoreOf(xy[0], xy[1])[0]), args[i + 2]);
  }
  if (zaddGeneric(ctx, argv, 0)) ctx.propagate(argv);
}

function geopos(ctx: Ctx, args: Uint8Array[]): void {
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z === null) return;
  ctx.reply.array(args.length - 2);
  for (let j = 2; j < args.length; j++) {
    const score = z?.score(toKey(args[j]));
    if (score === undefined) {
      ctx.reply.nilArray();
      continue;
    }
    const [lon, lat] = decodeScore(score);
    ctx.reply.array(2);
    replyCoord(ctx, lon);
    replyCoord(ctx, lat);
  }
}

function geodist(ctx: Ctx, args: Uint8Array[]): void {
  let toMeter = 1;
  if (args.length === 5) {
    const u = unitArg(ctx, args[4]);
    if (u === undefined) return;
    toMeter = u;
  } else if (args.length > 5) return ctx.reply.error(SYNTAX);
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z === null) return;
  const s1 = z?.score(toKey(args[2]));
  const s2 = z?.score(toKey(args[3]));
  if (s1 === undefined || s2 === undefined) return ctx.reply.nil();
  const [lon1, lat1] = decodeScore(s1);
  const [lon2, lat2] = decodeScore(s2);
  replyDistance(ctx, distance(lon1, lat1, lon2, lat2) / toMeter);
}

function geohash(ctx: Ctx, args: Uint8Array[]): void {
  const z = lookupZset(ctx, toKey(args[1]), true);
  if (z === null) return;
  ctx.reply.array(args.length - 2);
  for (let j = 2; j < args.length; j++) {
    const score = z?.score(toKey(args[j]));
    if (score === undefined) ctx.reply.nil();
    else ctx.reply.bulkBinary(geohashString(score));
  }
}

const RADIUS_COORDS = 1, RADIUS_MEMBER = 2, RADIUS_NOSTORE = 4, GEOSEARCH = 8, GEOSEARCHSTORE = 16;

interface GeoPoint {
  lon: number;
  lat: number;
  dist: number;
  score: number;
  member: string;
}

/** "n unit" (extractDistanceOrReply) into the shape as a circle. */
function radiusArgs(ctx: Ctx, args: Uint8Array[], i: number, shape: GeoShape): boolean {
  const r = doubleArg(ctx, args[i], "ERR need numeric radius");
  if (r === undefined) return false;
  if (r < 0) {
    ctx.reply.error("ERR radius cannot be negative");
    return false;
  }
  const u = unitArg(ctx, args[i + 1]);
  if (u === undefined) return false;
  shape.type = "circle";
  shape.radius = r;
  shape.conversion = u;
  return true;
}

/** "width height unit" (extractBoxOrReply) into the shape as a box. */
function boxArgs(ctx: Ctx, args: Uint8Array[], i: number, shape: GeoShape): boolean {
  const w = doubleArg(ctx, args[i], "ERR need numeric width");
  if (w === undefined) return false;
  const h = doubleArg(ctx, args[i + 1], "ERR need numeric height");
  if (h === undefined) return false;
  if (h < 0 || w < 0) {
    ctx.reply.error("ERR height or width cannot be negative");
    return false;
  }
  const u = unitArg(ctx, args[i + 2]);
  if (u === undefined) return false;
  shape.type = "box";
  shape.width = w;
  shape.height = h;
  shape.conversion = u;
  return true;
}

/** Every point of the set inside the shape, in Redis's order: box by box, by score within a box. */
function pointsInShape(z: ZSet, shape: GeoShape, limit: number): GeoPoint[] {
  const out: GeoPoint[] = [];
  const boxes = searchAreas(shape);
  let last = 0;
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i];
    if (isZero(b)) continue;
    // Huge radii can make adjacent boxes equal; skip a repeat of the last box searched (not box 0).
    if (last && b.bits === boxes[last].bits && b.step === boxes[last].step) continue;
    if (limit && out.length >= limit) break;
    const [min, max] = scoreRangeOf(b);
    z.rangeByScore({ min, max, minex: false, maxex: true }, 0, -1, false, (member, score) => {
      const [lon, lat] = decodeScore(score);
      const dist = distanceIfInShape(shape, lon, lat);
      if (dist !== undefined) out.push({ lon, lat, dist, score, member });
      return !(out.length && limit && out.length >= limit);
    });
    last = i;
  }
  return out;
}

const byDistAsc = (a: GeoPoint, b: GeoPoint) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const byDistDesc = (a: GeoPoint, b: GeoPoint) => -byDistAsc(a, b);

/** georadiusGeneric: GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH(STORE). */
function georadiusGeneric(ctx: Ctx, args: Uint8Array[], srcIdx: number, flags: number): void {
  let storeKey: string | undefined;
  let storeDist = false;
  const z = lookupZset(ctx, toKey(args[srcIdx]), true);
  if (z === null) return;
  const shape: GeoShape = {
    type: "circle",
    xy: [0, 0],
    conversion: 1,
    radius: 0,
    width: 0,
    height: 0,
  };
  let base: number;
  if (flags & RADIUS_COORDS) {
    base = 6;
    const xy = lonLatArg(ctx, args, 2);
    if (!xy) return;
    shape.xy = xy;
    if (!radiusArgs(ctx, args, base - 2, shape)) return;
  } else if ((flags & RADIUS_MEMBER) && z === undefined) {
    base = 5; // no source key: options are still parsed to know which reply to give
  } else if (flags & RADIUS_MEMBER) {
    base = 5;
    const s = z!.score(toKey(args[2]));
    if (s === undefined) return ctx.reply.error("ERR could not decode requested zset member");
    shape.xy = decodeScore(s);
    if (!radiusArgs(ctx, args, base - 2, shape)) return;
  } else {
    base = 2;
    if (flags & GEOSEARCHSTORE) {
      base = 3;
      storeKey = toKey(args[1]);
    }
  }
  let withDist = false, withHash = false, withCoords = false;
  let fromMember = false, fromLoc = false, byRadius = false, byBox = false;
  let sort: "none" | "asc" | "desc" = "none";
  let any = false;
  let count = 0;
  const remaining = args.length - base;
  for (let i = 0; i < remaining; i++) {
    const a = args[base + i];
    const search = (flags & GEOSEARCH) !== 0;
    const storeOk = !(flags & RADIUS_NOSTORE) && !search;
    if (eqi(a, "withdist")) withDist = true;
    else if (eqi(a, "withhash")) withHash = true;
    else if (eqi(a, "withcoord")) withCoords = true;
    else if (eqi(a, "any")) any = true;
    else if (eqi(a, "asc")) sort = "asc";
    else if (eqi(a, "desc")) sort = "desc";
    else if (eqi(a, "count") && i + 1 < remaining) {
      const n = parseInt64(args[base + i + 1]);
      if (n === undefined) return ctx.reply.error(NOT_INT);
      if (n <= 0) return ctx.reply.error("ERR COUNT must be > 0");
      count = Number(n);
      i++;
    } else if ((eqi(a, "store") || eqi(a, "storedist")) && i + 1 < remaining && storeOk) {
      storeKey = toKey(args[base + i + 1]);
      storeDist = eqi(a, "storedist");
      i++;
    } else if (eqi(a, "storedist") && search && (flags & GEOSEARCHSTORE)) storeDist = true;
    else if (eqi(a, "frommember") && i + 1 < remaining && search && !fromLoc) {
      if (z !== undefined) {
        const s = z.score(toKey(args[base + i + 1]));
        if (s === undefined) return ctx.reply.error("ERR could not decode requested zset member");
        shape.xy = decodeScore(s);
      }
      fromMember = true;
      i++;
    } else if (eqi(a, "fromlonlat") && i + 2 < remaining && search && !fromMember) {
      const xy = lonLatArg(ctx, args, base + i + 1);
      if (!xy) return;
      shape.xy = xy;
      fromLoc = true;
      i += 2;
    } else if (eqi(a, "byradius") && i + 2 < remaining && search && !byBox) {
      if (!radiusArgs(ctx, args, base + i + 1, shape)) return;
      byRadius = true;
      i += 2;
    } else if (eqi(a, "bybox") && i + 3 < remaining && search && !byRadius) {
      if (!boxArgs(ctx, args, base + i + 1, shape)) return;
      byBox = true;
      i += 3;
    } else return ctx.reply.error(SYNTAX);
  }
  if (storeKey !== undefined && (withDist || withHash || withCoords)) {
    const what = flags & GEOSEARCHSTORE ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    return ctx.reply.error(
      `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
    );
  }
  const cmdName = toKey(args[0]);
  if ((flags & GEOSEARCH) && !(fromMember || fromLoc)) {
    return ctx.reply.error(
      `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cmdName}`,
    );
  }
  if ((flags & GEOSEARCH) && !(byRadius || byBox)) {
    return ctx.reply.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${cmdName}`);
  }
  if (any && !count) return ctx.reply.error("ERR the ANY argument requires COUNT argument");
  if (z === undefined) {
    if (storeKey === undefined) return ctx.reply.array(0);
    if (ctx.db.delete(storeKey)) ctx.changed(storeKey, "del", "g");
    return ctx.reply.int(0);
  }
  if (count !== 0 && sort === "none" && !any) sort = "asc";

  const points = pointsInShape(z, shape, any ? count : 0);
  if (points.length === 0 && storeKey === undefined) return ctx.reply.array(0);
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== "none") {
    const cmp = sort === "asc" ? byDistAsc : byDistDesc;
    // glibc's qsort is a stable merge sort; a partial result uses Redis's own pqsort.
    if (returned === points.length) points.sort(cmp);
    else pqsort(points, cmp, 0, returned - 1);
  }
  if (storeKey === undefined) {
    const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoords ? 1 : 0);
    const r = ctx.reply;
    r.array(returned);
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (options) r.array(options + 1);
      r.bulkBinary(p.member);
      if (withDist) replyDistance(ctx, p.dist / shape.conversion);
      if (withHash) r.int(Math.trunc(p.score));
      if (withCoords) {
        r.array(2);
        replyCoord(ctx, p.lon);
        replyCoord(ctx, p.lat);
      }
    }
    return;
  }
  const limits = zsetLimits(ctx);
  const dst = ZSet.skiplist();
  for (let i = 0; i < returned; i++) {
    const p = points[i];
    dst.add(p.member, storeDist ? p.dist / shape.conversion : p.score, 0, limits);
  }
  dst.shrinkIfSmall(limits);
  ctx.reply.int(returned);
  storeResult(ctx, storeKey, dst, flags & GEOSEARCH ? "geosearchstore" : "georadiusstore");
}

export const geoCommands: CommandDef[] = [
  { name: "geoadd", run: geoadd },
  { name: "geopos", run: geopos },
  { name: "geodist", run: geodist },
  { name: "geohash", run: geohash },
  { name: "georadius", run: (ctx, a) => georadiusGeneric(ctx, a, 1, RADIUS_COORDS) },
  {
    name: "georadius_ro",
    run: (ctx, a) => georadiusGeneric(ctx, a, 1, RADIUS_COORDS | RADIUS_NOSTORE),
  },
  { name: "georadiusbymember", run: (ctx, a) => georadiusGeneric(ctx, a, 1, RADIUS_MEMBER) },
  {
    name: "georadiusbymember_ro",
    run: (ctx, a) => georadiusGeneric(ctx, a, 1, RADIUS_MEMBER | RADIUS_NOSTORE),
  },
  { name: "geosearch", run: (ctx, a) => georadiusGeneric(ctx, a, 1, GEOSEARCH) },
  {
    name: "geosearchstore",
    run: (ctx, a) => georadiusGeneric(ctx, a, 2, GEOSEARCH | GEOSEARCHSTORE),
  },
];
