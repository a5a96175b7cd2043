// Every setting once: its redis.conf name, type, default and effect. The config file, the command
// line, CONFIG GET/SET/REWRITE and the rest of the server all read this table (config_params.ts).
// Parsing and error texts follow Redis 7.0's config.c so CONFIG SET fails exactly like Redis.

import { PARAMS } from "./config_params.ts";
import { parseSpecial, type SpecialKind } from "./config_special.ts";
import { parseInt64Str } from "./util/numbers.ts";
import { resolve } from "node:path";

export type { SpecialKind };
export type ParamType = "bool" | "int" | "memory" | "octal" | "string" | "enum" | "special";

/** Redis's per-parameter flags (IMMUTABLE_CONFIG, PROTECTED_CONFIG, …) plus parsing details. */
export interface ParamFlags {
  /** Only settable at start-up (CONFIG SET: "can't set immutable config"). */
  immutable?: boolean;
  /** Refused by CONFIG SET unless enable-protected-configs allows it. */
  protected?: boolean;
  /** Not matched by CONFIG GET patterns, only by its exact name. */
  hidden?: boolean;
  /** A secret (kept out of logs). */
  sensitive?: boolean;
  /** CONFIG SET answers -LOADING while the dataset loads. */
  denyLoading?: boolean;
  /** Takes several words (CONFIG SET splits its value on spaces). */
  multiArg?: boolean;
  /** Stored in an unsigned C type: bounds are checked on the unsigned reading of the number. */
  unsigned?: boolean;
  /** A memory value that also accepts "N%" (stored as -N). */
  percent?: boolean;
  /** Accepted in [min, max] but stored clamped to this range (hz). */
  clamp?: [number, number];
  /** Extra validation Redis does for some strings. */
  check?: "hostname" | "dbfilename" | "appendfilename" | "appenddirname";
}

export interface ParamDef extends ParamFlags {
  name: string;
  aliases?: string[];
  type: ParamType;
  /** Default in Redis's CONFIG GET form. */
  default: string;
  enumValues?: string[];
  min?: number | bigint;
  max?: number | bigint;
  special?: SpecialKind;
  /** False for Redis 7.0 parameters that are accepted and listed but have no effect here. */
  implemented: boolean;
}

export type ParamValue = string | number | boolean;

/** A reason a value was refused, worded as Redis words it. */
export class ConfigError extends Error {}

const ULLONG_MAX = 18446744073709551615n;
const MEM_UNITS: Record<string, bigint> = {
  "": 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n * 1000n,
  mb: 1024n * 1024n,
  g: 1000n * 1000n * 1000n,
  gb: 1024n * 1024n * 1024n,
};

/** Redis's memtoull: digits then an optional unit (k kb m mb g gb, any case); no sign. */
export function parseMemoryBig(s: string): bigint | undefined {
  const m = /^(\d*)(.*)$/s.exec(s)!;
  const mul = MEM_UNITS[m[2].toLowerCase()];
  if (mul === undefined || m[1].length >= 128) return undefined;
  let v = m[1] === "" ? 0n : BigInt(m[1]);
  if (v > ULLONG_MAX) v = ULLONG_MAX; // strtoull saturates
  if (v > ULLONG_MAX / mul) return undefined;
  return v * mul;
}

/** Parses a memory size like Redis's memtoull ("1gb", "100mb", "42"). */
export function parseMemory(s: string): number | undefined {
  const v = parseMemoryBig(s);
  return v === undefined ? undefined : Number(v);
}

/** Bitflag values of multi-word enums (shutdown-on-sigint: default save nosave now force). */
const flagValue = (i: number): number => (i === 0 ? 0 : 1 << (i - 1));

function parseEnum(def: ParamDef, args: string[]): string {
  const values = def.enumValues!;
  const fail = () =>
    new ConfigError(`argument(s) must be one of the following: ${values.join(", ")}`);
  if (!def.multiArg) {
    const i = values.indexOf(args[0].toLowerCase());
    if (i < 0) throw fail();
    return values[i];
  }
  if (args.length === 0) throw fail();
  let bits = 0;
  for (const a of args) {
    const i = values.indexOf(a.toLowerCase());
    if (i < 0) throw fail();
    bits |= flagValue(i);
  }
  if ((bits & 1) && (bits & 2)) {
    throw new ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously");
  }
  // configEnumGetName with bitflags: an exact match, else every flag contained, in table order.
  const exact = values.findIndex((_, i) => flagValue(i) === bits);
  if (exact >= 0) return values[exact];
  return values.filter((_, i) => flagValue(i) !== 0 && (bits & flagValue(i)) === flagValue(i))
    .join(" ");
}

/** Parses a number for an int/memory/octal parameter and checks its bounds (numericConfigSet). */
function parseNumber(def: ParamDef, raw: string): bigint {
  let v: bigint | undefined;
  if (def.type === "memory") {
    v = parseMemoryBig(raw);
    if (v === undefined && def.percent && raw.length > 1 && raw.endsWith("%")) {
      const p = parseInt64Str(raw.slice(0, -1));
      if (p !== undefined && p >= 0) v = -BigInt(p);
    }
  } else if (def.type === "octal") {
    if (raw === "") v = 0n;
    else if (/^[ \t\n\v\f\r]*[+-]?[0-7]+$/.test(raw)) {
      const t = raw.trim();
      v = t.startsWith("-") ? -BigInt("0o" + t.slice(1)) : BigInt("0o" + t.replace(/^\+/, ""));
    }
  } else {
    const p = parseInt64Str(raw);
    if (p !== undefined) v = BigInt(p);
  }
  if (v === undefined) {
    throw new ConfigError(
      def.type === "memory"
        ? def.percent
          ? "argument must be a memory or percent value"
          : "argument must be a memory value"
        : def.type === "octal"
        ? "argument couldn't be parsed as an octal number"
        : "argument couldn't be parsed into an integer",
    );
  }
  const min = BigInt(def.min ?? 0);
  const max = BigInt(def.max ?? ULLONG_MAX);
  if (def.unsigned) {
    const u = BigInt.asUintN(64, v);
    if (u > max || u < min) {
      const f = (n: bigint) => def.type === "octal" ? n.toString(8) : String(n);
      throw new ConfigError(`argument must be between ${f(min)} and ${f(max)} inclusive`);
    }
    return u;
  }
  v = BigInt.asIntN(64, v);
  if (def.percent && v < 0n) {
    if (v < min) throw new ConfigError(`percentage argument must be less or equal to ${-min}`);
  } else if (v > max || v < min) {
    throw new ConfigError(`argument must be between ${min} and ${max} inclusive`);
  }
  return v;
}

function checkString(def: ParamDef, v: string): void {
  const isPath = v.includes("/");
  switch (def.check) {
    case "dbfilename":
      if (isPath) throw new ConfigError("dbfilename can't be a path, just a filename");
      break;
    case "appendfilename":
      if (v === "") throw new ConfigError("appendfilename can't be empty");
      if (isPath) throw new ConfigError("appendfilename can't be a path, just a filename");
      break;
    case "appenddirname":
      if (v === "") throw new ConfigError("appenddirname can't be empty");
      if (isPath) throw new ConfigError("appenddirname can't be a path, just a dirname");
      break;
    case "hostname":
      if (v.length >= 256) throw new ConfigError("Hostnames must be less than 256 characters");
      if (!/^[A-Za-z0-9.-]*$/.test(v)) {
        throw new ConfigError(
          "Hostnames may only contain alphanumeric characters, hyphens or dots",
        );
      }
  }
  if (def.name === "proc-title-template" && !validProcTitle(v)) {
    throw new ConfigError("template format is invalid or contains unknown variables");
  }
}

const TITLE_VARS = new Set([
  "title",
  "listen-addr",
  "server-mode",
  "port",
  "tls-port",
  "unixsocket",
  "config-file",
]);

/** Redis's validateProcTitleTemplate: known {variables}, balanced braces, not empty once expanded. */
function validProcTitle(t: string): boolean {
  let expanded = "";
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === "{" && t[i + 1] === "{") (expanded += "{", i++);
    else if (c === "}" && t[i + 1] === "}") (expanded += "}", i++);
    else if (c === "}") return false;
    else if (c === "{") {
      const end = t.indexOf("}", i);
      if (end < 0) return false;
      const name = t.slice(i + 1, end);
      if (!TITLE_VARS.has(name)) return false;
      if (name !== "title" && name !== "server-mode") expanded += "x";
      i = end;
    } else expanded += c;
  }
  return expanded.trim() !== "";
}

/** Live configuration: typed values, change listeners, and the text forms CONFIG GET shows. */
export class Config {
  /** Parameters by name and by alias (lower case). */
  readonly defs = new Map<string, ParamDef>();
  readonly values = new Map<string, ParamValue>();
  /** CONFIG GET text of numbers too big for a JS number (maxmemory near 2^64). */
  #exact = new Map<string, string>();
  #listeners = new Map<string, ((v: ParamValue) => void)[]>();
  #fileSaveSeen = false;
  /** The config file given at start-up (for CONFIG REWRITE and INFO), if any. */
  file: string | undefined;

  constructor(params: ParamDef[] = PARAMS) {
    for (const p of params) {
      this.defs.set(p.name, p);
      for (const a of p.aliases ?? []) this.defs.set(a, p);
      // Special defaults are already canonical (only `dir` needs making absolute).
      const v = p.type !== "special"
        ? this.#parse(p, this.#words(p, p.default), p.default)
        : p.special === "dir"
        ? resolve(p.default)
        : p.default;
      this.#store(p, v);
    }
  }

  def(name: string): ParamDef | undefined {
    // Internal callers pass lower-case names: skip the toLowerCase copy (hot: num()/str()).
    return this.defs.get(name) ?? this.defs.get(name.toLowerCase());
  }

  get(name: string): ParamValue {
    const d = this.def(name);
    if (!d) throw new Error(`unknown config ${name}`);
    return this.values.get(d.name)!;
  }

  num(name: string): number {
    return this.get(name) as number;
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  str(name: string): string {
    return String(this.get(name));
  }

  /** The value as CONFIG GET prints it. */
  text(name: string): string {
    const d = this.def(name)!;
    const exact = this.#exact.get(d.name);
    if (exact !== undefined) return exact;
    const v = this.values.get(d.name)!;
    if (d.type === "bool") return v ? "yes" : "no";
    if (d.type === "octal") return (v as number).toString(8);
    if (d.percent && (v as number) < 0) return `${-(v as number)}%`;
    return String(v);
  }

  /** Calls `fn` now and whenever the parameter changes. */
  watch(name: string, fn: (v: ParamValue) => void): void {
    const d = this.def(name)!;
    const list = this.#listeners.get(d.name) ?? [];
    list.push(fn);
    this.#listeners.set(d.name, list);
    fn(this.values.get(d.name)!);
  }

  /** Validates and sets one value; throws ConfigError with Redis's reason text. */
  set(name: string, raw: string, startup = false): void {
    const d = this.def(name);
    if (!d) throw new ConfigError("Bad directive or wrong number of arguments");
    if (d.immutable && !startup) throw new ConfigError("can't set immutable config");
    this.#assign(d, this.#parse(d, this.#words(d, raw), raw));
  }

  /**
   * Applies one config-file (or command-line) directive as loadServerConfigFromString does.
   * Returns false for a name that is not a parameter (the caller decides if it is another directive).
   */
  load(name: string, args: string[]): boolean {
    const d = this.def(name);
    if (!d) return false;
    if (!d.multiArg && args.length !== 1) throw new ConfigError("wrong number of arguments");
    const appendSave = d.special === "save" && this.#fileSaveSeen;
    if (d.special === "save") this.#fileSaveSeen = true;
    this.#assign(d, this.#parse(d, args, args.join(" "), appendSave));
    return true;
  }

  /**
   * CONFIG SET with several name/value pairs, all or nothing (configSetCommand). Returns
   * undefined on success, else the full error reply.
   */
  setMany(
    pairs: [string, string][],
    opts: { protectedAllowed: boolean; loading: boolean },
  ): string | undefined {
    const defs: ParamDef[] = [];
    for (const [name] of pairs) {
      const d = this.def(name);
      if (!d) return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
      if (d.immutable || (d.protected && !opts.protectedAllowed)) {
        const err = d.immutable ? "can't set immutable config" : "can't set protected config";
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`;
      }
      if (opts.loading && d.denyLoading) return "LOADING Redis is loading the dataset in memory";
      if (defs.includes(d)) {
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`;
      }
      defs.push(d);
    }
    const parsed: ParamValue[] = [];
    for (let i = 0; i < defs.length; i++) {
      const raw = pairs[i][1];
      try {
        parsed.push(this.#parse(defs[i], this.#words(defs[i], raw), raw));
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        // Here Redis names the parameter as registered (lower case), not as typed.
        const shown = pairs[i][0].toLowerCase();
        return `ERR CONFIG SET failed (possibly related to argument '${shown}') - ${e.message}`;
      }
    }
    defs.forEach((d, i) => this.#assign(d, parsed[i]));
    return undefined;
  }

  /** Unique parameter definitions (aliases excluded), in table order. */
  *params(): Iterable<ParamDef> {
    const seen = new Set<string>();
    for (const d of this.defs.values()) {
      if (seen.has(d.name)) continue;
      seen.add(d.name);
      yield d;
    }
  }

  /** Every name CONFIG GET patterns can match: names and aliases, hidden ones excluded. */
  *names(): Iterable<string> {
    for (const [name, d] of this.defs) if (!d.hidden) yield name;
  }

  /** CONFIG SET's view of a value: multi-word parameters split on single spaces. */
  #words(d: ParamDef, raw: string): string[] {
    if (!d.multiArg) return [raw];
    return raw === "" ? [] : raw.split(" ");
  }

  #parse(d: ParamDef, args: string[], raw: string, appendSave = false): ParamValue {
    const one = args[0] ?? "";
    switch (d.type) {
      case "bool": {
        const v = one.toLowerCase();
        if (v === "yes") return true;
        if (v === "no") return false;
        throw new ConfigError("argument must be 'yes' or 'no'");
      }
      case "int":
      case "memory":
      case "octal": {
        const v = parseNumber(d, one);
        const n = Number(v);
        if (d.clamp) return Math.min(Math.max(n, d.clamp[0]), d.clamp[1]);
        return Number.isSafeInteger(n) ? n : v.toString();
      }
      case "enum":
        return parseEnum(d, args);
      case "special": {
        const current = this.values.has(d.name) ? String(this.values.get(d.name)) : "";
        return parseSpecial(d.special!, args, { current, appendSave });
      }
      default:
        checkString(d, one);
        void raw;
        return one;
    }
  }

  /** Stores a parsed value; big integers arrive as decimal text and keep their exact form. */
  #store(d: ParamDef, v: ParamValue): void {
    if (typeof v === "string" && (d.type === "int" || d.type === "memory")) {
      this.#exact.set(d.name, v);
      this.values.set(d.name, Number(v));
    } else {
      this.#exact.delete(d.name);
      this.values.set(d.name, v);
    }
  }

  #assign(d: ParamDef, v: ParamValue): void {
    const before = this.text(d.name);
    this.#store(d, v);
    if (this.text(d.name) === before) return;
    for (const fn of this.#listeners.get(d.name) ?? []) fn(this.values.get(d.name)!);
  }
}
