// The WebSocket endpoint (/ws, protocol in docs/websocket.md) over the raw upgraded socket, with
// RFC 6455 framing from ws_frames.ts: an event's frame is encoded once and all the frames a
// subscriber is owed go to its socket in one write (with many events per round, about 8× less CPU
// than one Deno WebSocket send per frame, measured); the socket's own buffer gives back-pressure.
// Each connection is a change-feed cursor plus, for the `command` op, a Redis client of its own.

import type { Duplex } from "node:stream";
import type { Server } from "../server/server.ts";
import type { Client } from "../server/client.ts";
import type { Conn } from "./socket.ts";
import {
  eventJson,
  type Feed,
  type FeedConn,
  type FeedEntry,
  type Subscription,
} from "../feed/feed.ts";
import { type Json, respJson } from "../feed/json.ts";
import { decodeAt, encodeCommand } from "../resp/decoder.ts";
import { utf8 } from "../util/bytes.ts";
import { bytesToLatin1 } from "../util/numbers.ts";
import { credentialCheck, login, sessionUser } from "./sessions.ts";
import { FrameReader, OP, textFrame, WsError, wsFrame } from "./ws_frames.ts";

export { acceptKey } from "./ws_frames.ts";
import { addMonitorSink } from "../commands/monitor.ts";

/** Events are handed to a socket only while less than this is waiting in its buffer. */
const SOFT_LIMIT = 256 * 1024;
/** Replies a client does not read: past this much unsent output the socket is closed. */
const HARD_LIMIT = 64 * 1024 * 1024;
/** Messages a client may send per second; past that, its socket is not read until the next second. */
const MAX_MESSAGES_PER_SEC = 5000;
/** Subscriptions one connection may hold. */
const MAX_SUBSCRIPTIONS = 1000;
/** Commands that would put unsolicited pushes into the reply stream: not for the `command` op. */
const NOT_VIA_COMMAND_OP = new Set([
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "monitor",
  "sync",
  "psync",
]);

const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

/** The frame of an event, made once and shared by every subscriber. */
function eventFrame(e: FeedEntry): Uint8Array {
  return e.wire ??= textFrame(eventJson(e));
}

/** One WebSocket connection: feed cursor, `command` op client, login state. */
export class WsSession {
  readonly #reader: FrameReader;
  readonly #feedConn: FeedConn;
  #client: Client | undefined;
  #respBuf = new Uint8Array(0);
  #pendingIds: Json[] = [];
  #closed = false;
  #msgWindow = 0;
  #msgCount = 0;
  /** The `monitor` op: detach function, lines waiting for this task's end, lines dropped. */
  #monitorOff: (() => void) | undefined;
  #monitorLines: string[] = [];
  #monitorDropped = 0;

  constructor(
    readonly server: Server,
    readonly feed: Feed,
    readonly sock: Duplex & { writableLength: number },
    /** The logged-in user; undefined until an `auth` op when a login is required. */
    public user: string | undefined,
    readonly remoteAddr: string,
    readonly localAddr: string,
  ) {
    this.#reader = new FrameReader(server.config.num("http-max-body-size"));
    const sink = {
      writable: () => !this.#closed && sock.writableLength < SOFT_LIMIT,
      sendEvents: (entries: FeedEntry[]) => this.#sendEvents(entries),
      sendControl: (msg: Json) => this.send(msg),
      close: (code: number, reason: string) => this.close(code, reason),
    };
    this.#feedConn = feed.open(sink);
    sock.on("data", (b: Uint8Array) => this.#onData(b));
    sock.on("drain", () => feed.wake());
    sock.on("close", () => this.#cleanup());
    sock.on("error", () => sock.destroy());
  }

  /** Sends one JSON message (replies and control messages; events go through the feed). */
  send(msg: Json): void {
    this.#write(wsFrame(OP.text, enc.encode(JSON.stringify(msg))));
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    const r = enc.encode(reason);
    const payload = new Uint8Array(2 + r.length);
    payload[0] = code >> 8;
    payload[1] = code & 255;
    payload.set(r, 2);
    this.sock.write(wsFrame(OP.close, payload));
    this.#closed = true;
    this.sock.end();
    // A peer that never answers the close frame is cut off.
    setTimeout(() => this.sock.destroy(), 2000).unref?.();
    this.#cleanup();
  }

  #write(b: Uint8Array): void {
    if (this.#closed) return;
    this.sock.write(b);
    if (this.sock.writableLength > HARD_LIMIT) {
      this.server.log.verbose(`WebSocket ${this.remoteAddr} closed: output buffer limit`);
      this.#closed = true;
      this.sock.destroy();
      this.#cleanup();
    }
  }

  #sendEvents(entries: FeedEntry[]): void {
    if (entries.length === 1) return this.#write(eventFrame(entries[0]));
    let n = 0;
    for (const e of entries) n += eventFrame(e).length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const e of entries) {
      out.set(e.wire!, o);
      o += e.wire!.length;
    }
    this.#write(out);
  }

  #cleanup(): void {
    this.#monitorOff?.();
    this.#monitorOff = undefined;
    this.#closed = true;
    this.feed.close(this.#feedConn);
    this.#dropClient(true);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    let msgs;
    try {
      msgs = this.#reader.push(chunk);
    } catch (e) {
      if (e instanceof WsError) return this.close(e.code, e.message);
      throw e;
    }
    for (const m of msgs) {
      if (this.#closed) return;
      this.#throttle();
      switch (m.op) {
        case OP.ping:
          this.#write(wsFrame(OP.pong, m.data));
          break;
        case OP.pong:
          break;
        case OP.close:
          return this.close(m.data.length >= 2 ? (m.data[0] << 8) | m.data[1] : 1000, "");
        case OP.binary:
          this.send({ op: "error", message: "binary frames are not supported: send JSON text" });
          break;
        case OP.text: {
          let text: string;
          try {
            text = utf8Strict.decode(m.data);
          } catch {
            return this.close(1007, "text frame is not valid UTF-8");
          }
          this.#onMessage(text);
        }
      }
    }
  }

  /** Floods: past the per-second budget, stop reading the socket until the next second. */
  #throttle(): void {
    const sec = Math.floor(Date.now() / 1000);
    if (sec !== this.#msgWindow) {
      this.#msgWindow = sec;
      this.#msgCount = 0;
    }
    if (++this.#msgCount === MAX_MESSAGES_PER_SEC) {
      this.sock.pause();
      setTimeout(() => this.sock.resume(), 1000 - (Date.now() % 1000));
    }
  }

  #onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.send({ op: "error", message: "invalid JSON" });
    }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
      return this.send({ op: "error", message: "a message must be a JSON object with an op" });
    }
    const m = msg as Record<string, unknown>;
    const id = (m.id ?? null) as Json;
    const fail = (message: string) =>
      this.send(id === null ? { op: "error", message } : { op: "error", id, message });
    if (m.op === "ping") return this.send({ op: "pong" });
    if (m.op === "auth") return this.#auth(m, fail);
    if (this.user === undefined) {
      return fail('NOAUTH Authentication required: send {"op":"auth",…} first');
    }
    switch (m.op) {
      case "subscribe":
        return this.#subscribe(m, id, fail);
      case "unsubscribe": {
        if (m.patterns !== undefined && !isStringArray(m.patterns)) {
          return fail("patterns must be an array of strings");
        }
        const pats = m.patterns === undefined ? undefined : (m.patterns as string[]).map(binary);
        this.feed.unsubscribe(this.#feedConn, pats);
        return this.send({ op: "unsubscribed", id, patterns: (m.patterns ?? null) as Json });
      }
      case "command":
        return this.#command(m, id, fail);
      case "monitor":
        return this.#monitor(m.on !== false);
      default:
        return fail(`unknown op ${JSON.stringify(m.op ?? null)}`);
    }
  }

  /** MONITOR over the socket: `{"op":"monitor","line":…}` per command, batched per task. */
  #monitor(on: boolean): void {
    if (on && !this.#monitorOff) {
      this.#monitorOff = addMonitorSink(this.server, (line) => {
        if (this.sock.writableLength >= SOFT_LIMIT) {
          this.#monitorDropped++;
          return;
        }
        if (this.#monitorLines.length === 0) queueMicrotask(() => this.#flushMonitor());
        this.#monitorLines.push(line);
      });
    } else if (!on && this.#monitorOff) {
      this.#monitorOff();
      this.#monitorOff = undefined;
    }
    this.send({ op: "monitor", on });
  }

  #flushMonitor(): void {
    const lines = this.#monitorLines;
    this.#monitorLines = [];
    if (this.#monitorDropped > 0) {
      this.send({ op: "lagged", dropped: this.#monitorDropped, monitor: true });
      this.#monitorDropped = 0;
    }
    const frames = lines.map((line) =>
      wsFrame(OP.text, enc.encode(JSON.stringify({ op: "monitor", line })))
    );
    let n = 0;
    for (const f of frames) n += f.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const f of frames) {
      out.set(f, o);
      o += f.length;
    }
    this.#write(out);
  }

  #auth(m: Record<string, unknown>, fail: (s: string) => void): void {
    let user: string | undefined;
    if (typeof m.token === "string") user = sessionUser(this.server, m.token);
    else if (typeof m.password === "string") {
      const name = typeof m.username === "string" ? m.username : undefined;
      user = login(this.server, name, m.password)?.user;
    } else if (!credentialCheck.required(this.server)) user = "default";
    if (user === undefined) {
      return fail("WRONGPASS invalid username-password pair or user is disabled.");
    }
    this.user = user;
    if (this.#client) this.#client.setAuthenticated(user);
    this.send({ op: "authenticated", user });
  }

  #subscribe(m: Record<string, unknown>, id: Json, fail: (s: string) => void): void {
    if (!isStringArray(m.patterns) || m.patterns.length === 0) {
      return fail("patterns must be a non-empty array of strings");
    }
    const dbs = this.server.dbs.length;
    if (
      m.db !== undefined &&
      (!Number.isInteger(m.db) || (m.db as number) < 0 || (m.db as number) >= dbs)
    ) {
      return fail(`db must be an integer from 0 to ${dbs - 1}`);
    }
    if (m.events !== undefined && !isStringArray(m.events)) {
      return fail("events must be an array of strings");
    }
    if (m.since !== undefined && (!Number.isSafeInteger(m.since) || (m.since as number) < 0)) {
      return fail("since must be a non-negative integer");
    }
    const fc = this.#feedConn;
    if (fc.subs.length + m.patterns.length > MAX_SUBSCRIPTIONS) {
      return fail(`at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
    }
    const events = m.events === undefined ? undefined : new Set(m.events as string[]);
    const subs: Subscription[] = m.patterns.map((p) => ({
      pattern: binary(p),
      db: m.db as number | undefined,
      events,
    }));
    // The acknowledgement goes first: events (or resync) that `since` replays come after it.
    this.send({ op: "subscribed", id, patterns: m.patterns, seq: this.feed.lastSeq });
    this.feed.subscribe(fc, subs, m.since as number | undefined);
  }

  #command(m: Record<string, unknown>, id: Json, fail: (s: string) => void): void {
    const args = m.args;
    if (!Array.isArray(args) || args.length === 0) return fail("args must be a non-empty array");
    const argv: Uint8Array[] = [];
    for (const a of args) {
      if (typeof a === "string") argv.push(utf8(a));
      else if (typeof a === "number" && Number.isFinite(a)) argv.push(utf8(String(a)));
      else if (
        a && typeof a === "object" && typeof (a as { base64?: unknown }).base64 === "string"
      ) {
        try {
          argv.push(
            Uint8Array.from(atob((a as { base64: string }).base64), (c) => c.charCodeAt(0)),
          );
        } catch {
          return fail("bad base64 argument");
        }
      } else return fail('each arg must be a string, a number or {"base64":…}');
    }
    const name = bytesToLatin1(argv[0]).toLowerCase();
    if (NOT_VIA_COMMAND_OP.has(name) || (name === "client" && isTracking(argv))) {
      const op = name === "monitor" ? "monitor" : "subscribe";
      return fail(`'${name}' is not available through the command op (use the ${op} op)`);
    }
    this.#pendingIds.push(id);
    this.#redisClient().onData(encodeCommand(argv));
  }

  /** This connection's Redis client: its replies come back through a socket-less Conn. */
  #redisClient(): Client {
    if (this.#client && !this.#client.closed) return this.#client;
    const conn: Conn = {
      remoteAddr: this.remoteAddr,
      localAddr: this.localAddr,
      write: (b) => {
        this.#onReply(b);
        return true;
      },
      end: () => this.#dropClient(false),
      destroy: () => this.#dropClient(false),
      pause: () => {},
      resume: () => {},
      pendingBytes: 0,
    };
    const c = this.server.newClient(conn);
    c.name = "";
    c.setAuthenticated(this.user!);
    this.#client = c;
    return c;
  }

  #dropClient(closing: boolean): void {
    const c = this.#client;
    if (!c) return;
    this.#client = undefined;
    if (closing && !c.closed) c.kill();
    // Commands still waiting for a reply (QUIT, CLIENT KILL) get none.
    this.#respBuf = new Uint8Array(0);
    this.#pendingIds = [];
  }

  /** Cuts complete replies out of the client's output and answers the oldest pending ids. */
  #onReply(b: Uint8Array): void {
    let buf = b;
    if (this.#respBuf.length > 0) {
      buf = new Uint8Array(this.#respBuf.length + b.length);
      buf.set(this.#respBuf);
      buf.set(b, this.#respBuf.length);
    }
    let pos = 0;
    for (;;) {
      const r = decodeAt(buf, pos);
      if (!r) break;
      pos = r[1];
      const id = this.#pendingIds.shift() ?? null;
      this.send({ op: "reply", id, result: respJson(r[0]) });
    }
    this.#respBuf = pos === buf.length ? new Uint8Array(0) : buf.slice(pos);
  }
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

/** A JSON string as the binary string keys are compared with (its UTF-8 bytes, one char each). */
function binary(s: string): string {
  return bytesToLatin1(utf8(s));
}

/** CLIENT TRACKING would push invalidations into the reply stream. */
function isTracking(argv: Uint8Array[]): boolean {
  return argv.length > 1 && bytesToLatin1(argv[1]).toLowerCase() === "tracking";
}
