// GET /metrics: Prometheus text exposition (format 0.0.4). The numbers are INFO's (read through
// infoFields and the same counters INFO commandstats / errorstats / latencystats use), plus the
// WAL's fsync histogram, the change feed's counters and event-loop lag.

import type { Server } from "../server/server.ts";
import { infoFields } from "../server/info.ts";
import { feedOf } from "../feed/feed.ts";
import { FSYNC_BUCKETS } from "../wal/aof.ts";
import { commandLatencies } from "../commands/latency.ts";

/** One metric family: HELP, TYPE and its samples. */
class Out {
  text = "";
  family(name: string, type: "counter" | "gauge" | "histogram" | "summary", help: string): void {
    this.text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  }
  sample(name: string, value: number, labels?: Record<string, string>): void {
    let l = "";
    if (labels) {
      l = "{" + Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",") + "}";
    }
    this.text += `${name}${l} ${fmt(value)}\n`;
  }
  one(name: string, type: "counter" | "gauge", help: string, value: number): void {
    this.family(name, type, help);
    this.sample(name, value);
  }
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  return String(v);
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function fields(server: Server, section: string): Map<string, string | number> {
  return new Map(infoFields(server, section));
}

const num = (m: Map<string, string | number>, k: string): number => Number(m.get(k) ?? 0);

/** Event-loop lag: how late a 100 ms timer fires, the worst of the last sampling window. */
const lag = new WeakMap<Server, { worst: number; last: number }>();

export function startLoopLagSampler(server: Server): () => void {
  const st = { worst: 0, last: 0 };
  lag.set(server, st);
  let expected = performance.now() + 100;
  let windowStart = Date.now();
  const t = setInterval(() => {
    const now = performance.now();
    const late = Math.max(0, now - expected);
    expected = now + 100;
    st.worst = Math.max(st.worst, late);
    if (Date.now() - windowStart >= 5000) {
      st.last = st.worst;
      st.worst = 0;
      windowStart = Date.now();
    }
  }, 100);
  return () => clearInterval(t);
}

export function metricsText(server: Server): string {
  const o = new Out();
  const stats = fields(server, "stats");
  const clients = fields(server, "clients");
  const memory = fields(server, "memory");
  const srv = fields(server, "server");

  o.one(
    "reredis_uptime_seconds",
    "gauge",
    "Seconds since the server started.",
    num(srv, "uptime_in_seconds"),
  );
  o.one(
    "reredis_connected_clients",
    "gauge",
    "Connected clients (INFO connected_clients).",
    num(clients, "connected_clients"),
  );
  o.one(
    "reredis_blocked_clients",
    "gauge",
    "Clients blocked on a key.",
    num(clients, "blocked_clients"),
  );
  o.one(
    "reredis_connections_received_total",
    "counter",
    "Connections accepted.",
    num(stats, "total_connections_received"),
  );
  o.one(
    "reredis_commands_processed_total",
    "counter",
    "Commands processed (INFO total_commands_processed).",
    num(stats, "total_commands_processed"),
  );
  o.one(
    "reredis_error_replies_total",
    "counter",
    "Error replies sent.",
    num(stats, "total_error_replies"),
  );
  o.one(
    "reredis_keyspace_hits_total",
    "counter",
    "Successful key lookups.",
    num(stats, "keyspace_hits"),
  );
  o.one(
    "reredis_keyspace_misses_total",
    "counter",
    "Failed key lookups.",
    num(stats, "keyspace_misses"),
  );
  o.one(
    "reredis_expired_keys_total",
    "counter",
    "Keys removed because their TTL passed.",
    num(stats, "expired_keys"),
  );
  o.one(
    "reredis_evicted_keys_total",
    "counter",
    "Keys evicted by maxmemory.",
    num(stats, "evicted_keys"),
  );
  o.one(
    "reredis_net_input_bytes_total",
    "counter",
    "Bytes read from clients.",
    num(stats, "total_net_input_bytes"),
  );
  o.one(
    "reredis_net_output_bytes_total",
    "counter",
    "Bytes written to clients.",
    num(stats, "total_net_output_bytes"),
  );

  const mem = Deno.memoryUsage();
  o.one("reredis_memory_rss_bytes", "gauge", "Resident set size of the process.", mem.rss);
  o.one("reredis_memory_heap_used_bytes", "gauge", "V8 heap in use.", mem.heapUsed);
  o.one("reredis_memory_heap_total_bytes", "gauge", "V8 heap reserved.", mem.heapTotal);
  o.one(
    "reredis_memory_external_bytes",
    "gauge",
    "Memory outside the V8 heap (byte arrays).",
    mem.external,
  );
  o.one("reredis_memory_used_bytes", "gauge", "INFO used_memory.", num(memory, "used_memory"));

  o.family("reredis_keys", "gauge", "Keys per database.");
  for (const db of server.dbs) {
    if (db.size > 0) o.sample("reredis_keys", db.size, { db: String(db.id) });
  }
  o.family("reredis_expires", "gauge", "Keys with a TTL per database.");
  for (const db of server.dbs) {
    if (db.size > 0) o.sample("reredis_expires", db.expires.size, { db: String(db.id) });
  }

  o.family("reredis_commands_total", "counter", "Calls per command (INFO commandstats calls).");
  const used = [...server.table.all()].filter((c) =>
    c.stats.calls + c.stats.failed + c.stats.rejected > 0
  );
  for (const c of used) o.sample("reredis_commands_total", c.stats.calls, { cmd: c.fullName });
  o.family(
    "reredis_commands_failed_total",
    "counter",
    "Calls that replied with an error (failed_calls).",
  );
  for (const c of used) {
    o.sample("reredis_commands_failed_total", c.stats.failed, { cmd: c.fullName });
  }
  o.family(
    "reredis_commands_rejected_total",
    "counter",
    "Commands rejected before running (rejected_calls).",
  );
  for (const c of used) {
    o.sample("reredis_commands_rejected_total", c.stats.rejected, { cmd: c.fullName });
  }
  o.family("reredis_commands_duration_seconds_total", "counter", "Time spent per command (usec).");
  for (const c of used) {
    o.sample("reredis_commands_duration_seconds_total", c.stats.usec / 1e6, { cmd: c.fullName });
  }
  o.family(
    "reredis_command_latency_seconds",
    "summary",
    "Command latency percentiles (INFO latencystats).",
  );
  for (const [cmd, h] of commandLatencies(server)) {
    for (const q of [0.5, 0.99, 0.999]) {
      o.sample("reredis_command_latency_seconds", h.percentile(q * 100) / 1e6, {
        cmd,
        quantile: String(q),
      });
    }
    o.sample("reredis_command_latency_seconds_count", h.count, { cmd });
  }
  o.family("reredis_errors_total", "counter", "Error replies by error code (INFO errorstats).");
  for (const [code, n] of server.stats.errors) o.sample("reredis_errors_total", n, { code });

  const aof = server.aof;
  o.one("reredis_wal_enabled", "gauge", "1 when the write-ahead log is on.", aof ? 1 : 0);
  if (aof) {
    o.one(
      "reredis_wal_size_bytes",
      "gauge",
      "Size of the WAL (base + incremental files).",
      aof.currentSize,
    );
    o.one(
      "reredis_wal_last_rewrite_timestamp_seconds",
      "gauge",
      "When the WAL was last compacted (0: never).",
      aof.lastRewriteAt / 1000,
    );
    o.family("reredis_wal_fsync_duration_seconds", "histogram", "WAL fsync latency.");
    let cum = 0;
    FSYNC_BUCKETS.forEach((le, i) => {
      cum += aof.fsyncHistogram[i];
      o.sample("reredis_wal_fsync_duration_seconds_bucket", cum, { le: String(le) });
    });
    cum += aof.fsyncHistogram[FSYNC_BUCKETS.length];
    o.sample("reredis_wal_fsync_duration_seconds_bucket", cum, { le: "+Inf" });
    o.sample("reredis_wal_fsync_duration_seconds_sum", aof.fsyncSum);
    o.sample("reredis_wal_fsync_duration_seconds_count", cum);
  }

  const feed = feedOf(server);
  o.one(
    "reredis_feed_subscribers",
    "gauge",
    "WebSocket connections with a change-feed subscription.",
    feed.subscribers,
  );
  o.one("reredis_feed_connections", "gauge", "Open WebSocket connections.", feed.conns.size);
  o.one(
    "reredis_feed_events_total",
    "counter",
    "Change events recorded in the feed.",
    feed.eventsTotal,
  );
  o.one(
    "reredis_feed_dropped_events_total",
    "counter",
    "Events dropped for slow WebSocket consumers.",
    feed.droppedTotal,
  );
  o.family(
    "reredis_feed_delivery_seconds",
    "histogram",
    "Time from a change to its event being written to a subscriber's socket.",
  );
  let cumDelivery = 0;
  feed.delivery.bounds.forEach((le, i) => {
    cumDelivery += feed.delivery.counts[i];
    o.sample("reredis_feed_delivery_seconds_bucket", cumDelivery, { le: String(le) });
  });
  cumDelivery += feed.delivery.counts[feed.delivery.bounds.length];
  o.sample("reredis_feed_delivery_seconds_bucket", cumDelivery, { le: "+Inf" });
  o.sample("reredis_feed_delivery_seconds_sum", feed.delivery.sum);
  o.sample("reredis_feed_delivery_seconds_count", cumDelivery);
  o.one("reredis_feed_last_seq", "gauge", "Sequence number of the newest event.", feed.lastSeq);
  o.one(
    "reredis_event_loop_lag_seconds",
    "gauge",
    "Worst event-loop delay over the last 5 s window.",
    (lag.get(server)?.last ?? 0) / 1000,
  );
  return o.text;
}
