// INFO persistence's aof_* fields, from the WAL's state (Redis 7.0 names and order).

import type { Server } from "../server/server.ts";

export function aofInfoFields(server: Server): [string, string | number][] {
  const aof = server.aof;
  const st = server.stats;
  return [
    ["aof_enabled", aof ? 1 : 0],
    ["aof_rewrite_in_progress", server.rewriteRunning ? 1 : 0],
    ["aof_rewrite_scheduled", 0],
    ["aof_last_rewrite_time_sec", st.aofLastRewriteSecs],
    ["aof_current_rewrite_time_sec", -1],
    ["aof_last_bgrewrite_status", st.aofLastRewriteStatus],
    ["aof_rewrites", 0],
    ["aof_rewrites_consecutive_failures", 0],
    ["aof_last_write_status", aof && !aof.lastWriteOk ? "err" : "ok"],
    ["aof_last_cow_size", 0],
    ["module_fork_in_progress", 0],
    ["module_fork_last_cow_size", 0],
    ...(aof
      ? [
        ["aof_current_size", aof.baseSize + aof.incrSize],
        ["aof_base_size", aof.baseSize],
        ["aof_pending_rewrite", 0],
        ["aof_buffer_length", 0],
        ["aof_pending_bio_fsync", 0],
        ["aof_delayed_fsync", aof.delayedFsync],
      ] as [string, number][]
      : []),
  ];
}
