// The server: databases, clients, the command dispatcher (Redis's processCommand + call) and the
// periodic tasks. Every command runs through `execute`; every change leaves through `wp`.

import type { Config } from "../config.ts";
import { type Command, type CommandDef, CommandTable, F } from "../commands/table.ts";
import { Db } from "../store/db.ts";
import { bytesToLatin1 } from "../util/numbers.ts";
import { fromKey, lowerAscii, toKey } from "../util/bytes.ts";
import { keyPositions } from "../commands/key_positions.ts";
import { Client } from "./client.ts";
import { Logger } from "./log.ts";
import { Stats } from "./stats.ts";
import { WritePath } from "./write_path.ts";
import { activeExpireCycle } from "./expire_cycle.ts";
import { Blocking } from "./blocking.ts";
import type { Aof } from "../wal/aof.ts";
import type { AofRewrite } from "../wal/rewrite.ts";

/** Commands a client inside MULTI runs immediately instead of queueing. */
const MULTI_IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);
/** Commands a RESP2 client in subscribed mode may run. */
const SUBSCRIBED_ALLOWED = new Set([
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "ping",
  "quit",
  "reset",
]);

export class Server {
  readonly config: Config;
  readonly table: CommandTable;
  readonly dbs: Db[] = [];
  readonly clients = new Map<number, Client>();
  readonly wp = new WritePath();
  readonly stats = new Stats();
  readonly log = new Logger();
  readonly blocking: Blocking;
  readonly startedAt = Date.now();
  readonly runId = crypto.getRandomValues(new Uint8Array(20)).reduce(
    (s, b) => s + b.toString(16).padStart(2, "0"),
    "",
  );
  #nextClientId = 1;
  #timers: ReturnType<typeof setInterval>[] = [];
  /** CLIENT PAUSE: until when, and whether only writes wait. */
  pausedUntil = 0;
  pauseWritesOnly = false;
  #pauseTimer: ReturnType<typeof setTimeout> | undefined;
  /** True while the dataset is loading (WAL replay): most commands get -LOADING. */
  loading = false;
  /** Progress of the running load, for INFO persistence (loading_* fields). */
  loadingProgress: { startedAt: number; loadedBytes: number; totalBytes: number } | undefined;
  /** Keys WATCHed per db: key → clients watching it. */
  readonly watched = new Map<number, Map<string, Set<Client>>>();
  /** Hooks run when shutting down (flush WAL, close listeners). */
  readonly shutdownHooks: (() => Promise<void> | void)[] = [];
  /** The write-ahead log, when appendonly is on. */
  aof: Aof | undefined;
  /** A running WAL compaction: it must see every key's pre-image before that key changes. */
  rewrite: AofRewrite | undefined;
  /** The promise of the running compaction (set from start to end, including file switches). */
  rewriteRunning: Promise<void> | undefined;
  /** Set by the WAL with appendfsync=always: replies wait until their writes are durable. */
  durability: { requiredEpoch(): number; wait(c: Client): void } | undefined;
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the active expiry cycle off (keys still expire lazily). */
  activeExpireEnabled = true;
  /** Heap + external bytes right after start (MEMORY STATS startup.allocated). */
  readonly startupMemory = Deno.memoryUsage().heapUsed + Deno.memoryUsage().external;
  /** Set while a script runs past busy-reply-threshold: the -BUSY reply for other commands. */
  busyReply: string | undefined;
  /** Observers of every command run, called after it ran (MONITOR, SLOWLOG, latency, tracking). */
  readonly callHooks: ((c: Client, cmd: Command, args: Uint8Array[], usec: number) => void)[] = [];
  /** The ports actually bound (known after listen). */
  ports = { resp: 0, http: 0 };
  /**
   * Cluster routing (src/cluster/routing.ts): false when the command must not run now, after it
   * replied (-MOVED, -ASK, -CROSSSLOT…) or parked the client (`c.blocked`) until a MIGRATE lands.
   */
  keyGate: ((c: Client, cmd: Command, args: Uint8Array[]) => boolean) | undefined;

  constructor(config: Config, defs: CommandDef[]) {
    this.config = config;
    this.table = new CommandTable(defs);
    this.blocking = new Blocking(this);
    const hooks = {
      expiryPaused: () => this.loading,
      expired: (db: Db, key: string) => this.expireKey(db, key),
    };
    for (let i = 0; i < config.num("databases"); i++) this.dbs.push(new Db(i, hooks));
    config.watch("loglevel", (v) => this.log.setLevel(String(v)));
  }

  authRequired(): boolean {
    return this.config.str("requirepass") !== "";
  }

  newClient(conn: Client["conn"]): Client {
    const c = new Client(this.#nextClientId++, this, conn);
    this.clients.set(c.id, c);
    this.stats.totalConnections++;
    return c;
  }

  /** A client with no socket, for internal callers (HTTP API, scripts, replay). */
  internalClient(): Client {
    const c = new Client(this.#nextClientId++, this, undefined);
    c.setAuthenticated("default");
    return c;
  }

  removeClient(c: Client): void {
    this.clients.delete(c.id);
    this.unwatchAll(c);
    for (const fn of this.clientCloseHooks) fn(c);
  }

  /** Subsystems (pub/sub, blocking) register cleanup for disconnected clients here. */
  readonly clientCloseHooks: ((c: Client) => void)[] = [];
  /** …and for RESET, which clears a connection's state but keeps it open. */
  readonly clientResetHooks: ((c: Client) => void)[] = [];

  get clusterEnabled(): boolean {
    return this.config.bool("cluster-enabled");
  }

  /**
   * Looks up, checks and runs one command (Redis's processCommand). Returns false only when the
   * command must wait (CLIENT PAUSE); the caller keeps it and calls again later.
   */
  execute(c: Client, args: Uint8Array[]): boolean {
    const reply = c.reply;
    let cmd = this.table.lookup(args[0]);
    if (cmd === undefined) {
      this.rejectUnknown(c, args);
      return true;
    }
    if (cmd.subcommands && args.length >= 2) {
      const sub = cmd.subcommands.get(lowerAscii(args[1]));
      if (sub === undefined) {
        c.multiError ||= !!c.multi;
        reply.error(
          `ERR unknown subcommand '${trunc(cStr(args[1]))}'. Try ${cmd.name.toUpperCase()} HELP.`,
        );
        return true;
      }
      cmd = sub;
    }
    const arity = cmd.arity;
    if ((arity > 0 && arity !== args.length) || args.length < -arity) {
      return this.reject(c, cmd, `ERR wrong number of arguments for '${cmd.fullName}' command`);
    }
    if (!c.authenticated && !(cmd.flags & F.noAuth)) {
      return this.reject(c, cmd, "NOAUTH Authentication required.");
    }
    if (this.keyGate !== undefined && !this.keyGate(c, cmd, args)) return !c.blocked;
    if (c.subscribedMode && !SUBSCRIBED_ALLOWED.has(cmd.fullName)) {
      return this.reject(
        c,
        cmd,
        `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
    }
    if (this.busyReply !== undefined && !(cmd.flags & F.allowBusy)) {
      return this.reject(c, cmd, this.busyReply);
    }
    if (this.loading && !c.loader && !(cmd.flags & F.loading)) {
      return this.reject(c, cmd, "LOADING Redis is loading the dataset in memory");
    }
    if (c.multi && !MULTI_IMMEDIATE.has(cmd.fullName)) {
      if (cmd.flags & F.noMulti) {
        return this.reject(c, cmd, "ERR Command not allowed inside a transaction");
      }
      c.multi.push({ cmd, args: Client.own(args) });
      reply.queued();
      return true;
    }
    if (this.pausedUntil > 0 && this.mustPause(c, cmd)) return false;
    this.call(c, cmd, args);
    return true;
  }

  /**
   * While a client's input loop runs (Client.process): the end time of the last top-level command
   * it ran (0 before the first), which `call` takes as the next command's start. One clock read
   * per command instead of two (each is a runtime op, ~3% of a pipelined GET); the next command's
   * time then includes parsing it, a fraction of a microsecond. Undefined outside such a loop.
   */
  clockChain: number | undefined;

  /** Runs a resolved command and does the bookkeeping (Redis's call()). */
  call(c: Client, cmd: Command, args: Uint8Array[]): void {
    const wp = this.wp;
    const errorsBefore = c.reply.errors;
    const chained = wp.depth === 0 && this.clockChain !== undefined;
    const start = chained && this.clockChain! > 0 ? this.clockChain! : performance.now();
    const skip = c.skipNext;
    if (skip) c.reply.enabled = false;
    // Set before running, as Redis's c->lastcmd: CLIENT LIST shows its own caller as client|list.
    c.lastCommand = cmd.fullName;
    this.#run(c, cmd, args);
    if (skip) {
      c.skipNext = false;
      c.reply.enabled = c.replyMode !== "off";
    }
    const st = cmd.stats;
    const end = performance.now();
    if (chained) this.clockChain = end;
    const usec = (end - start) * 1000;
    st.calls++;
    st.usec += usec;
    if (c.reply.errors !== errorsBefore) st.failed++;
    this.stats.totalCommands++;
    for (const h of this.callHooks) h(c, cmd, args, usec);
    if (wp.depth === 0 && this.blocking.hasReady) {
      this.blocking.handleReady();
      if (chained) this.clockChain = 0; // serving woken clients is not the next command's time
    }
  }

  /** Runs a handler inside one write-path unit; an exception becomes an error reply, never a crash. */
  #run(c: Client, cmd: Command, args: Uint8Array[]): void {
    const wp = this.wp;
    c.current = { cmd, args };
    if (this.rewrite !== undefined && (cmd.flags & F.write)) this.#copyOnWrite(c, cmd, args);
    wp.begin();
    wp.commandStart();
    const replyMark = c.reply.len;
    try {
      cmd.run(c, args);
    } catch (e) {
      this.log.warning(`command ${cmd.fullName} failed: ${e instanceof Error ? e.stack : e}`);
      // Drop the partial reply (it may be what overflowed) so the error stands alone.
      c.reply.len = replyMark;
      c.reply.error(`ERR internal error: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (cmd.flags & F.write) wp.commandEnd(c.db.id, args);
      wp.end();
      c.current = undefined;
    }
  }

  /** Lets a running compaction save the pre-images of the keys this write may touch. */
  #copyOnWrite(c: Client, cmd: Command, args: Uint8Array[]): void {
    const rw = this.rewrite!;
    const name = cmd.fullName;
    if (name === "flushall" || name === "flushdb" || name === "swapdb") {
      rw.abort(`${name.toUpperCase()} during the rewrite`);
      return;
    }
    // MOVE and COPY name a key in another db: save that key in every db.
    const anyDb = name === "move" || name === "copy";
    for (const i of keyPositions(cmd, args)) rw.beforeWrite(anyDb ? -1 : c.db.id, toKey(args[i]));
  }

  /** Runs a blocked client's command again after one of its keys changed (no stats: one call). */
  rerun(c: Client, cmd: Command, args: Uint8Array[]): void {
    this.#run(c, cmd, args);
  }

  reject(c: Client, cmd: Command, msg: string): true {
    cmd.stats.rejected++;
    if (cmd.fullName === "exec") {
      // A rejected EXEC discards the transaction (Redis's execCommandAbort), with or without MULTI.
      c.multi = undefined;
      c.multiError = false;
      this.unwatchAll(c);
      const why = msg.startsWith("ERR ") ? msg.slice(4) : msg;
      c.reply.error(`EXECABORT Transaction discarded because of: ${why}`);
      return true;
    }
    if (c.multi) c.multiError = true;
    c.reply.error(msg);
    return true;
  }

  rejectUnknown(c: Client, args: Uint8Array[]): void {
    let rest = "";
    for (let i = 1; i < args.length && rest.length < 128; i++) {
      rest += `'${cStr(args[i].subarray(0, 128 - rest.length))}' `;
    }
    if (c.multi) c.multiError = true;
    c.reply.error(
      `ERR unknown command '${trunc(cStr(args[0]))}', with args beginning with: ${rest}`,
    );
  }

  /** Records a modified key: one keyspace event, and invalidates WATCHes on it. */
  keyChanged(db: Db, key: string, event: string, cls: string): void {
    this.wp.changed(db.id, key, event, cls);
    this.touchWatched(db.id, key);
    if (this.blocking.count !== 0) this.blocking.signal(db.id, key);
  }

  touchWatched(dbId: number, key: string): void {
    const set = this.watched.get(dbId)?.get(key);
    if (!set) return;
    for (const c of set) {
      // A key already expired at WATCH time and now deleted is logically unchanged (Redis 7.0's
      // touchWatchedKey): clear its flag instead of failing the transaction.
      const wk = c.watchedKeys.find((w) => w.db === dbId && w.key === key);
      if (wk?.expiredAtWatch && !this.dbs[dbId].dict.has(key)) {
        wk.expiredAtWatch = false;
        continue;
      }
      c.watchDirty = true;
    }
  }

  /**
   * Invalidates WATCHes on keys of a db that exist in it (FLUSHDB, SWAPDB), or in `replacement`
   * (the db swapped in), as Redis's touchAllWatchedKeysInDb.
   */
  touchAllWatched(db: Db, replacement?: Db): void {
    const m = this.watched.get(db.id);
    if (!m) return;
    for (const [key, set] of m) {
      if (db.dict.has(key) || replacement?.dict.has(key)) {
        for (const c of set) c.watchDirty = true;
      }
    }
  }

  unwatchAll(c: Client): void {
    for (const { db: dbId, key } of c.watchedKeys) {
      const m = this.watched.get(dbId);
      const set = m?.get(key);
      if (!set) continue;
      set.delete(c);
      if (set.size === 0) m!.delete(key);
    }
    c.watchedKeys = [];
    c.watchDirty = false;
  }

  /** Deletes an expired key through the write path (DEL + "expired" event). */
  expireKey(db: Db, key: string): void {
    this.rewrite?.beforeWrite(db.id, key);
    db.delete(key);
    this.stats.expiredKeys++;
    this.wp.deletion(db.id, key, "expired", fromKey(key));
    this.touchWatched(db.id, key);
  }

  /** True when CLIENT PAUSE holds this command back (writes only, or everything in ALL mode). */
  mustPause(c: Client, cmd: Command): boolean {
    if (Date.now() >= this.pausedUntil) {
      this.unpause();
      return false;
    }
    if (!c.conn) return false;
    const isWrite = (cmd.flags & (F.write | F.mayReplicate)) !== 0 ||
      cmd.fullName === "exec" || cmd.fullName === "eval" || cmd.fullName === "evalsha";
    if (this.pauseWritesOnly && !isWrite) return false;
    this.pausedClients.add(c);
    c.blocked = true;
    return true;
  }

  readonly pausedClients = new Set<Client>();

  /** CLIENT PAUSE: as Redis, the later end time and the stricter mode (ALL) win. */
  pause(ms: number, writesOnly: boolean): void {
    if (this.pausedUntil === 0) this.pauseWritesOnly = writesOnly;
    else if (!writesOnly) this.pauseWritesOnly = false;
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = setTimeout(() => this.unpause(), this.pausedUntil - Date.now());
  }

  unpause(): void {
    this.pausedUntil = 0;
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = undefined;
    const waiting = [...this.pausedClients];
    this.pausedClients.clear();
    for (const c of waiting) {
      c.blocked = false;
      c.process();
    }
  }

  /** Starts the periodic tasks (active expiry, rehashing, stats), like Redis's serverCron. */
  startCron(): void {
    const hz = this.config.num("hz");
    this.#timers.push(setInterval(() => this.cron(), Math.max(1, Math.floor(1000 / hz))));
  }

  cron(): void {
    if (this.busyReply !== undefined) return; // a suspended script: time stands still for its keys
    if (this.activeExpireEnabled) activeExpireCycle(this);
    for (const db of this.dbs) db.rehashFor(1);
    this.stats.sampleOps();
    this.stats.sampleMemory();
    const idle = this.config.num("timeout");
    if (idle > 0) {
      const limit = Date.now() - idle * 1000;
      for (const c of this.clients.values()) {
        if (
          c.conn && c.lastInteraction < limit && !c.blocked &&
          c.channels.size + c.patterns.size + c.shardChannels.size === 0
        ) c.kill();
      }
    }
  }

  stopCron(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    clearTimeout(this.#pauseTimer);
  }

  /** Empties a db: fresh structures replace the old ones, which the GC frees off the loop. */
  flushDb(db: Db): number {
    const n = db.size;
    this.touchAllWatched(db);
    db.clear();
    return n;
  }

  async shutdown(): Promise<void> {
    this.stopCron();
    for (const h of this.shutdownHooks) await h();
  }

  /** How the process ends after SHUTDOWN (tests running a server in-process replace it). */
  exit: (code: number) => void = (code) => Deno.exit(code);

  /** SHUTDOWN: flushes the WAL and closes everything, then exits like redis-server. */
  async exitAfterShutdown(): Promise<void> {
    await this.shutdown();
    this.log.warning("Reredis is now ready to exit, bye bye...");
    this.exit(0);
  }
}

/** Bytes up to the first NUL as a latin1 string: what Redis's `%s` formatting of an arg shows. */
function cStr(b: Uint8Array): string {
  const z = b.indexOf(0);
  return bytesToLatin1(z < 0 ? b : b.subarray(0, z));
}

function trunc(s: string): string {
  return s.length > 128 ? s.slice(0, 128) : s;
}
