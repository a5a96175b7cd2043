// Parsers for the Redis parameters with their own syntax (save, bind, client-output-buffer-limit,
// notify-keyspace-events, …): each takes the argument words and returns the canonical text that
// CONFIG GET shows, or throws ConfigError with Redis 7.0's reason, word for word.

import { resolve } from "node:path";
import { ConfigError, parseMemoryBig } from "./config.ts";

export type SpecialKind =
  | "dir"
  | "save"
  | "client-output-buffer-limit"
  | "oom-score-adj-values"
  | "notify-keyspace-events"
  | "bind"
  | "replicaof"
  | "latency-tracking-info-percentiles";

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** C's strtoll(s, &end, 10): leading space, optional sign, digits; returns value and the rest. */
export function cStrtoll(s: string): { value: bigint; rest: string } {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(s);
  if (!m) return { value: 0n, rest: s };
  let v = BigInt(m[2]);
  if (m[1] === "-") v = -v;
  if (v > LLONG_MAX) v = LLONG_MAX;
  if (v < LLONG_MIN) v = LLONG_MIN;
  return { value: v, rest: s.slice(m[0].length) };
}

/** strtoll that must consume the whole word (an empty word reads as 0, as in C). */
function wholeInt(s: string): bigint | undefined {
  const { value, rest } = cStrtoll(s);
  return rest === "" ? value : undefined;
}

/** Called when reading the config file: the first `save` line replaces the defaults, later ones add. */
export interface SpecialContext {
  current: string;
  /** True for the second and later `save` lines of a config file. */
  appendSave: boolean;
}

export function parseSpecial(kind: SpecialKind, args: string[], ctx: SpecialContext): string {
  switch (kind) {
    case "dir":
      return parseDir(args);
    case "save":
      return parseSave(args, ctx);
    case "client-output-buffer-limit":
      return parseObufLimits(args, ctx.current);
    case "oom-score-adj-values":
      return parseOomValues(args);
    case "notify-keyspace-events":
      if (args.length !== 1) throw new ConfigError("wrong number of arguments");
      return keyspaceEventsToString(parseKeyspaceEvents(args[0]));
    case "bind":
      if (args.length > 16) throw new ConfigError("Too many bind addresses specified.");
      return args.length === 1 && args[0] === "" ? "" : args.join(" ");
    case "replicaof":
      return parseReplicaOf(args);
    case "latency-tracking-info-percentiles":
      return parsePercentiles(args);
  }
}

/** `dir` must name an existing directory; it is kept as an absolute path (CONFIG GET shows one). */
function parseDir(args: string[]): string {
  if (args.length !== 1) throw new ConfigError("wrong number of arguments");
  const path = resolve(args[0]);
  try {
    if (!Deno.statSync(path).isDirectory) throw new ConfigError("Not a directory");
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if (e instanceof Deno.errors.NotFound) throw new ConfigError("No such file or directory");
    if (e instanceof Deno.errors.PermissionDenied) throw new ConfigError("Permission denied");
    throw new ConfigError((e as Error).message);
  }
  return path;
}

function parseSave(args: string[], ctx: SpecialContext): string {
  if (args.length === 1 && args[0] === "") args = [];
  if (args.length % 2 === 1) throw new ConfigError("Invalid save parameters");
  const nums: bigint[] = [];
  args.forEach((a, j) => {
    const v = wholeInt(a);
    if (v === undefined || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n)) {
      throw new ConfigError("Invalid save parameters");
    }
    // Seconds are a time_t, changes a C int (truncated like the assignment in Redis).
    nums.push(j % 2 === 0 ? v : BigInt.asIntN(32, v));
  });
  const text = nums.join(" ");
  if (ctx.appendSave && ctx.current !== "") {
    return text === "" ? ctx.current : ctx.current + " " + text;
  }
  return text;
}

const OBUF_CLASSES = ["normal", "slave", "pubsub"] as const;

/** Client class names as getClientTypeByName reads them (master is known but refused here). */
function obufClass(name: string): number {
  switch (name.toLowerCase()) {
    case "normal":
      return 0;
    case "slave":
    case "replica":
      return 1;
    case "pubsub":
      return 2;
    case "master":
      return 3;
    default:
      return -1;
  }
}

function parseObufLimits(args: string[], current: string): string {
  if (args.length % 4 !== 0) {
    throw new ConfigError("Wrong number of arguments in buffer limit configuration.");
  }
  const words = current.split(" ");
  const limits = OBUF_CLASSES.map((_, i) => words.slice(i * 4 + 1, i * 4 + 4));
  const updates: [number, string[]][] = [];
  for (let j = 0; j < args.length; j += 4) {
    const cls = obufClass(args[j]);
    if (cls === -1 || cls === 3) {
      throw new ConfigError("Invalid client class specified in buffer limit configuration.");
    }
    const hard = parseMemoryBig(args[j + 1]);
    const soft = parseMemoryBig(args[j + 2]);
    const secs = cStrtoll(args[j + 3]);
    if (hard === undefined || soft === undefined || secs.value < 0n || secs.rest !== "") {
      throw new ConfigError(
        "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
      );
    }
    updates.push([cls, [String(hard), String(soft), String(BigInt.asIntN(32, secs.value))]]);
  }
  for (const [cls, v] of updates) limits[cls] = v;
  return OBUF_CLASSES.map((name, i) => `${name} ${limits[i].join(" ")}`).join(" ");
}

function parseOomValues(args: string[]): string {
  if (args.length !== 3) throw new ConfigError("wrong number of arguments");
  return args.map((a) => {
    const v = wholeInt(a);
    if (v === undefined || v < -2000n || v > 2000n) {
      throw new ConfigError(
        "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
      );
    }
    return String(v);
  }).join(" ");
}

function parseReplicaOf(args: string[]): string {
  if (args.length !== 2) throw new ConfigError("wrong number of arguments");
  if (args[0].toLowerCase() === "no" && args[1].toLowerCase() === "one") return "";
  const port = cStrtoll(args[1]);
  if (port.value < 0n || port.value > 65535n || port.rest !== "") {
    throw new ConfigError("Invalid master port");
  }
  return `${args[0]} ${port.value}`;
}

/** Strict double parsing as Redis's string2d: no spaces, no NaN, whole word. */
function strictDouble(s: string): number | undefined {
  if (s === "" || /^\s/.test(s)) return undefined;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?inf(inity)?$/i.test(s)) {
    return undefined;
  }
  return Number(s.replace(/inf(inity)?/i, "Infinity"));
}

function parsePercentiles(args: string[]): string {
  if (args.length === 1 && args[0] === "") return "";
  return args.map((a) => {
    const d = strictDouble(a);
    if (d === undefined) {
      throw new ConfigError("Invalid latency-tracking-info-percentiles parameters");
    }
    if (d > 100 || d < 0) {
      throw new ConfigError(
        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
      );
    }
    // printf("%f") then trimDoubleString: trailing zeros and a bare dot go.
    return d.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
  }).join(" ");
}

/** Keyspace notification classes, in the order Redis prints them. */
const NOTIFY = {
  g: 1 << 2,
  $: 1 << 3,
  l: 1 << 4,
  s: 1 << 5,
  h: 1 << 6,
  z: 1 << 7,
  x: 1 << 8,
  e: 1 << 9,
  t: 1 << 10,
  m: 1 << 11,
  d: 1 << 12,
  n: 1 << 13,
  K: 1 << 0,
  E: 1 << 1,
} as const;
/** "A": every class except key-miss (m) and new-key (n) events. */
const NOTIFY_ALL = NOTIFY.g | NOTIFY.$ | NOTIFY.l | NOTIFY.s | NOTIFY.h | NOTIFY.z | NOTIFY.x |
  NOTIFY.e | NOTIFY.t | NOTIFY.d;

/** Parses a notify-keyspace-events string into flag bits (keyspaceEventsStringToFlags). */
export function parseKeyspaceEvents(s: string): number {
  let flags = 0;
  for (const c of s) {
    if (c === "A") flags |= NOTIFY_ALL;
    else if (c in NOTIFY) flags |= NOTIFY[c as keyof typeof NOTIFY];
    else throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  }
  return flags;
}

/** The canonical form Redis shows for flag bits (keyspaceEventsFlagsToString). */
export function keyspaceEventsToString(flags: number): string {
  let out = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out = "A";
  else {
    for (const c of "g$lshzxetdn") {
      if (flags & NOTIFY[c as keyof typeof NOTIFY]) out += c;
    }
  }
  if (flags & NOTIFY.K) out += "K";
  if (flags & NOTIFY.E) out += "E";
  if (flags & NOTIFY.m) out += "m";
  return out;
}
