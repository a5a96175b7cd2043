// INFO persistence's aof_* fields, from the WAL's state (Redis 7.0 names and order).

import type { Server } from "../server/server.ts";
import { walState } from "./lifecycle.ts";

export function aofInfoFields(server: Server): [string, string | number][] {
  const aof = server.aof;
  const st = walState(server);
  const rw = st.current;
  const fields: [string, string | number][] = [
    ["aof_enabled", aof ? 1 : 0],
    ["aof_rewrite_in_progress", server.rewriteRunning ? 1 : 0],
    ["aof_rewrite_scheduled", st.scheduled ? 1 : 0],
    ["aof_last_rewrite_time_sec", st.lastSecs],
    ["aof_current_rewrite_time_sec", rw ? Math.floor((Date.now() - rw.startedAt) / 1000) : -1],
    ["aof_last_bgrewrite_status", st.lastStatus],
    ["aof_rewrites", st.rewrites],
    ["aof_rewrites_consecutive_failures", st.consecutiveFailures],
    ["aof_last_write_status", aof && !aof.lastWriteOk ? "err" : "ok"],
    // No fork, so no copy-on-write pages: captured keys share their elements with the live data.
    ["aof_last_cow_size", 0],
    ["module_fork_in_progress", 0],
    ["module_fork_last_cow_size", 0],
  ];
  if (aof) {
    fields.push(
      ["aof_current_size", aof.currentSize],
      ["aof_base_size", aof.rewriteBaseSize],
      ["aof_pending_rewrite", st.scheduled ? 1 : 0],
      ["aof_buffer_length", aof.bufferLength],
      ["aof_pending_bio_fsync", aof.fsyncInFlight ? 1 : 0],
      ["aof_delayed_fsync", aof.delayedFsync],
    );
  }
  return fields;
}
