// Server-wide counters behind INFO stats / errorstats and the metrics endpoint.

export class Stats {
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  expiredKeys = 0;
  expiredStalePerc = 0;
  expiredTimeCapReachedCount = 0;
  evictedKeys = 0;
  totalErrorReplies = 0;
  aofLastRewriteStatus: "ok" | "err" = "ok";
  aofLastRewriteSecs = -1;
  /** Error replies by their first word ("ERR", "WRONGTYPE", …) for INFO errorstats. */
  errors = new Map<string, number>();
  /** Commands per second, sampled by the server's periodic task. */
  opsPerSec = 0;
  #lastOpsSample = 0;
  #lastOpsTime = Date.now();

  readonly countError = (code: string): void => {
    this.totalErrorReplies++;
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  };

  /** Highest heap + external bytes seen by the periodic sampler (INFO used_memory_peak). */
  peakMemory = 0;

  sampleMemory(): void {
    const m = Deno.memoryUsage();
    const used = m.heapUsed + m.external;
    if (used > this.peakMemory) this.peakMemory = used;
  }

  sampleOps(): void {
    const now = Date.now();
    const dt = now - this.#lastOpsTime;
    if (dt < 1000) return;
    this.opsPerSec = Math.round(((this.totalCommands - this.#lastOpsSample) * 1000) / dt);
    this.#lastOpsSample = this.totalCommands;
    this.#lastOpsTime = now;
  }

  reset(): void {
    const fresh = new Stats();
    const keep = this.countError;
    Object.assign(this, fresh);
    (this as { countError: typeof keep }).countError = keep;
    this.errors = new Map();
  }
}
