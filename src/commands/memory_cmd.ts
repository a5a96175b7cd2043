// MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE. JavaScript gives no allocator per object, so the
// numbers are estimates: a key costs its bytes plus a fixed per-entry overhead (the Map entry, the
// value object and the scan-index slot), a value what its representation reports (strings their
// length rounded to 8, collections their own memoryUsage()). Process totals come from
// Deno.memoryUsage().

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { replyHelp } from "./help_reply.ts";
import type { Value } from "../store/types.ts";
import { stringBytes } from "../store/types.ts";

/** Per-key overhead: Map entry (~40 B), value header (~24 B) and index slot (~8 B). */
export const KEY_OVERHEAD = 72;

/** Estimated bytes held by one key and its value. */
export function keyMemory(key: string, v: Value): number {
  const s = stringBytes(v);
  const value = s ? 16 + ((s.length + 7) & ~7) : (v as { memoryUsage(): number }).memoryUsage();
  return KEY_OVERHEAD + ((key.length + 7) & ~7) + value;
}

const HELP = [
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
];

function usage(ctx: Ctx, args: Uint8Array[]): void {
  for (let i = 3; i < args.length; i++) {
    if (eqi(args[i], "samples") && i + 1 < args.length) {
      const n = parseInt64(args[++i]);
      if (n === undefined) return ctx.reply.error("ERR value is not an integer or out of range");
      if (n < 0) return ctx.reply.error("ERR syntax error");
    } else return ctx.reply.error("ERR syntax error");
  }
  const key = toKey(args[2]);
  const v = ctx.db.get(key, false);
  if (v === undefined) return ctx.reply.nil();
  ctx.reply.int(keyMemory(key, v));
}

/** Totals for MEMORY STATS and INFO memory. */
export function memoryTotals(): { rss: number; heap: number; external: number; used: number } {
  const m = Deno.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external, used: m.heapUsed + m.external };
}

function stats(ctx: Ctx): void {
  const m = memoryTotals();
  const s = ctx.server;
  const keys = s.dbs.reduce((n, db) => n + db.size, 0);
  const fields: [string, number][] = [
    ["peak.allocated", Math.max(m.used, s.stats.peakMemory)],
    ["total.allocated", m.used],
    ["startup.allocated", s.startupMemory],
    ["replication.backlog", 0],
    ["clients.slaves", 0],
    ["clients.normal", 0],
    ["cluster.links", 0],
    ["aof.buffer", 0],
    ["lua.caches", 0],
    ["functions.caches", 0],
    ["overhead.total", s.startupMemory],
    ["keys.count", keys],
    ["keys.bytes-per-key", keys ? Math.floor(Math.max(0, m.used - s.startupMemory) / keys) : 0],
    ["dataset.bytes", Math.max(0, m.used - s.startupMemory)],
  ];
  const r = ctx.reply;
  r.map(fields.length + 1);
  for (const [k, v] of fields) {
    r.bulkStr(k);
    r.int(v);
  }
  r.bulkStr("rss-bytes");
  r.int(m.rss);
}

function doctor(ctx: Ctx): void {
  ctx.reply.verbatim(
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.",
  );
}

function mallocStats(ctx: Ctx): void {
  const m = Deno.memoryUsage();
  ctx.reply.verbatim(
    `V8 heap: total=${m.heapTotal} used=${m.heapUsed} external=${m.external} rss=${m.rss}\n`,
  );
}

export const memoryCommands: CommandDef[] = [
  { name: "memory|usage", run: usage },
  { name: "memory|stats", run: stats },
  { name: "memory|doctor", run: doctor },
  { name: "memory|malloc-stats", run: mallocStats },
  { name: "memory|purge", run: (ctx) => ctx.reply.ok() },
  { name: "memory|help", run: (ctx, args) => replyHelp(ctx, args, HELP) },
];
