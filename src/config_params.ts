// The parameter table: every Redis 7.0 parameter with its type, default (in CONFIG GET form),
// bounds and flags, as redis-server 7.0.15 reports and checks them, plus Reredis's own http-port.
// `implemented: false` marks parameters accepted for compatibility that have no effect here.

import type { ParamDef, ParamFlags, SpecialKind } from "./config.ts";

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const LONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

/** Parameters Reredis honours (the rest are stored and shown, with no effect). */
const IMPLEMENTED = new Set([
  // Read by scripting, pub/sub limits, DEBUG/CONFIG guards, lists, streams and HyperLogLog.
  "busy-reply-threshold",
  "client-output-buffer-limit",
  "enable-debug-command",
  "enable-protected-configs",
  "list-max-listpack-size",
  "stream-node-max-bytes",
  "stream-node-max-entries",
  "hll-sparse-max-bytes",
  "port",
  "bind",
  "http-port",
  // The change feed, notifications and observers (src/feed/, src/net/, issue 7).
  "notify-keyspace-events",
  "slowlog-log-slower-than",
  "slowlog-max-len",
  "latency-monitor-threshold",
  "latency-tracking",
  "latency-tracking-info-percentiles",
  "tracking-table-max-keys",
  "feed-ring-size",
  "feed-value-max-bytes",
  "feed-queue-max-events",
  "feed-slow-consumer-timeout",
  "feed-cpu-percent",
  "http-max-body-size",
  "dir",
  "databases",
  "loglevel",
  "logfile",
  "requirepass",
  "proto-max-bulk-len",
  "maxclients",
  "timeout",
  "hz",
  // Encoding thresholds the data types read live.
  "hash-max-listpack-entries",
  "hash-max-listpack-value",
  "set-max-intset-entries",
  "zset-max-listpack-entries",
  "zset-max-listpack-value",
  "maxmemory-policy",
  "lfu-decay-time",
  // Cluster mode (src/cluster/).
  "cluster-enabled",
  "cluster-config-file",
  "cluster-node-timeout",
  "cluster-port",
  "cluster-announce-ip",
  "cluster-announce-port",
  "cluster-announce-bus-port",
  "cluster-announce-hostname",
  "cluster-require-full-coverage",
  "cluster-allow-reads-when-down",
  "cluster-allow-pubsubshard-when-down",
  "cluster-auto-assign",
  // The WAL (src/wal/).
  "appendonly",
  "appendfsync",
  "appendfilename",
  "appenddirname",
  "aof-load-truncated",
  "auto-aof-rewrite-percentage",
  "auto-aof-rewrite-min-size",
]);

type Extra = ParamFlags & { aliases?: string[] };

function def(name: string, p: Omit<ParamDef, "name" | "implemented">): ParamDef {
  return { name, implemented: IMPLEMENTED.has(name), ...p };
}

const bool = (name: string, dflt: boolean, x: Extra = {}): ParamDef =>
  def(name, { type: "bool", default: dflt ? "yes" : "no", ...x });

/** A signed integer parameter (string2ll, no units). */
const int = (
  name: string,
  dflt: number,
  min: number | bigint,
  max: number | bigint,
  x: Extra = {},
): ParamDef => def(name, { type: "int", default: String(dflt), min, max, ...x });

/** An unsigned C type (unsigned int, size_t, unsigned long long): negatives wrap to huge values. */
const uint = (
  name: string,
  dflt: number,
  min: number | bigint,
  max: number | bigint,
  x: Extra = {},
): ParamDef => int(name, dflt, min, max, { unsigned: true, ...x });

/** A byte count accepting k/kb/m/mb/g/gb units (memtoull). */
const mem = (
  name: string,
  dflt: number,
  min: number | bigint,
  max: number | bigint,
  x: Extra = {},
): ParamDef => def(name, { type: "memory", default: String(dflt), min, max, ...x });

const str = (name: string, dflt: string, x: Extra = {}): ParamDef =>
  def(name, { type: "string", default: dflt, ...x });

const enumOf = (name: string, dflt: string, values: string[], x: Extra = {}): ParamDef =>
  def(name, { type: "enum", default: dflt, enumValues: values, ...x });

const special = (name: string, kind: SpecialKind, dflt: string, x: Extra = {}): ParamDef =>
  def(name, { type: "special", special: kind, default: dflt, ...x });

const IMM = { immutable: true } as const;
const YESNO_LOCAL = ["no", "yes", "local"];
const SHUTDOWN_ON_SIG = ["default", "save", "nosave", "now", "force"];

export const PARAMS: ParamDef[] = [
  // Booleans.
  bool("rdbchecksum", true, IMM),
  bool("daemonize", false, IMM),
  bool("io-threads-do-reads", false, IMM),
  bool("always-show-logo", false, IMM),
  bool("protected-mode", true),
  bool("rdbcompression", true),
  bool("rdb-del-sync-files", false),
  bool("activerehashing", true),
  bool("stop-writes-on-bgsave-error", true),
  bool("set-proc-title", true, IMM),
  bool("dynamic-hz", true),
  bool("lazyfree-lazy-eviction", false),
  bool("lazyfree-lazy-expire", false),
  bool("lazyfree-lazy-server-del", false),
  bool("lazyfree-lazy-user-del", false),
  bool("lazyfree-lazy-user-flush", false),
  bool("repl-disable-tcp-nodelay", false),
  bool("repl-diskless-sync", true),
  bool("aof-rewrite-incremental-fsync", true),
  bool("no-appendfsync-on-rewrite", false),
  bool("cluster-require-full-coverage", true),
  bool("rdb-save-incremental-fsync", true),
  bool("aof-load-truncated", true),
  bool("aof-use-rdb-preamble", true),
  bool("aof-timestamp-enabled", false),
  bool("cluster-replica-no-failover", false, { aliases: ["cluster-slave-no-failover"] }),
  bool("replica-lazy-flush", false, { aliases: ["slave-lazy-flush"] }),
  bool("replica-serve-stale-data", true, { aliases: ["slave-serve-stale-data"] }),
  bool("replica-read-only", true, { aliases: ["slave-read-only"] }),
  bool("replica-ignore-maxmemory", true, { aliases: ["slave-ignore-maxmemory"] }),
  bool("jemalloc-bg-thread", true),
  bool("activedefrag", false),
  bool("syslog-enabled", false, IMM),
  bool("cluster-enabled", false, IMM),
  // Reredis: masters that meet with no slots split them evenly; new empty masters get a share.
  bool("cluster-auto-assign", true),
  // Reredis defaults: the WAL is on and every acknowledged write is durable (issue 6).
  bool("appendonly", true, { denyLoading: true }),
  bool("cluster-allow-reads-when-down", false),
  bool("cluster-allow-pubsubshard-when-down", true),
  bool("crash-log-enabled", true),
  bool("crash-memcheck-enabled", true),
  bool("use-exit-on-panic", false, { hidden: true }),
  bool("disable-thp", true, IMM),
  bool("cluster-allow-replica-migration", true),
  bool("replica-announced", true),
  bool("latency-tracking", true),
  bool("aof-disable-auto-gc", false),
  bool("replica-ignore-disk-write-errors", false),

  // Strings.
  str("aclfile", "", IMM),
  str("unixsocket", "", IMM),
  str("pidfile", "", IMM),
  str("replica-announce-ip", "", { aliases: ["slave-announce-ip"] }),
  str("masteruser", "", { sensitive: true }),
  str("cluster-announce-ip", ""),
  str("cluster-config-file", "nodes.conf", IMM),
  str("cluster-announce-hostname", "", { check: "hostname" }),
  str("syslog-ident", "redis", IMM),
  str("dbfilename", "dump.rdb", { protected: true, check: "dbfilename" }),
  str("appendfilename", "appendonly.aof", { immutable: true, check: "appendfilename" }),
  str("appenddirname", "appendonlydir", { immutable: true, check: "appenddirname" }),
  str("server_cpulist", "", IMM),
  str("bio_cpulist", "", IMM),
  str("aof_rewrite_cpulist", "", IMM),
  str("bgsave_cpulist", "", IMM),
  str("ignore-warnings", ""),
  str("proc-title-template", "{title} {listen-addr} {server-mode}"),
  str("bind-source-addr", ""),
  str("logfile", "", IMM),
  str("masterauth", "", { sensitive: true }),
  str("requirepass", "", { sensitive: true }),

  // Enums.
  enumOf("supervised", "no", ["upstart", "systemd", "auto", "no"], IMM),
  enumOf("syslog-facility", "local0", [
    "user",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
  ], IMM),
  enumOf("repl-diskless-load", "disabled", ["disabled", "on-empty-db", "swapdb"], {
    denyLoading: true,
  }),
  enumOf("loglevel", "notice", ["debug", "verbose", "notice", "warning"]),
  enumOf("maxmemory-policy", "noeviction", [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
  ]),
  enumOf("appendfsync", "always", ["everysec", "always", "no"]),
  enumOf("oom-score-adj", "no", ["no", "yes", "relative", "absolute"]),
  enumOf("acl-pubsub-default", "resetchannels", ["allchannels", "resetchannels"]),
  enumOf("sanitize-dump-payload", "no", ["no", "yes", "clients"]),
  enumOf("enable-protected-configs", "no", YESNO_LOCAL, IMM),
  enumOf("enable-debug-command", "no", YESNO_LOCAL, IMM),
  enumOf("enable-module-command", "no", YESNO_LOCAL, IMM),
  enumOf("cluster-preferred-endpoint-type", "ip", ["ip", "hostname", "unknown-endpoint"]),
  enumOf("propagation-error-behavior", "ignore", ["ignore", "panic", "panic-on-replicas"]),
  enumOf("shutdown-on-sigint", "default", SHUTDOWN_ON_SIG, { multiArg: true }),
  enumOf("shutdown-on-sigterm", "default", SHUTDOWN_ON_SIG, { multiArg: true }),

  // Integers.
  int("databases", 16, 1, INT_MAX, IMM),
  int("port", 6379, 0, 65535, IMM),
  int("http-port", 8080, 0, 65535, IMM),
  // Reredis: the change feed (docs/websocket.md). Events kept for `since` resumes; values bigger
  // than this many bytes (or elements) are sent as truncated; events a WebSocket may fall behind
  // before the oldest are dropped (`lagged`); seconds a socket may refuse data before it is closed.
  int("feed-ring-size", 10000, 1, 10000000),
  mem("feed-value-max-bytes", 4096, 0, 512 * 1024 * 1024),
  int("feed-queue-max-events", 1000, 1, 10000000),
  int("feed-slow-consumer-timeout", 30, 1, INT_MAX),
  // Reredis: the share of the event loop (percent) the feed may spend delivering events while the
  // process is busy; past it, delivery waits and events batch up, so writers keep the rest.
  int("feed-cpu-percent", 25, 1, 100),
  // Reredis: largest HTTP request body or WebSocket message a client may send (a bigger message
  // closes the WebSocket with 1009; a bigger body gets 413).
  mem("http-max-body-size", 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  int("io-threads", 1, 1, 128, IMM),
  int("auto-aof-rewrite-percentage", 100, 0, INT_MAX),
  int("cluster-replica-validity-factor", 10, 0, INT_MAX, {
    aliases: ["cluster-slave-validity-factor"],
  }),
  int("list-max-listpack-size", -2, INT_MIN, INT_MAX, { aliases: ["list-max-ziplist-size"] }),
  int("tcp-keepalive", 300, 0, INT_MAX),
  int("cluster-migration-barrier", 1, 0, INT_MAX),
  int("active-defrag-cycle-min", 1, 1, 99),
  int("active-defrag-cycle-max", 25, 1, 99),
  int("active-defrag-threshold-lower", 10, 0, 1000),
  int("active-defrag-threshold-upper", 100, 0, 1000),
  int("lfu-log-factor", 10, 0, INT_MAX),
  int("lfu-decay-time", 1, 0, INT_MAX),
  int("replica-priority", 100, 0, INT_MAX, { aliases: ["slave-priority"] }),
  int("repl-diskless-sync-delay", 5, 0, INT_MAX),
  int("maxmemory-samples", 5, 1, INT_MAX),
  int("maxmemory-eviction-tenacity", 10, 0, 100),
  int("timeout", 0, 0, INT_MAX),
  int("replica-announce-port", 0, 0, 65535, { aliases: ["slave-announce-port"] }),
  int("tcp-backlog", 511, 0, INT_MAX, IMM),
  int("cluster-port", 0, 0, 65535, IMM),
  int("cluster-announce-bus-port", 0, 0, 65535),
  int("cluster-announce-port", 0, 0, 65535),
  int("cluster-announce-tls-port", 0, 0, 65535),
  int("repl-timeout", 60, 1, INT_MAX),
  int("repl-ping-replica-period", 10, 1, INT_MAX, { aliases: ["repl-ping-slave-period"] }),
  int("list-compress-depth", 0, 0, INT_MAX),
  int("rdb-key-save-delay", 0, INT_MIN, INT_MAX, { hidden: true }),
  int("key-load-delay", 0, INT_MIN, INT_MAX, { hidden: true }),
  int("active-expire-effort", 1, 1, 10),
  // Redis accepts any hz and clamps it to 1..500 (updateHZ), so CONFIG GET shows the clamped value.
  int("hz", 10, 0, INT_MAX, { clamp: [1, 500] }),
  int("min-replicas-to-write", 0, 0, INT_MAX, { aliases: ["min-slaves-to-write"] }),
  int("min-replicas-max-lag", 10, 0, INT_MAX, { aliases: ["min-slaves-max-lag"] }),
  int("watchdog-period", 0, 0, INT_MAX, { hidden: true }),
  int("shutdown-timeout", 10, 0, INT_MAX),
  int("repl-diskless-sync-max-replicas", 0, 0, INT_MAX),
  int("socket-mark-id", 0, 0, INT_MAX, IMM),
  uint("maxclients", 10000, 1, 4294967295),
  def("unixsocketperm", { type: "octal", default: "0", min: 0, max: 0o777, immutable: true }),
  int("active-defrag-max-scan-fields", 1000, 1, LONG_MAX),
  int("slowlog-max-len", 128, 0, LONG_MAX),
  int("acllog-max-len", 128, 0, LONG_MAX),
  int("busy-reply-threshold", 5000, 0, LONG_MAX, { aliases: ["lua-time-limit"] }),
  int("cluster-node-timeout", 15000, 0, LONG_MAX),
  int("slowlog-log-slower-than", 10000, -1, LONG_MAX),
  int("latency-monitor-threshold", 0, 0, LONG_MAX),
  int("stream-node-max-entries", 100, 0, LONG_MAX),
  uint("hash-max-listpack-entries", 512, 0, LONG_MAX, { aliases: ["hash-max-ziplist-entries"] }),
  uint("set-max-intset-entries", 512, 0, LONG_MAX),
  uint("zset-max-listpack-entries", 128, 0, LONG_MAX, { aliases: ["zset-max-ziplist-entries"] }),
  uint("tracking-table-max-keys", 1000000, 0, LONG_MAX),
  int("repl-backlog-ttl", 3600, 0, LONG_MAX),
  int("loading-process-events-interval-bytes", 2097152, 1024, INT_MAX, { hidden: true }),
  int("tls-port", 0, 0, 65535),
  int("tls-session-cache-size", 20480, 0, INT_MAX),
  int("tls-session-cache-timeout", 300, 0, INT_MAX),

  // Byte sizes (memtoull units).
  mem("proto-max-bulk-len", 536870912, 1048576, LONG_MAX),
  mem("repl-backlog-size", 1048576, 1, LONG_MAX),
  mem("maxmemory", 0, 0, ULLONG_MAX, { unsigned: true }),
  mem("cluster-link-sendbuf-limit", 0, 0, ULLONG_MAX, { unsigned: true }),
  mem("active-defrag-ignore-bytes", 104857600, 1, LONG_MAX, { unsigned: true }),
  mem("hash-max-listpack-value", 64, 0, LONG_MAX, {
    unsigned: true,
    aliases: ["hash-max-ziplist-value"],
  }),
  mem("stream-node-max-bytes", 4096, 0, LONG_MAX, { unsigned: true }),
  mem("zset-max-listpack-value", 64, 0, LONG_MAX, {
    unsigned: true,
    aliases: ["zset-max-ziplist-value"],
  }),
  mem("hll-sparse-max-bytes", 3000, 0, LONG_MAX, { unsigned: true }),
  mem("client-query-buffer-limit", 1073741824, 1048576, LONG_MAX, { unsigned: true }),
  // "N%" is stored as -N, as Redis does.
  mem("maxmemory-clients", 0, -100, LONG_MAX, { percent: true }),
  mem("auto-aof-rewrite-min-size", 67108864, 0, LONG_MAX),

  // TLS (Reredis has no TLS; listed because redis-server built with TLS lists them).
  bool("tls-cluster", false),
  bool("tls-replication", false),
  enumOf("tls-auth-clients", "yes", ["no", "yes", "optional"]),
  bool("tls-prefer-server-ciphers", false),
  bool("tls-session-caching", true),
  str("tls-cert-file", ""),
  str("tls-key-file", ""),
  str("tls-key-file-pass", "", { sensitive: true }),
  str("tls-client-cert-file", ""),
  str("tls-client-key-file", ""),
  str("tls-client-key-file-pass", "", { sensitive: true }),
  str("tls-dh-params-file", ""),
  str("tls-ca-cert-file", ""),
  str("tls-ca-cert-dir", ""),
  str("tls-protocols", ""),
  str("tls-ciphers", ""),
  str("tls-ciphersuites", ""),

  // Parameters with their own syntax (see config_special.ts).
  special("dir", "dir", ".", { protected: true, denyLoading: true }),
  special("save", "save", "3600 1 300 100 60 10000", { multiArg: true }),
  special(
    "client-output-buffer-limit",
    "client-output-buffer-limit",
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    { multiArg: true },
  ),
  special("oom-score-adj-values", "oom-score-adj-values", "0 200 800", { multiArg: true }),
  special("notify-keyspace-events", "notify-keyspace-events", ""),
  // Reredis binds loopback by default (it has no protected mode); Redis's default is "* -::*".
  special("bind", "bind", "127.0.0.1", { multiArg: true, immutable: true }),
  special("replicaof", "replicaof", "", { multiArg: true, immutable: true, aliases: ["slaveof"] }),
  special("latency-tracking-info-percentiles", "latency-tracking-info-percentiles", "50 99 99.9", {
    multiArg: true,
  }),
];

/** Directives Redis 7.0 still accepts in a config file and ignores (name → argument count). */
export const DEPRECATED_DIRECTIVES: Record<string, number> = {
  "list-max-ziplist-entries": 1,
  "list-max-ziplist-value": 1,
  "lua-replicate-commands": 1,
};
