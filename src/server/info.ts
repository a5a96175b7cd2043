// INFO: Redis 7.0's sections and field names, built from the server's own counters. Subsystems add
// sections (or replace one) with `registerInfoSection`, so INFO, /api/info and /metrics read the
// same numbers.

import { cpuUsage } from "node:process";
import { arch, hostname, release, type } from "node:os";
import type { Server } from "./server.ts";
import { REDIS_VERSION } from "../commands/table.ts";
import { aofInfoFields } from "../wal/info_fields.ts";
import { pubsubOf } from "./pubsub.ts";
import { trackingInfo } from "./tracking.ts";

export type InfoFields = [string, string | number][];
export type InfoSection = (server: Server) => InfoFields;

/** Reredis's own version, reported beside the Redis version whose behaviour we match. */
export const REREDIS_VERSION = "0.1.0";

interface SectionDef {
  name: string;
  build: InfoSection;
  /** Part of INFO / INFO default (else only with `all`/`everything` or by name). */
  inDefault: boolean;
}

const sections: SectionDef[] = [];

/** Adds a section (or replaces the one with the same name), keeping Redis's order for built-ins. */
export function registerInfoSection(name: string, build: InfoSection, inDefault = true): void {
  const i = sections.findIndex((s) => s.name === name);
  if (i >= 0) sections[i] = { name, build, inDefault };
  else sections.push({ name, build, inDefault });
}

const human = (n: number): string => {
  if (n < 1024) return `${n}B`;
  const units = ["K", "M", "G", "T", "P"];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)}${units[u]}`;
};

/**
 * Facts that cannot change while the process runs, read once: each read is a system call (an op
 * costing 5-20 µs), and INFO asked for all of them on every call.
 */
let fixed: { os: string; executable: string; hostname: string; totalMemory: number } | undefined;
const facts = () =>
  fixed ??= {
    os: `${type()} ${release()} ${arch()}`,
    executable: Deno.execPath(),
    hostname: hostname(),
    totalMemory: totalSystemMemory(),
  };

const memory = () => {
  const m = Deno.memoryUsage();
  return { rss: m.rss, used: m.heapUsed + m.external };
};

registerInfoSection("server", (s) => {
  const now = Date.now();
  const up = Math.floor((now - s.startedAt) / 1000);
  return [
    ["redis_version", REDIS_VERSION],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", "0"],
    ["redis_mode", s.clusterEnabled ? "cluster" : "standalone"],
    ["os", facts().os],
    ["arch_bits", 64],
    ["monotonic_clock", "POSIX clock_gettime"],
    ["multiplexing_api", "epoll"],
    ["atomicvar_api", "c11-builtin"],
    ["gcc_version", "0.0.0"],
    ["process_id", Deno.pid],
    ["process_supervised", "no"],
    ["run_id", s.runId],
    ["tcp_port", s.ports.resp],
    ["server_time_usec", Math.floor((performance.timeOrigin + performance.now()) * 1000)],
    ["uptime_in_seconds", up],
    ["uptime_in_days", Math.floor(up / 86400)],
    ["hz", s.config.num("hz")],
    ["configured_hz", s.config.num("hz")],
    ["lru_clock", Math.floor(now / 1000) & 0xffffff],
    ["executable", facts().executable],
    ["config_file", s.config.file ?? ""],
    ["io_threads_active", 0],
    ["reredis_version", REREDIS_VERSION],
    ["deno_version", Deno.version.deno],
    ["http_port", s.ports.http],
    ["hostname", facts().hostname],
  ];
});

registerInfoSection("clients", (s) => {
  let maxIn = 0;
  let maxOut = 0;
  let connected = 0;
  for (const c of s.clients.values()) {
    maxIn = Math.max(maxIn, c.parser.buffered);
    maxOut = Math.max(maxOut, c.reply.len);
    if (c.conn) connected++;
  }
  return [
    ["connected_clients", connected],
    ["cluster_connections", 0],
    ["maxclients", s.config.num("maxclients")],
    ["client_recent_max_input_buffer", maxIn],
    ["client_recent_max_output_buffer", maxOut],
    ["blocked_clients", s.blocking.count],
    ["tracking_clients", trackingInfo(s).clients],
    ["clients_in_timeout_table", s.blocking.count],
  ];
});

registerInfoSection("memory", (s) => {
  const m = memory();
  const peak = Math.max(m.used, s.stats.peakMemory);
  const total = facts().totalMemory;
  const maxmemory = s.config.num("maxmemory");
  const dataset = Math.max(0, m.used - s.startupMemory);
  return [
    ["used_memory", m.used],
    ["used_memory_human", human(m.used)],
    ["used_memory_rss", m.rss],
    ["used_memory_rss_human", human(m.rss)],
    ["used_memory_peak", peak],
    ["used_memory_peak_human", human(peak)],
    ["used_memory_peak_perc", `${((m.used / peak) * 100).toFixed(2)}%`],
    ["used_memory_overhead", s.startupMemory],
    ["used_memory_startup", s.startupMemory],
    ["used_memory_dataset", dataset],
    ["used_memory_dataset_perc", `${((dataset / Math.max(1, m.used)) * 100).toFixed(2)}%`],
    ["total_system_memory", total],
    ["total_system_memory_human", human(total)],
    ["used_memory_lua", 0],
    ["used_memory_scripts", 0],
    ["maxmemory", maxmemory],
    ["maxmemory_human", human(maxmemory)],
    ["maxmemory_policy", s.config.text("maxmemory-policy")],
    ["mem_fragmentation_ratio", (m.rss / Math.max(1, m.used)).toFixed(2)],
    ["mem_allocator", "v8"],
    ["lazyfree_pending_objects", 0],
    ["lazyfreed_objects", 0],
  ];
});

registerInfoSection("persistence", (s) => {
  const p = s.loadingProgress;
  const fields: InfoFields = [
    ["loading", s.loading ? 1 : 0],
    ["async_loading", 0],
    ["current_cow_peak", 0],
    ["current_cow_size", 0],
    ["current_cow_size_age", 0],
    ["current_fork_perc", "0.00"],
    ["current_save_keys_processed", 0],
    ["current_save_keys_total", 0],
  ];
  if (s.loading && p) {
    const secs = Math.max(0.001, (Date.now() - p.startedAt) / 1000);
    const perc = p.totalBytes ? (p.loadedBytes / p.totalBytes) * 100 : 0;
    const rate = p.loadedBytes / secs;
    fields.push(
      ["loading_start_time", Math.floor(p.startedAt / 1000)],
      ["loading_total_bytes", p.totalBytes],
      ["loading_rdb_used_mem", 0],
      ["loading_loaded_bytes", p.loadedBytes],
      ["loading_loaded_perc", `${perc.toFixed(2)}%`],
      ["loading_eta_seconds", rate > 0 ? Math.ceil((p.totalBytes - p.loadedBytes) / rate) : 1],
    );
  }
  fields.push(
    ["rdb_changes_since_last_save", s.wp.dirty],
    ["rdb_bgsave_in_progress", 0],
    ["rdb_last_save_time", Math.floor(s.startedAt / 1000)],
    ["rdb_last_bgsave_status", "ok"],
    ["rdb_last_bgsave_time_sec", -1],
    ["rdb_current_bgsave_time_sec", -1],
    ["rdb_saves", 0],
    ["rdb_last_cow_size", 0],
    ["rdb_last_load_keys_expired", 0],
    ["rdb_last_load_keys_loaded", 0],
    ...aofInfoFields(s),
  );
  return fields;
});

registerInfoSection("stats", (s) => {
  const st = s.stats;
  const ps = pubsubOf(s);
  return [
    ["total_connections_received", st.totalConnections],
    ["total_commands_processed", st.totalCommands],
    ["instantaneous_ops_per_sec", st.opsPerSec],
    ["total_net_input_bytes", st.netInputBytes],
    ["total_net_output_bytes", st.netOutputBytes],
    ["total_net_repl_input_bytes", 0],
    ["total_net_repl_output_bytes", 0],
    ["instantaneous_input_kbps", "0.00"],
    ["instantaneous_output_kbps", "0.00"],
    ["instantaneous_input_repl_kbps", "0.00"],
    ["instantaneous_output_repl_kbps", "0.00"],
    ["rejected_connections", st.rejectedConnections],
    ["sync_full", 0],
    ["sync_partial_ok", 0],
    ["sync_partial_err", 0],
    ["expired_keys", st.expiredKeys],
    ["expired_stale_perc", st.expiredStalePerc.toFixed(2)],
    ["expired_time_cap_reached_count", st.expiredTimeCapReachedCount],
    ["expire_cycle_cpu_milliseconds", 0],
    ["evicted_keys", st.evictedKeys],
    ["evicted_clients", 0],
    ["total_eviction_exceeded_time", 0],
    ["current_eviction_exceeded_time", 0],
    ["keyspace_hits", st.keyspaceHits],
    ["keyspace_misses", st.keyspaceMisses],
    ["pubsub_channels", ps.channels.size],
    ["pubsub_patterns", ps.patterns.size],
    ["pubsubshard_channels", ps.shardChannels.size],
    ["latest_fork_usec", 0],
    ["total_forks", 0],
    ["migrate_cached_sockets", 0],
    ["slave_expires_tracked_keys", 0],
    ["active_defrag_hits", 0],
    ["active_defrag_misses", 0],
    ["active_defrag_key_hits", 0],
    ["active_defrag_key_misses", 0],
    ["total_active_defrag_time", 0],
    ["current_active_defrag_time", 0],
    ["tracking_total_keys", trackingInfo(s).keys],
    ["tracking_total_items", trackingInfo(s).items],
    ["tracking_total_prefixes", trackingInfo(s).prefixes],
    ["unexpected_error_replies", 0],
    ["total_error_replies", st.totalErrorReplies],
    ["dump_payload_sanitizations", 0],
    ["total_reads_processed", 0],
    ["total_writes_processed", 0],
    ["io_threaded_reads_processed", 0],
    ["io_threaded_writes_processed", 0],
    ["reply_buffer_shrinks", 0],
    ["reply_buffer_expands", 0],
  ];
});

registerInfoSection("replication", (s) => [
  ["role", "master"],
  ["connected_slaves", 0],
  ["master_failover_state", "no-failover"],
  ["master_replid", s.runId],
  ["master_replid2", "0000000000000000000000000000000000000000"],
  ["master_repl_offset", 0],
  ["second_repl_offset", -1],
  ["repl_backlog_active", 0],
  ["repl_backlog_size", s.config.num("repl-backlog-size")],
  ["repl_backlog_first_byte_offset", 0],
  ["repl_backlog_histlen", 0],
]);

registerInfoSection("cpu", () => {
  const u = cpuUsage();
  const sys = (u.system / 1e6).toFixed(6);
  const user = (u.user / 1e6).toFixed(6);
  return [
    ["used_cpu_sys", sys],
    ["used_cpu_user", user],
    ["used_cpu_sys_children", "0.000000"],
    ["used_cpu_user_children", "0.000000"],
    ["used_cpu_sys_main_thread", sys],
    ["used_cpu_user_main_thread", user],
  ];
});

registerInfoSection("modules", () => []);

registerInfoSection("commandstats", (s) => {
  const out: InfoFields = [];
  for (const c of s.table.all()) {
    const st = c.stats;
    if (st.calls === 0 && st.rejected === 0 && st.failed === 0) continue;
    const per = st.calls ? (st.usec / st.calls).toFixed(2) : "0.00";
    out.push([
      `cmdstat_${c.fullName}`,
      `calls=${st.calls},usec=${
        Math.round(st.usec)
      },usec_per_call=${per},rejected_calls=${st.rejected},failed_calls=${st.failed}`,
    ]);
  }
  return out;
}, false);

registerInfoSection("errorstats", (s) => {
  const out: InfoFields = [];
  for (const [code, n] of s.stats.errors) out.push([`errorstat_${code}`, `count=${n}`]);
  return out;
});

// Filled in by src/commands/latency.ts (registered here to keep Redis's section order).
registerInfoSection("latencystats", () => [], false);

registerInfoSection("cluster", (s) => [["cluster_enabled", s.clusterEnabled ? 1 : 0]]);

registerInfoSection("keyspace", (s) => {
  const out: InfoFields = [];
  for (const db of s.dbs) {
    if (db.size === 0) continue;
    out.push([
      `db${db.id}`,
      `keys=${db.size},expires=${db.expires.size},avg_ttl=${db.avgTtl ?? 0}`,
    ]);
  }
  return out;
});

function totalSystemMemory(): number {
  try {
    return Deno.systemMemoryInfo().total;
  } catch {
    return 0;
  }
}

const TITLES: Record<string, string> = { cpu: "CPU" };
const title = (name: string) =>
  TITLES[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replace(/stats$/, "stats");

/**
 * The INFO text for the requested section names (lower-case): none or "default" gives the default
 * sections, "all" adds the rest, "everything" is all of them.
 */
export function infoText(server: Server, requested: string[]): string {
  const names = new Set(requested);
  const all = names.has("all") || names.has("everything");
  const dflt = requested.length === 0 || names.has("default");
  let out = "";
  for (const sec of sections) {
    if (!(all || names.has(sec.name) || (dflt && sec.inDefault))) continue;
    if (out !== "") out += "\r\n";
    out += `# ${title(sec.name)}\r\n`;
    for (const [k, v] of sec.build(server)) out += `${k}:${v}\r\n`;
  }
  return out;
}

/** One INFO section as name → value, for /api/info and /metrics. */
export function infoFields(server: Server, section: string): InfoFields {
  return sections.find((s) => s.name === section)?.build(server) ?? [];
}

/** Every section name, in order. */
export function infoSectionNames(): string[] {
  return sections.map((s) => s.name);
}
