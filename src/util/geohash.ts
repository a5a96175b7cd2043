// Geohash math ported from Redis's geohash.c and geohash_helper.c (7.0): 52-bit interleaved
// scores, the step estimate, the 9-box area search and haversine distances, so GEO results match
// Redis to the last digit. Per-point paths use two 32-bit words; rare paths use BigInt.

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

const D_R = Math.PI / 180.0;
/** Earth's quadratic mean radius for WGS-84, as Redis uses it. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const TWO32 = 4294967296;

const degRad = (ang: number) => ang * D_R;
const radDeg = (ang: number) => ang / D_R;

interface Range {
  min: number;
  max: number;
}

/** A geohash prefix: `bits` holds 2 × `step` interleaved bits (latitude in the even ones). */
export interface HashBits {
  bits: bigint;
  step: number;
}

export interface Area {
  hash: HashBits;
  longitude: Range;
  latitude: Range;
}

const LONG_RANGE: Range = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: Range = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

/** Spreads the low 16 bits of v to the even bit positions of a 32-bit word. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** Gathers the even bits of a 32-bit word into 16 bits. */
function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** interleave64(x, y) as [high word, low word]; x, y < 2^32 but only 27 bits are ever used. */
function interleave(x: number, y: number): [number, number] {
  const lo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  const hi = (spread16(Math.floor(x / 65536)) | (spread16(Math.floor(y / 65536)) << 1)) >>> 0;
  return [hi, lo];
}

/** deinterleave64 on [high word, low word]: returns [even bits (x), odd bits (y)] as uint32. */
function deinterleave(hi: number, lo: number): [number, number] {
  const x = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  const y = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
  return [x, y];
}

function toBig(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * geohashEncode: undefined when the point is outside Redis's limits or the given ranges.
 * Returns the bits as [high word, low word].
 */
function encodeWords(
  longRange: Range,
  latRange: Range,
  longitude: number,
  latitude: number,
  step: number,
): [number, number] | undefined {
  if (
    longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN ||
    latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN
  ) return undefined;
  if (
    latitude < latRange.min || latitude > latRange.max ||
    longitude < longRange.min || longitude > longRange.max
  ) return undefined;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  return interleave(Math.trunc(latOffset), Math.trunc(longOffset));
}

export function encode(
  longitude: number,
  latitude: number,
  step: number,
  longRange = LONG_RANGE,
  latRange = LAT_RANGE,
): HashBits | undefined {
  const w = encodeWords(longRange, latRange, longitude, latitude, step);
  return w && { bits: toBig(w[0], w[1]), step };
}

/**
 * The 52-bit score of a point (GEOADD): [decimal text of the integer, its double value].
 * The point must be within the limits.
 */
export function scoreOf(longitude: number, latitude: number): [string, number] {
  const w = encodeWords(LONG_RANGE, LAT_RANGE, longitude, latitude, GEO_STEP_MAX)!;
  if (w[0] < 0x200000) return [String(w[0] * TWO32 + w[1]), w[0] * TWO32 + w[1]];
  const big = toBig(w[0], w[1]); // past 2^53 (lat or long at its very limit): round like strtod
  return [big.toString(), Number(big)];
}

/** C's (uint64_t) conversion of a double on x86-64 (truncation; out of range gives 0 or 2^63). */
function doubleToUint64(d: number): bigint {
  const TWO63 = 9223372036854775808;
  if (Number.isNaN(d) || d <= -TWO63) return 1n << 63n;
  if (d < TWO63) return BigInt.asUintN(64, BigInt(Math.trunc(d)));
  const r = d - TWO63;
  if (r >= TWO63) return 0n;
  return BigInt(Math.trunc(r)) ^ (1n << 63n);
}

function areaOf(x: number, y: number, step: number, longRange: Range, latRange: Range) {
  const div = 2 ** step;
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  // `ilato + 1` is uint32 arithmetic in Redis: it wraps.
  return {
    latitude: {
      min: latRange.min + (x * 1.0 / div) * latScale,
      max: latRange.min + (((x + 1) >>> 0) * 1.0 / div) * latScale,
    },
    longitude: {
      min: longRange.min + (y * 1.0 / div) * longScale,
      max: longRange.min + (((y + 1) >>> 0) * 1.0 / div) * longScale,
    },
  };
}

/** geohashDecode (the caller handles the all-zero hash). */
export function decode(hash: HashBits, longRange = LONG_RANGE, latRange = LAT_RANGE): Area {
  const hi = Number(hash.bits >> 32n) >>> 0;
  const lo = Number(hash.bits & 0xffffffffn) >>> 0;
  const [x, y] = deinterleave(hi, lo);
  return { hash, ...areaOf(x, y, hash.step, longRange, latRange) };
}

/** The cell centre, clamped to the limits (geohashDecodeAreaToLongLat). */
function centre(a: { longitude: Range; latitude: Range }): [number, number] {
  let lon = (a.longitude.min + a.longitude.max) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (a.latitude.min + a.latitude.max) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  return [lon, lat];
}

/** decodeGeohash: a sorted-set score back to [longitude, latitude]. */
export function decodeScore(score: number): [number, number] {
  let hi: number, lo: number;
  if (score >= 0 && score < 9007199254740992) {
    const t = Math.trunc(score);
    hi = Math.floor(t / TWO32);
    lo = t % TWO32;
  } else {
    const b = doubleToUint64(score);
    hi = Number(b >> 32n);
    lo = Number(b & 0xffffffffn);
  }
  const [x, y] = deinterleave(hi, lo);
  return centre(areaOf(x, y, GEO_STEP_MAX, LONG_RANGE, LAT_RANGE));
}

const GEOALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/** GEOHASH's 11-character string: the point re-encoded with the standard -90..90 latitudes. */
export function geohashString(score: number): string {
  const [lon, lat] = decodeScore(score);
  const h = encode(lon, lat, 26, { min: -180, max: 180 }, { min: -90, max: 90 })!;
  let s = "";
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((h.bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    s += GEOALPHABET[idx];
  }
  return s;
}

function moveX(h: HashBits, d: number): HashBits {
  if (d === 0) return h;
  const w = BigInt(64 - h.step * 2);
  const M = 0xffffffffffffffffn;
  let x = h.bits & 0xaaaaaaaaaaaaaaaan;
  const y = h.bits & 0x5555555555555555n;
  const zz = 0x5555555555555555n >> w;
  if (d > 0) x = (x + (zz + 1n)) & M;
  else {
    x = x | zz;
    x = (x - (zz + 1n)) & M;
  }
  x &= 0xaaaaaaaaaaaaaaaan >> w;
  return { bits: x | y, step: h.step };
}

function moveY(h: HashBits, d: number): HashBits {
  if (d === 0) return h;
  const w = BigInt(64 - h.step * 2);
  const M = 0xffffffffffffffffn;
  const x = h.bits & 0xaaaaaaaaaaaaaaaan;
  let y = h.bits & 0x5555555555555555n;
  const zz = 0xaaaaaaaaaaaaaaaan >> w;
  if (d > 0) y = (y + (zz + 1n)) & M;
  else {
    y = y | zz;
    y = (y - (zz + 1n)) & M;
  }
  y &= 0x5555555555555555n >> w;
  return { bits: x | y, step: h.step };
}

const move = (h: HashBits, dx: number, dy: number) => moveY(moveX(h, dx), dy);
const ZERO: HashBits = { bits: 0n, step: 0 };

/** A search shape (Redis's GeoShape): a circle or an axis-aligned box around xy. */
export interface GeoShape {
  type: "circle" | "box";
  xy: [number, number];
  /** Meters per unit of the radius / width / height. */
  conversion: number;
  radius: number;
  width: number;
  height: number;
}

export function estimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [min lon, min lat, max lon, max lat] of the shape. */
export function boundingBox(s: GeoShape): [number, number, number, number] {
  const [longitude, latitude] = s.xy;
  const height = s.conversion * (s.type === "circle" ? s.radius : s.height / 2);
  const width = s.conversion * (s.type === "circle" ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(
    width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(latitude + latDelta)),
  );
  const longDeltaBottom = radDeg(
    width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(latitude - latDelta)),
  );
  const south = latitude < 0;
  return [
    south ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    south ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/**
 * geohashCalculateAreasByShapeWGS84: the centre box and its 8 neighbours, in Redis's search
 * order (centre, N, S, E, W, NE, NW, SE, SW); zeroed entries are boxes that can be skipped.
 */
export function searchAreas(s: GeoShape): HashBits[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  const [longitude, latitude] = s.xy;
  let radiusMeters = s.type === "circle"
    ? s.radius
    : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radiusMeters *= s.conversion;
  let steps = estimateStepsByRadius(radiusMeters, latitude);
  let hash = encode(longitude, latitude, steps)!;
  let nb = neighbours(hash);
  let area = decode(hash);
  const north = decode(nb.north), south = decode(nb.south);
  const east = decode(nb.east), west = decode(nb.west);
  const decrease = north.latitude.max < maxLat || south.latitude.min > minLat ||
    east.longitude.max < maxLon || west.longitude.min > minLon;
  if (steps > 1 && decrease) {
    steps--;
    hash = encode(longitude, latitude, steps)!;
    nb = neighbours(hash);
    area = decode(hash);
  }
  if (steps >= 2) {
    if (area.latitude.min < minLat) nb.south = nb.southWest = nb.southEast = ZERO;
    if (area.latitude.max > maxLat) nb.north = nb.northEast = nb.northWest = ZERO;
    if (area.longitude.min < minLon) nb.west = nb.southWest = nb.northWest = ZERO;
    if (area.longitude.max > maxLon) nb.east = nb.southEast = nb.northEast = ZERO;
  }
  return [
    hash,
    nb.north,
    nb.south,
    nb.east,
    nb.west,
    nb.northEast,
    nb.northWest,
    nb.southEast,
    nb.southWest,
  ];
}

function neighbours(h: HashBits) {
  return {
    east: move(h, 1, 0),
    west: move(h, -1, 0),
    south: move(h, 0, -1),
    north: move(h, 0, 1),
    northWest: move(h, -1, 1),
    northEast: move(h, 1, 1),
    southEast: move(h, 1, -1),
    southWest: move(h, -1, -1),
  };
}

/** The sorted-set score interval [min, max) holding every point of a box (scoresOfGeoHashBox). */
export function scoreRangeOf(h: HashBits): [number, number] {
  const shift = BigInt(52 - h.step * 2);
  return [Number(h.bits << shift), Number((h.bits + 1n) << shift)];
}

/** Haversine great-circle distance in meters (Redis 7.0's geohashGetDistance). */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS *
    Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v));
}

/**
 * geoWithinShape's test for a decoded point: its distance from the centre in meters, or
 * undefined when outside the circle / box.
 */
export function distanceIfInShape(s: GeoShape, lon: number, lat: number): number | undefined {
  const [x1, y1] = s.xy;
  if (s.type === "circle") {
    const d = distance(x1, y1, lon, lat);
    return d > s.radius * s.conversion ? undefined : d;
  }
  const lonDistance = distance(lon, lat, x1, lat);
  const latDistance = distance(lon, lat, lon, y1);
  if (lonDistance > (s.width * s.conversion) / 2 || latDistance > (s.height * s.conversion) / 2) {
    return undefined;
  }
  return distance(x1, y1, lon, lat);
}

export function isZero(h: HashBits): boolean {
  return h.bits === 0n && h.step === 0;
}

/** The exact binary value of a finite double: |d| = m · 2^e. */
function decompose(d: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const hi = view.getUint32(0), lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return expBits === 0 ? [m, -1074] : [m | (1n << 52n), expBits - 1075];
}

/** C's printf("%.<digits>f") for a double: exact value, ties to even (glibc). */
export function formatFixed(d: number, digits: number): string {
  if (Number.isNaN(d)) return "nan";
  if (!Number.isFinite(d)) return d > 0 ? "inf" : "-inf";
  const neg = d < 0 || Object.is(d, -0);
  const [m, e] = decompose(Math.abs(d));
  const scaledM = m * 10n ** BigInt(digits);
  let scaled: bigint;
  if (e >= 0) scaled = scaledM << BigInt(e);
  else {
    const s = BigInt(-e);
    scaled = scaledM >> s;
    const rem = scaledM & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const str = scaled.toString().padStart(digits + 1, "0");
  const cut = str.length - digits;
  return (neg ? "-" : "") + str.slice(0, cut) + (digits > 0 ? "." + str.slice(cut) : "");
}

/** Redis's addReplyHumanLongDouble text for a double: %.17Lf without trailing zeros. */
export function formatHuman(d: number): string {
  let s = formatFixed(d, 17);
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s === "-0" ? "0" : s;
}
