// OBJECT ENCODING/REFCOUNT/IDLETIME/FREQ/HELP and TOUCH, as Redis's object.c.
//
// Access times: Redis keeps a 24-bit LRU clock in every object. We keep `db.access` (key → ms) and
// only from the first OBJECT IDLETIME, TOUCH or RESTORE … IDLETIME on (`db.trackAccess`), so a
// server that never asks pays nothing per lookup. A key not accessed since tracking began reports
// its idle time from server start: its true last access is older than tracking, so that bound
// keeps "TTL/TYPE/EXISTS do not reset the idle time" true. LFU counters are not maintained; FREQ
// reports what RESTORE … FREQ set, or Redis's initial counter, decayed like LFUDecrAndReturn.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import type { Db } from "../store/db.ts";
import { MutableString, type Value } from "../store/types.ts";
import { toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { configText, lookupRead } from "./keys_lookup.ts";

/** Redis's OBJ_SHARED_REFCOUNT (INT_MAX): the refcount reported for shared integers 0..9999. */
const SHARED_REFCOUNT = 2147483647;
const SHARED_INTEGERS = 10000;
/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT. */
const EMBSTR_LIMIT = 44;
/** Redis's LFU_INIT_VAL: the counter of a new object. */
const LFU_INIT_VAL = 5;

const HELP = [
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
];

/** LFU counters set by RESTORE … FREQ, held by the value object as Redis holds them in robj. */
const lfu = new WeakMap<object, { counter: number; minute: number }>();

/** Integer strings that Redis would hold unshared (COPY duplicates even shared integers). */
const unshared = new WeakSet<Uint8Array>();

/** Marks a string value as a private integer object: OBJECT REFCOUNT then reports 1. */
export function markUnshared(v: Uint8Array): Uint8Array {
  unshared.add(v);
  return v;
}

/** Starts recording access times in every db (see the file header). */
export function enableAccessTracking(server: Server): void {
  if (server.dbs[0]?.trackAccess) return;
  for (const db of server.dbs) db.trackAccess = true;
}

/** RESTORE … IDLETIME: the key's last access becomes `seconds` ago. */
export function setIdleTime(server: Server, db: Db, key: string, seconds: number): void {
  enableAccessTracking(server);
  db.access.set(key, Date.now() - seconds * 1000);
}

/** RESTORE … FREQ: the value's LFU counter. */
export function setLfuFreq(v: Value, freq: number): void {
  lfu.set(v, { counter: freq, minute: Math.floor(Date.now() / 60000) });
}

export function lfuPolicy(ctx: Ctx): boolean {
  return configText(ctx, "maxmemory-policy", "noeviction").includes("lfu");
}

/** OBJECT ENCODING's name for a value, as tryObjectEncoding would have chosen it. */
export function encodingOf(v: Value): string {
  if (v instanceof MutableString) return "raw";
  if (v instanceof Uint8Array) {
    if (v.length <= 20 && parseInt64(v) !== undefined) return "int";
    return v.length <= EMBSTR_LIMIT ? "embstr" : "raw";
  }
  return v.encoding();
}

function refcountOf(ctx: Ctx, v: Value): number {
  if (!(v instanceof Uint8Array) || v.length > 4 || unshared.has(v)) return 1;
  const n = parseInt64(v);
  if (typeof n !== "number" || n < 0 || n >= SHARED_INTEGERS) return 1;
  // Redis stops sharing integers when an LRU/LFU policy needs a clock per object.
  const policy = configText(ctx, "maxmemory-policy", "noeviction");
  const maxmemory = configText(ctx, "maxmemory", "0");
  if (maxmemory !== "0" && (policy.includes("lru") || policy.includes("lfu"))) return 1;
  return SHARED_REFCOUNT;
}

/** objectCommandLookupOrReply: the value, or a null reply and undefined. */
function lookup(ctx: Ctx, arg: Uint8Array): Value | undefined {
  const v = lookupRead(ctx, toKey(arg), { noTouch: true, noNotify: true });
  if (v === undefined) ctx.reply.nil();
  return v;
}

function objectEncoding(ctx: Ctx, args: Uint8Array[]): void {
  const v = lookup(ctx, args[2]);
  if (v !== undefined) ctx.reply.bulkStr(encodingOf(v));
}

function objectRefcount(ctx: Ctx, args: Uint8Array[]): void {
  const v = lookup(ctx, args[2]);
  if (v !== undefined) ctx.reply.int(refcountOf(ctx, v));
}

function objectIdletime(ctx: Ctx, args: Uint8Array[]): void {
  const v = lookup(ctx, args[2]);
  if (v === undefined) return;
  if (lfuPolicy(ctx)) {
    ctx.reply.error(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  enableAccessTracking(ctx.server);
  const last = ctx.db.access.get(toKey(args[2])) ?? ctx.server.startedAt;
  // Whole seconds between two readings of a 1 s clock, like Redis's LRU clock.
  ctx.reply.int(Math.max(0, Math.floor(Date.now() / 1000) - Math.floor(last / 1000)));
}

function objectFreq(ctx: Ctx, args: Uint8Array[]): void {
  const v = lookup(ctx, args[2]);
  if (v === undefined) return;
  if (!lfuPolicy(ctx)) {
    ctx.reply.error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  const rec = lfu.get(v);
  if (!rec) {
    ctx.reply.int(LFU_INIT_VAL);
    return;
  }
  const decay = Number(configText(ctx, "lfu-decay-time", "1"));
  const periods = decay > 0 ? Math.floor((Math.floor(Date.now() / 60000) - rec.minute) / decay) : 0;
  ctx.reply.int(Math.max(0, rec.counter - periods));
}

function objectHelp(ctx: Ctx, args: Uint8Array[]): void {
  const r = ctx.reply;
  r.array(HELP.length + 3);
  let cmd = "";
  for (const c of args[0]) cmd += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c);
  r.simple(`${cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const line of HELP) r.simple(line);
  r.simple("HELP");
  r.simple("    Prints this help.");
}

/** TOUCH: a read lookup per key, which updates its access time. */
function touch(ctx: Ctx, args: Uint8Array[]): void {
  enableAccessTracking(ctx.server);
  let n = 0;
  for (let i = 1; i < args.length; i++) if (lookupRead(ctx, toKey(args[i])) !== undefined) n++;
  ctx.reply.int(n);
}

export const objectCommands: CommandDef[] = [
  { name: "object|encoding", run: objectEncoding },
  { name: "object|refcount", run: objectRefcount },
  { name: "object|idletime", run: objectIdletime },
  { name: "object|freq", run: objectFreq },
  { name: "object|help", run: objectHelp },
  { name: "touch", run: touch },
];
