// Polls INFO once a second while the page is visible and keeps ten minutes of samples for the
// Server view's charts (so they have history the moment the view opens).

import { signal } from "@preact/signals";
import { cmdRaw, connState, isError } from "../lib/conn.ts";
import { parseInfo } from "../lib/format.ts";

export interface Sample {
  t: number;
  ops: number | null;
  clients: number | null;
  memory: number | null;
  /** Keyspace hit ratio over the last interval (%), null without lookups. */
  hitRatio: number | null;
  /** WAL/AOF size in bytes when INFO reports one. */
  wal: number | null;
}

export const KEEP = 600;
export const samples = signal<Sample[]>([]);
export const info = signal<Map<string, Map<string, string>>>(new Map());
export const infoError = signal("");
export const databases = signal(16);

let prev: { t: number; cmds: number; hits: number; misses: number } | undefined;
let timer = 0;

function num(
  sec: Map<string, string> | undefined,
  field: string,
): number | null {
  const v = sec?.get(field);
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Finds a field across sections (INFO layouts differ slightly between servers). */
function field(
  all: Map<string, Map<string, string>>,
  name: string,
): number | null {
  for (const sec of all.values()) {
    const n = num(sec, name);
    if (n !== null) return n;
  }
  return null;
}

async function poll(): Promise<void> {
  if (document.hidden || connState.value !== "open") return;
  const r = await cmdRaw("INFO").catch(() => null);
  if (r === null) return;
  if (isError(r)) {
    infoError.value = r.error;
    return;
  }
  if (typeof r !== "string") return;
  infoError.value = "";
  const all = parseInfo(r);
  info.value = all;
  const t = Date.now();
  const cmds = field(all, "total_commands_processed");
  const hits = field(all, "keyspace_hits") ?? 0;
  const misses = field(all, "keyspace_misses") ?? 0;
  let ops = field(all, "instantaneous_ops_per_sec");
  let hitRatio: number | null = null;
  if (prev && cmds !== null) {
    const dt = (t - prev.t) / 1000;
    if (ops === null && dt > 0) ops = Math.max(0, (cmds - prev.cmds) / dt);
    const lookups = hits - prev.hits + misses - prev.misses;
    if (lookups > 0) hitRatio = ((hits - prev.hits) / lookups) * 100;
  }
  if (cmds !== null) prev = { t, cmds, hits, misses };
  const wal = field(all, "wal_size") ?? field(all, "wal_current_size") ??
    field(all, "aof_current_size") ?? field(all, "aof_base_size");
  const s: Sample = {
    t,
    ops,
    clients: field(all, "connected_clients"),
    memory: field(all, "used_memory"),
    hitRatio,
    wal,
  };
  const next = samples.value.length >= KEEP ? samples.value.slice(1) : samples.value.slice();
  next.push(s);
  samples.value = next;
}

/** Starts the INFO poller and reads the number of databases once. */
export function startServerPolling(): void {
  if (timer) return;
  timer = setInterval(poll, 1000);
  void poll();
  void cmdRaw("CONFIG", "GET", "databases").then((r) => {
    const n = Array.isArray(r)
      ? Number(r[1])
      : r && typeof r === "object" && !isError(r)
      ? Number((r as Record<string, unknown>).databases)
      : NaN;
    if (Number.isInteger(n) && n > 0) databases.value = n;
  }).catch(() => {});
}
