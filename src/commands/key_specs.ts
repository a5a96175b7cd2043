// Key extraction from Redis's key specs (begin_search index/keyword + find_keys range/keynum), as
// db.c's getKeysFromCommandWithSpecs, with Redis's own getkeys procedures for the commands whose
// specs cannot say it all (SORT, MIGRATE, SET/BITFIELD flags). COMMAND GETKEYS, cluster routing
// and ACL key checks all call keysOf / keysWithFlags.

import type { Command } from "./table.ts";
import type { RespValue } from "../resp/decoder.ts";
import { eqi } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

/** One parsed key spec. `flags` are Redis's names (RO RW OW RM access update insert delete …). */
interface KeySpec {
  flags: string[];
  begin:
    | { type: "index"; index: number }
    | { type: "keyword"; keyword: string; startfrom: number }
    | {
      type: "unknown";
    };
  find:
    | { type: "range"; lastkey: number; keystep: number; limit: number }
    | { type: "keynum"; keynumidx: number; firstkey: number; keystep: number }
    | { type: "unknown" };
}

/** A key argument: its position in argv and the flags of the spec that found it. */
export interface KeyRef {
  pos: number;
  flags: string[];
}

/** Reads a RESP3-tagged map `{"%": [k, v, …]}` into a plain object. */
function mapOf(v: RespValue): Record<string, RespValue> {
  const out: Record<string, RespValue> = {};
  const kv = (v as { "%": RespValue[] })["%"] ?? [];
  for (let i = 0; i < kv.length; i += 2) out[String(kv[i])] = kv[i + 1];
  return out;
}

function flagList(v: RespValue): string[] {
  const items = (v as { "~": RespValue[] })?.["~"] ?? [];
  return items.map((x) => typeof x === "object" && x && "+" in x ? x["+"] : String(x));
}

function parseSpec(raw: RespValue): KeySpec {
  const m = mapOf(raw);
  const bs = mapOf(m.begin_search);
  const bspec = mapOf(bs.spec);
  const fk = mapOf(m.find_keys);
  const fspec = mapOf(fk.spec);
  const num = (v: RespValue) => Number(v);
  const begin: KeySpec["begin"] = bs.type === "index"
    ? { type: "index", index: num(bspec.index) }
    : bs.type === "keyword"
    ? { type: "keyword", keyword: String(bspec.keyword), startfrom: num(bspec.startfrom) }
    : { type: "unknown" };
  const find: KeySpec["find"] = fk.type === "range"
    ? {
      type: "range",
      lastkey: num(fspec.lastkey),
      keystep: num(fspec.keystep),
      limit: num(fspec.limit),
    }
    : fk.type === "keynum"
    ? {
      type: "keynum",
      keynumidx: num(fspec.keynumidx),
      firstkey: num(fspec.firstkey),
      keystep: num(fspec.keystep),
    }
    : { type: "unknown" };
  return { flags: flagList(m.flags), begin, find };
}

const specCache = new WeakMap<Command, KeySpec[]>();

function specsOf(cmd: Command): KeySpec[] {
  let specs = specCache.get(cmd);
  if (!specs) {
    specs = cmd.keySpecs.map(parseSpec);
    specCache.set(cmd, specs);
  }
  return specs;
}

/** doesCommandHaveKeys: a getkeys procedure, or at least one spec that is not `not_key`. */
export function commandHasKeys(cmd: Command): boolean {
  return NATIVE[cmd.fullName] !== undefined || cmd.getKeys !== undefined ||
    specsOf(cmd).some((s) => !s.flags.includes("not_key"));
}

/** getKeysUsingKeySpecs; undefined when a spec cannot be applied (invalid or incomplete). */
function keysFromSpecs(
  cmd: Command,
  args: Uint8Array[],
  includeNotKeys: boolean,
): KeyRef[] | undefined {
  const argc = args.length;
  const out: KeyRef[] = [];
  for (const spec of specsOf(cmd)) {
    if (spec.flags.includes("not_key") && !includeNotKeys) continue;
    let first = 0;
    if (spec.begin.type === "index") first = spec.begin.index;
    else if (spec.begin.type === "keyword") {
      const { keyword, startfrom } = spec.begin;
      const start = startfrom > 0 ? startfrom : argc + startfrom;
      const end = startfrom > 0 ? argc - 1 : 0;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (eqi(args[i], keyword.toLowerCase())) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue; // keyword absent: this spec finds no keys
    } else return undefined;

    let last: number;
    let step: number;
    const f = spec.find;
    if (f.type === "range") {
      step = f.keystep;
      if (f.lastkey >= 0) last = first + f.lastkey;
      else if (!f.limit) last = argc + f.lastkey;
      else last = first + (Math.trunc((argc - first) / f.limit) + f.lastkey);
    } else if (f.type === "keynum") {
      step = f.keystep;
      if (first + f.keynumidx >= argc) return undefined;
      const n = parseInt64(args[first + f.keynumidx]);
      if (n === undefined || n < 0 || n > 2147483647) return undefined;
      first += f.firstkey;
      last = first + Number(n) - 1;
    } else return undefined;

    if (last >= argc || last < first || first >= argc) return undefined;
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: spec.flags });
    if (spec.flags.includes("incomplete")) return undefined;
  }
  return out;
}

/** Redis's getkeys procedures for commands whose specs are incomplete or flags variable. */
const NATIVE: Record<string, (args: Uint8Array[]) => KeyRef[]> = {
  // sortGetKeys: the sorted key, then the last STORE target (LIMIT takes 2 words, GET/BY one).
  sort(args) {
    const keys: KeyRef[] = [{ pos: 1, flags: ["RO", "access"] }];
    let store: KeyRef | undefined;
    const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
    for (let i = 2; i < args.length; i++) {
      const word = String.fromCharCode(...args[i]).toLowerCase();
      if (word in skip) i += skip[word];
      else if (word === "store" && i + 1 < args.length) {
        store = { pos: i + 1, flags: ["OW", "update"] };
      }
    }
    if (store) keys.push(store);
    return keys;
  },
  // migrateGetKeys: the key argument, or everything after KEYS when the key is "".
  migrate(args) {
    let first = 3;
    let num = 1;
    const skip: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
    for (let i = 6; i < args.length; i++) {
      const word = String.fromCharCode(...args[i]).toLowerCase();
      if (word === "keys") {
        if (args[3].length > 0) return [];
        first = i + 1;
        num = args.length - first;
        break;
      }
      if (word in skip) i += skip[word];
    }
    const flags = ["RW", "access", "delete"];
    return Array.from({ length: num }, (_, i) => ({ pos: first + i, flags }));
  },
  // setGetKeys: with GET the key is read too.
  set(args) {
    for (let i = 3; i < args.length; i++) {
      if (eqi(args[i], "get")) return [{ pos: 1, flags: ["RW", "access", "update"] }];
    }
    return [{ pos: 1, flags: ["OW", "update"] }];
  },
  // bitfieldGetKeys: read-only when only GET/OVERFLOW subcommands are given.
  bitfield(args) {
    let readonly = true;
    for (let i = 2; i < args.length; i++) {
      const rem = args.length - i - 1;
      if (eqi(args[i], "get") && rem >= 2) i += 2;
      else if ((eqi(args[i], "set") || eqi(args[i], "incrby")) && rem >= 3) {
        readonly = false;
        break;
      } else if (eqi(args[i], "overflow") && rem >= 1) i += 1;
      else {
        readonly = false;
        break;
      }
    }
    return [{ pos: 1, flags: readonly ? ["RO", "access"] : ["RW", "access", "update"] }];
  },
};

/** The flags of the spec covering `pos` (for keys found by a command's own getKeys). */
function flagsAt(cmd: Command, args: Uint8Array[], pos: number): string[] {
  const found = keysFromSpecs(cmd, args, true)?.find((k) => k.pos === pos);
  return found?.flags ?? specsOf(cmd)[0]?.flags ?? [];
}

/**
 * Keys of a full command line (args[0] is the command name) with their flags, as
 * getKeysFromCommandWithSpecs: specs first unless their flags vary, then the getkeys procedure.
 * Returns undefined when the arguments do not parse (COMMAND GETKEYS's "Invalid arguments").
 */
export function keysWithFlags(
  cmd: Command,
  args: Uint8Array[],
  includeNotKeys = false,
): KeyRef[] | undefined {
  const specs = specsOf(cmd);
  const hasSpec = specs.some((s) => !s.flags.includes("not_key")) ||
    (includeNotKeys && specs.length > 0);
  const varFlags = specs.some((s) => s.flags.includes("variable_flags"));
  if (hasSpec && !varFlags) {
    const found = keysFromSpecs(cmd, args, includeNotKeys);
    if (found) return found;
  }
  const native = NATIVE[cmd.fullName];
  if (native) return native(args);
  if (cmd.getKeys) return cmd.getKeys(args).map((pos) => ({ pos, flags: flagsAt(cmd, args, pos) }));
  return undefined;
}

/** Argument positions of the keys in a full command line (empty when none or unparsable). */
export function keysOf(cmd: Command, args: Uint8Array[], includeNotKeys = false): number[] {
  return (keysWithFlags(cmd, args, includeNotKeys) ?? []).map((k) => k.pos);
}
