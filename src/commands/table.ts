// The command table: one row per command (and subcommand) holding Redis's metadata (arity,
// flags, key positions, ACL categories, key specs, docs, read from redis_commands.json) and our
// handler. The dispatcher, COMMAND, key extraction (cluster routing, ACL, GETKEYS) all read it.

import meta from "./redis_commands.json" with { type: "json" };
import type { RespValue } from "../resp/decoder.ts";
import type { Ctx } from "../server/client.ts";

export type Handler = (ctx: Ctx, args: Uint8Array[]) => void;

/** What a command module exports: a handler per command name (`"config|get"` for subcommands). */
export interface CommandDef {
  name: string;
  run: Handler;
  /** Metadata for commands Redis does not have; Redis's own commands take theirs from the JSON. */
  meta?: Partial<CommandMeta>;
  /** Extracts keys for commands whose key specs need code (movablekeys), as Redis's getkeys_proc. */
  getKeys?: (args: Uint8Array[]) => number[];
}

interface CommandMeta {
  name: string;
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  acl: string[];
  tips: string[];
  keySpecs: RespValue[];
  docs: RespValue;
  subcommands?: CommandMeta[];
}

/** Flag bits, tested on the hot path instead of string sets. */
export const F = {
  write: 1 << 0,
  readonly: 1 << 1,
  denyoom: 1 << 2,
  admin: 1 << 3,
  pubsub: 1 << 4,
  noscript: 1 << 5,
  blocking: 1 << 6,
  loading: 1 << 7,
  stale: 1 << 8,
  noMulti: 1 << 9,
  noAuth: 1 << 10,
  fast: 1 << 11,
  movablekeys: 1 << 12,
  allowBusy: 1 << 13,
  skipMonitor: 1 << 14,
  skipSlowlog: 1 << 15,
  mayReplicate: 1 << 16,
  noMandatoryKeys: 1 << 17,
  noAsyncLoading: 1 << 18,
} as const;

const FLAG_NAMES: Record<string, number> = {
  write: F.write,
  readonly: F.readonly,
  denyoom: F.denyoom,
  admin: F.admin,
  pubsub: F.pubsub,
  noscript: F.noscript,
  blocking: F.blocking,
  loading: F.loading,
  stale: F.stale,
  no_multi: F.noMulti,
  no_auth: F.noAuth,
  fast: F.fast,
  movablekeys: F.movablekeys,
  allow_busy: F.allowBusy,
  skip_monitor: F.skipMonitor,
  skip_slowlog: F.skipSlowlog,
  may_replicate: F.mayReplicate,
  no_mandatory_keys: F.noMandatoryKeys,
  no_async_loading: F.noAsyncLoading,
};

/** Per-command counters for INFO commandstats. */
export interface CommandStats {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
}

export interface Command {
  /** Lower-case name; `parent|sub` for subcommands, as Redis's fullname. */
  fullName: string;
  name: string;
  arity: number;
  flagNames: string[];
  flags: number;
  firstKey: number;
  lastKey: number;
  step: number;
  acl: string[];
  tips: string[];
  keySpecs: RespValue[];
  docs: RespValue;
  run: Handler;
  getKeys?: (args: Uint8Array[]) => number[];
  parent?: Command;
  subcommands?: Map<string, Command>;
  stats: CommandStats;
}

const byName = new Map<string, CommandMeta>();
for (const c of (meta as { commands: CommandMeta[] }).commands) {
  byName.set(c.name, c);
  for (const s of c.subcommands ?? []) byName.set(s.name, s);
}

/** The Redis version whose command metadata (and behaviour) we match. */
export const REDIS_VERSION: string = (meta as { redisVersion: string }).redisVersion;

function build(def: CommandDef | undefined, m: CommandMeta, parent?: Command): Command {
  const flags = m.flags.reduce((acc, f) => acc | (FLAG_NAMES[f] ?? 0), 0);
  return {
    fullName: m.name,
    name: m.name.includes("|") ? m.name.slice(m.name.indexOf("|") + 1) : m.name,
    arity: m.arity,
    flagNames: m.flags,
    flags,
    firstKey: m.firstKey,
    lastKey: m.lastKey,
    step: m.step,
    acl: m.acl,
    tips: m.tips,
    keySpecs: m.keySpecs,
    docs: m.docs,
    run: def?.run ?? noHandler,
    getKeys: def?.getKeys,
    parent,
    stats: { calls: 0, usec: 0, rejected: 0, failed: 0 },
  };
}

function noHandler(ctx: Ctx): void {
  ctx.reply.error("ERR command not implemented");
}

function metaFor(def: CommandDef): CommandMeta {
  const m = byName.get(def.name);
  if (m) return { ...m, ...def.meta } as CommandMeta;
  if (!def.meta || def.meta.arity === undefined) {
    throw new Error(`command ${def.name}: not a Redis command, so its meta must be given`);
  }
  return {
    name: def.name,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    acl: [],
    tips: [],
    keySpecs: [],
    docs: { "%": [] },
    ...def.meta,
  } as CommandMeta;
}

const EMPTY = new Uint8Array(0);

/** FNV-1a of an ASCII name, lower-cased on the fly. */
function nameHash(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

/** The table: top-level commands by lower-case name; containers hold their subcommands. */
export class CommandTable {
  readonly commands = new Map<string, Command>();

  constructor(defs: CommandDef[]) {
    const subs: CommandDef[] = [];
    for (const d of defs) {
      if (d.name.includes("|")) subs.push(d);
      else this.commands.set(d.name, build(d, metaFor(d)));
    }
    for (const d of subs) {
      const parentName = d.name.slice(0, d.name.indexOf("|"));
      let parent = this.commands.get(parentName);
      if (!parent) {
        parent = build(undefined, metaFor({ name: parentName, run: noHandler }));
        this.commands.set(parentName, parent);
      }
      parent.subcommands ??= new Map();
      const cmd = build(d, metaFor(d), parent);
      parent.subcommands.set(cmd.name, cmd);
    }
    this.#indexNames();
  }

  /** Looks up a command by its lower-case name. */
  get(name: string): Command | undefined {
    return this.commands.get(name);
  }

  /**
   * Looks up a top-level command by its name as sent (any case), without making a string: the
   * dispatcher's path for every request (a lower-cased string built per command, hashed again by
   * the Map, cost ~0.3 µs, 7 % of replaying a log of SETs).
   */
  lookup(b: Uint8Array): Command | undefined {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let i = nameHash(b) & mask;; i = (i + 1) & mask) {
      const cmd = slots[i];
      if (cmd === undefined) return undefined;
      const name = this.#names[i];
      if (name.length !== b.length) continue;
      let j = 0;
      while (j < b.length && name[j] === (b[j] >= 65 && b[j] <= 90 ? b[j] + 32 : b[j])) j++;
      if (j === b.length) return cmd;
    }
  }

  /** Open addressing over the top-level commands (load ≤ 1/4), by nameHash of their names. */
  #slots: (Command | undefined)[] = [];
  #names: Uint8Array[] = [];

  #indexNames(): void {
    let size = 8;
    while (size < this.commands.size * 4) size *= 2;
    this.#slots = new Array(size).fill(undefined);
    this.#names = new Array(size).fill(EMPTY);
    for (const [name, cmd] of this.commands) {
      const b = new TextEncoder().encode(name);
      let i = nameHash(b) & (size - 1);
      while (this.#slots[i] !== undefined) i = (i + 1) & (size - 1);
      this.#slots[i] = cmd;
      this.#names[i] = b;
    }
  }

  /** All commands and subcommands, for COMMAND LIST / INFO commandstats. */
  *all(): Iterable<Command> {
    for (const c of this.commands.values()) {
      yield c;
      if (c.subcommands) yield* c.subcommands.values();
    }
  }
}
