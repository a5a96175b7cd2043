// One connected client: its parser, reply buffer, selected db and session state. Command handlers
// receive the client as their context (`Ctx`): `ctx.db`, `ctx.reply`, `ctx.changed(…)`.

import { ProtocolError, RequestParser } from "../resp/parser.ts";
import { ReplyWriter } from "../resp/writer.ts";
import type { Conn } from "../net/socket.ts";
import type { Db } from "../store/db.ts";
import type { Server } from "./server.ts";
import { type Arg, toArgv } from "./write_path.ts";
import { scratchSlab } from "../util/slab.ts";
import type { Command } from "../commands/table.ts";

/** Output buffer size past which reading from the client pauses until the socket drains. */
const OUTPUT_PAUSE = 4 * 1024 * 1024;

export interface QueuedCommand {
  cmd: Command;
  args: Uint8Array[];
}

export class Client {
  readonly reply = new ReplyWriter();
  readonly parser: RequestParser;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  db: Db;
  name = "";
  libName = "";
  libVer = "";
  user = "default";
  authenticated: boolean;
  /** Last command run (CLIENT LIST `cmd=`). */
  lastCommand = "NULL";
  closeAfterReply = false;
  closed = false;
  /** Set while the client waits (blocking command, CLIENT PAUSE); input stays buffered. */
  blocked = false;
  /** The command running now (blocking commands register it to be run again). */
  current: QueuedCommand | undefined;
  /** The WAL replay client: runs while the server is loading. */
  loader = false;
  /** True while EXEC runs queued commands: blocking commands must answer at once. */
  inExec = false;
  /** A command held back by CLIENT PAUSE, run when the pause ends. */
  deferred: Uint8Array[] | undefined;
  /** MULTI state: queued commands, or undefined outside a transaction. */
  multi: QueuedCommand[] | undefined;
  multiError = false;
  /** CLIENT REPLY mode; SKIP drops the reply of the next command only. */
  replyMode: "on" | "off" | "skip" = "on";
  skipNext = false;
  /** WATCHed keys; `watchDirty` is set when any of them changes. */
  watchedKeys: { db: number; key: string; expiredAtWatch: boolean }[] = [];
  watchDirty = false;
  noEvict = false;
  /** Extra per-client flags for CLIENT LIST (`flags=`), e.g. "P" when subscribed. */
  flagLetters = "";
  /** Pub/sub subscriptions (channel / pattern / shard channel, as binary strings). */
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();

  constructor(
    readonly id: number,
    readonly server: Server,
    readonly conn: Conn | undefined,
  ) {
    this.db = server.dbs[0];
    this.authenticated = !server.authRequired();
    this.parser = new RequestParser({
      maxBulkLen: server.config.num("proto-max-bulk-len"),
      authRequired: !this.authenticated,
    });
    this.reply.onError = server.stats.countError;
  }

  /** True when a RESP2 client may only run (un)subscribe commands, PING, QUIT and RESET. */
  get subscribedMode(): boolean {
    return this.reply.proto === 2 &&
      (this.channels.size + this.patterns.size + this.shardChannels.size) > 0;
  }

  get addr(): string {
    return this.conn?.remoteAddr ?? "";
  }

  get laddr(): string {
    return this.conn?.localAddr ?? "";
  }

  /** Marks `key` (in this client's db unless given) as modified: one keyspace event. */
  changed(key: string, event: string, cls: string, db: Db = this.db): void {
    this.server.keyChanged(db, key, event, cls);
  }

  /** Propagates this command as `argv` instead of as sent (deterministic form). */
  propagate(argv: Arg[], db: Db = this.db): void {
    this.server.wp.propagate(db.id, argv);
  }

  /**
   * Blocks the running command on `keys` until one changes or `timeoutMs` passes (0 = forever);
   * the command is then run again. Returns false where blocking is not allowed (inside EXEC or a
   * script): the handler must then reply as on timeout.
   */
  block(keys: string[], timeoutMs: number, onTimeout?: (c: Client) => void): boolean {
    if (this.inExec || !this.conn) return false;
    this.server.blocking.block(this, keys, timeoutMs, onTimeout);
    return true;
  }

  setAuthenticated(user: string): void {
    this.authenticated = true;
    this.user = user;
    this.parser.limits.authRequired = false;
  }

  /** Feeds bytes read from the socket and runs every complete command in them. */
  onData(chunk: Uint8Array): void {
    this.server.stats.netInputBytes += chunk.length;
    this.lastInteraction = Date.now();
    this.parser.feed(chunk);
    this.process();
  }

  /** Runs buffered commands until input runs out or the client blocks; then flushes replies. */
  process(): void {
    if (this.closed) return;
    if (this.deferred) {
      if (!this.server.execute(this, this.deferred)) return;
      this.deferred = undefined;
    }
    const server = this.server;
    server.clockChain = 0; // commands in this loop time each other (see Server.call)
    try {
      while (!this.blocked && !this.closeAfterReply) {
        let args: Uint8Array[] | null;
        try {
          args = this.parser.next();
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          this.reply.error("ERR " + e.message);
          server.log.verbose(`Protocol error (${e.message}) from client: ${this.describe()}`);
          this.closeAfterReply = true;
          break;
        }
        if (args === null) break;
        if (!server.execute(this, args)) {
          this.deferred = Client.own(args);
          break;
        }
      }
    } finally {
      server.clockChain = undefined;
    }
    this.flush();
  }

  /** Replies waiting for the WAL to make the writes they saw durable (appendfsync always). */
  heldOutput: { epoch: number; bytes: Uint8Array }[] = [];

  /** Sends pending replies in one write; pauses reading when the peer is not keeping up. */
  flush(): void {
    if (this.reply.len > 0) this.#flushReply();
    if (this.closeAfterReply && !this.closed && this.heldOutput.length === 0) {
      this.closed = true;
      this.conn?.end();
      this.server.removeClient(this);
    }
  }

  /**
   * Sends bytes the caller will not change (a pub/sub frame shared by every subscriber) after
   * the pending replies, without copying them into the reply buffer: a big message goes to the
   * socket as it is. Dropped while replies are off, as Redis drops pushes then.
   */
  sendShared(bytes: Uint8Array): void {
    if (!this.conn || this.closed || !this.reply.enabled) return;
    if (this.reply.len > 0) this.#flushReply();
    this.server.stats.netOutputBytes += bytes.length;
    if (this.heldOutput.length > 0) this.heldOutput.push({ epoch: 0, bytes });
    else this.#send(bytes);
  }

  #flushReply(): void {
    if (!this.conn || this.closed) {
      this.reply.len = 0;
      return;
    }
    this.server.stats.netOutputBytes += this.reply.len;
    const bytes = this.reply.take();
    const gate = this.server.durability;
    const epoch = gate ? gate.requiredEpoch() : 0;
    if (epoch > 0 || this.heldOutput.length > 0) {
      this.heldOutput.push({ epoch, bytes });
      gate?.wait(this);
    } else this.#send(bytes);
  }

  /** Sends held replies whose epoch is durable now (in order), then any close that waited. */
  releaseHeld(durable: number): void {
    while (this.heldOutput.length > 0 && this.heldOutput[0].epoch <= durable) {
      const h = this.heldOutput.shift()!;
      if (!this.closed) this.#send(h.bytes);
    }
    if (this.heldOutput.length === 0 && this.closeAfterReply) this.flush();
  }

  #send(bytes: Uint8Array): void {
    const ok = this.conn!.write(bytes);
    if (!ok && this.conn!.pendingBytes > OUTPUT_PAUSE) this.conn!.pause();
  }

  /** Called when the socket drained: resume reading and finish any buffered work. */
  onDrain(): void {
    this.conn?.resume();
  }

  /** Closes the connection now (CLIENT KILL, timeouts, shutdown). */
  kill(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn?.destroy();
    this.server.removeClient(this);
  }

  /** Copies queued args: parser views are only valid until the next read. */
  static own(args: Uint8Array[]): Uint8Array[] {
    return args.map((a) => scratchSlab.copy(a));
  }

  /** One CLIENT LIST line, field for field as Redis 7.0. */
  describe(): string {
    const now = Date.now();
    // Redis's letter order: S/M/O/P (kept in flagLetters by replication and pub/sub), then x b d c e.
    const flags = this.flagLetters + (this.multi ? "x" : "") + (this.blocked ? "b" : "") +
        (this.watchDirty ? "d" : "") + (this.closeAfterReply ? "c" : "") +
        (this.noEvict ? "e" : "") || "N";
    return [
      `id=${this.id}`,
      `addr=${this.addr}`,
      `laddr=${this.laddr}`,
      `fd=${this.conn ? 8 + this.id : -1}`,
      `name=${this.name}`,
      `age=${Math.floor((now - this.createdAt) / 1000)}`,
      `idle=${Math.floor((now - this.lastInteraction) / 1000)}`,
      `flags=${flags}`,
      `db=${this.db.id}`,
      `sub=${this.channels.size}`,
      `psub=${this.patterns.size}`,
      `ssub=${this.shardChannels.size}`,
      `multi=${this.multi ? this.multi.length : -1}`,
      `qbuf=${this.parser.buffered}`,
      `qbuf-free=0`,
      `argv-mem=0`,
      `multi-mem=0`,
      `rbs=${this.reply.buf.length}`,
      `rbp=${this.reply.len}`,
      `obl=0`,
      `oll=0`,
      `omem=${this.conn?.pendingBytes ?? 0}`,
      `tot-mem=${this.reply.buf.length + this.parser.buffered}`,
      `events=r`,
      `cmd=${this.lastCommand}`,
      `user=${this.user}`,
      `redir=-1`,
      `resp=${this.reply.proto}`,
    ].join(" ");
  }
}

export type Ctx = Client;
export { toArgv };
