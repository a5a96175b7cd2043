// The WAL's life in a running server: start-up (replay, then append), CONFIG SET appendonly and
// appendfsync while running, compactions (BGREWRITEAOF, BGSAVE, automatic on growth), shutdown.

import type { Server } from "../server/server.ts";
import { Aof, type FsyncPolicy } from "./aof.ts";
import { AofLoadError, replayAof } from "./replay.ts";
import { AofRewrite, RewriteAborted } from "./rewrite.ts";

/** Rewrite bookkeeping for INFO persistence and LASTSAVE (Redis's aof_* stats). */
export interface WalState {
  /** Rewrites started (aof_rewrites). */
  rewrites: number;
  consecutiveFailures: number;
  lastStatus: "ok" | "err";
  /** Seconds the last rewrite took, -1 before the first. */
  lastSecs: number;
  /** The running rewrite, if any. */
  current: AofRewrite | undefined;
  /** BGSAVE SCHEDULE or a rewrite asked for while one runs: start another when it ends. */
  scheduled: boolean;
  /** When the dataset was last saved to a base file (LASTSAVE), ms. */
  lastSaveAt: number;
  /** No automatic retry before this time after a failure (ms). */
  retryAfter: number;
  /** Enabling/disabling runs one at a time, in the order CONFIG SET asked. */
  transition: Promise<void>;
  cronTimer: ReturnType<typeof setInterval> | undefined;
}

const states = new WeakMap<Server, WalState>();

export function walState(server: Server): WalState {
  let st = states.get(server);
  if (!st) {
    st = {
      rewrites: 0,
      consecutiveFailures: 0,
      lastStatus: "ok",
      lastSecs: -1,
      current: undefined,
      scheduled: false,
      lastSaveAt: server.startedAt,
      retryAfter: 0,
      transition: Promise.resolve(),
      cronTimer: undefined,
    };
    states.set(server, st);
  }
  return st;
}

/** How often the automatic-rewrite check runs (Redis: serverCron at hz 10). */
const CRON_MS = 100;

/**
 * Sets the WAL up at start-up: with appendonly yes, opens the directory and replays it before
 * anything is logged (the caller set `server.loading` before listening, so no write slips in),
 * then appends. Either way installs the CONFIG SET watchers, the cron and the shutdown hook.
 * A damaged log ends the process with exit code 1 and the reason in the log.
 */
export async function startWal(server: Server): Promise<void> {
  const st = walState(server);
  const config = server.config;
  if (config.bool("appendonly")) {
    server.loading = true;
    const aof = new Aof(server);
    aof.policy = config.str("appendfsync") as FsyncPolicy;
    try {
      await aof.open();
      await replayAof(server, aof);
      await aof.start();
      server.aof = aof;
    } catch (e) {
      if (!(e instanceof AofLoadError)) throw e;
      server.log.warning(e.message);
      server.log.warning("Reredis can't start: the append only file is damaged (exit code 1)");
      server.exit(1);
      throw e;
    } finally {
      server.loading = false;
    }
  }
  let initial = true;
  config.watch("appendfsync", (v) => {
    if (server.aof) server.aof.policy = v as FsyncPolicy;
  });
  config.watch("appendonly", (on) => {
    if (initial) return;
    st.transition = st.transition.then(() => on ? enableWal(server) : disableWal(server))
      .catch((e) => server.log.warning(`appendonly ${on ? "yes" : "no"} failed: ${e}`));
  });
  initial = false;
  st.cronTimer = setInterval(() => walCron(server), CRON_MS);
  server.shutdownHooks.push(() => shutdownWal(server));
}

/** CONFIG SET appendonly yes: log from now on, and write a base holding the dataset (as Redis). */
async function enableWal(server: Server): Promise<void> {
  if (server.aof) return;
  const aof = new Aof(server);
  aof.policy = server.config.str("appendfsync") as FsyncPolicy;
  await aof.open();
  aof.startFresh();
  await aof.start();
  server.aof = aof;
  server.log.notice("AOF enabled: rewriting the append only file with the current dataset");
  startRewrite(server)?.catch(() => {});
}

/** CONFIG SET appendonly no: stop a rewrite, write and fsync what is pending, stop logging. */
async function disableWal(server: Server): Promise<void> {
  const aof = server.aof;
  if (!aof) return;
  server.aof = undefined;
  const st = walState(server);
  st.scheduled = false;
  st.current?.abort("appendonly turned off");
  await server.rewriteRunning?.catch(() => {});
  await aof.close();
  server.log.notice("AOF disabled");
}

async function shutdownWal(server: Server): Promise<void> {
  const st = walState(server);
  clearInterval(st.cronTimer);
  await st.transition;
  const aof = server.aof;
  if (!aof) return;
  st.current?.abort("shutdown");
  await server.rewriteRunning?.catch(() => {});
  await aof.close(true);
  server.log.notice("Append only file flushed and fsynced for shutdown");
}

/** Starts a compaction unless one runs; resolves when it ends (rejects on failure). */
export function startRewrite(server: Server): Promise<void> | undefined {
  const aof = server.aof;
  if (!aof || server.rewriteRunning) return undefined;
  const st = walState(server);
  const rw = new AofRewrite(server, aof);
  st.current = rw;
  st.rewrites++;
  st.scheduled = false;
  server.rewriteRunning = rw.run().then(() => {
    st.lastStatus = "ok";
    st.consecutiveFailures = 0;
    st.lastSaveAt = Date.now();
  }).catch((e) => {
    st.lastStatus = "err";
    st.consecutiveFailures++;
    st.retryAfter = Date.now() + Math.min(60_000, 1000 * 2 ** st.consecutiveFailures);
    const why = e instanceof RewriteAborted ? `aborted: ${e.message}` : String(e);
    server.log.warning(`Background AOF rewrite failed: ${why}`);
    throw e;
  }).finally(() => {
    st.lastSecs = Math.round((Date.now() - rw.startedAt) / 1000);
    st.current = undefined;
    server.rewriteRunning = undefined;
  });
  server.log.notice("Background append only file rewriting started");
  return server.rewriteRunning;
}

/** Scheduled rewrites, a fresh log's first base, and growth-based rewrites (serverCron). */
function walCron(server: Server): void {
  const aof = server.aof;
  if (!aof || server.loading || server.rewriteRunning) return;
  const st = walState(server);
  if (st.scheduled || (aof.waitingForBase && Date.now() >= st.retryAfter)) {
    startRewrite(server)?.catch(() => {});
    return;
  }
  const perc = server.config.num("auto-aof-rewrite-percentage");
  const size = aof.currentSize;
  if (perc <= 0 || size <= Number(server.config.num("auto-aof-rewrite-min-size"))) return;
  if (Date.now() < st.retryAfter) return;
  const growth = Math.floor((size * 100) / (aof.rewriteBaseSize || 1)) - 100;
  if (growth < perc) return;
  server.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
  startRewrite(server)?.catch(() => {});
}
