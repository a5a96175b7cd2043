// The change feed: every change record's key events, numbered (`seq`) into a bounded in-memory ring
// with a snapshot of the value, and delivered to subscribed connections (WebSocket). Each
// connection is a cursor into the shared ring, so a write costs O(1) whatever the number of
// subscribers; delivery happens after the writing command has replied, in batches, only while a
// connection's socket takes more (back-pressure). A connection that falls further behind than
// `feed-queue-max-events` loses the oldest events and is told how many (`lagged`); one that does not
// read at all for `feed-slow-consumer-timeout` seconds is closed.

import type { Server } from "../server/server.ts";
import type { ChangeRecord } from "../server/write_path.ts";
import { MutableString, typeName, type Value } from "../store/types.ts";
import { globMatch } from "../util/glob.ts";
import { binJson, bytesJson, type Json, valueJson, valueSize } from "./json.ts";

/** One change as subscribers see it. Built at write time; JSON is made on first delivery. */
export interface FeedEntry {
  seq: number;
  ts: number;
  /** null for FLUSHALL (every db). */
  db: number | null;
  /** The key as a binary string; null for db-wide events (flushdb, flushall, swapdb). */
  key: string | null;
  event: string;
  type: string | null;
  ttlMs: number | null;
  /** String values: the stored bytes (immutable), encoded lazily. */
  raw?: Uint8Array;
  /** Collection values, already as JSON (null: the key is gone). */
  value?: Json;
  /** The value exists but is bigger than feed-value-max-bytes. */
  truncated?: boolean;
  /** Cached encodings: the JSON text, and the transport's frame (set by ws.ts). */
  json?: string;
  wire?: Uint8Array;
}

/** One subscription: a glob on keys (binary string), optionally one db and some event names. */
export interface Subscription {
  pattern: string;
  db?: number;
  events?: Set<string>;
}

/** What the feed needs from a connection's transport. */
export interface FeedSink {
  /** True while the socket takes more without queueing past its soft limit. */
  writable(): boolean;
  /** Sends events, in order (one message each). */
  sendEvents(entries: FeedEntry[]): void;
  /** Control messages: `lagged` before the events that follow a gap, `resync` when `since` is gone. */
  sendControl(msg: Json): void;
  /** Closes the connection (slow consumer). */
  close(code: number, reason: string): void;
}

/** A connection's place in the feed. */
export class FeedConn {
  subs: Subscription[] = [];
  /** Next seq to look at. */
  cursor = 0;
  /** Matching events skipped since the last `lagged` message. */
  dropped = 0;
  /** Since when the socket has refused more (0 while writable). */
  stalledSince = 0;
  constructor(readonly sink: FeedSink) {}

  matches(e: FeedEntry): boolean {
    for (const s of this.subs) {
      if (s.db !== undefined && e.db !== null && s.db !== e.db) continue;
      if (s.events !== undefined && !s.events.has(e.event)) continue;
      if (e.key === null || s.pattern === "*" || globMatch(s.pattern, e.key)) return true;
    }
    return false;
  }
}

/** Events that are not changes (a read that missed) stay out of the feed. */
const NOT_CHANGES = new Set(["keymiss"]);
/** Commands whose effect is db-wide: they become one event with a null key. */
const DB_WIDE = new Set(["flushdb", "flushall", "swapdb"]);
/** Largest batch handed to a socket at once. */
const BATCH_BYTES = 64 * 1024;
/** Time one delivery round may take before it yields to the RESP side. */
const ROUND_BUDGET_MS = 4;

export class Feed {
  #ring: (FeedEntry | undefined)[] = [];
  #cap = 0;
  /** Seq the next entry gets (seqs start at 1). */
  #head = 1;
  readonly conns = new Set<FeedConn>();
  #scheduled = false;
  #lastRound = 0;
  #rr = 0;
  valueMax = 1024;
  queueMax = 1000;
  slowConsumerMs = 30_000;
  /** Counters for INFO / metrics. */
  eventsTotal = 0;
  droppedTotal = 0;
  #detach: () => void;

  constructor(readonly server: Server) {
    const cfg = server.config;
    cfg.watch("feed-ring-size", (v) => this.resize(Number(v)));
    cfg.watch("feed-value-max-bytes", (v) => (this.valueMax = Number(v)));
    cfg.watch("feed-queue-max-events", (v) => (this.queueMax = Number(v)));
    cfg.watch("feed-slow-consumer-timeout", (v) => (this.slowConsumerMs = Number(v) * 1000));
    this.#detach = server.wp.subscribe((rec) => this.#record(rec));
  }

  /** Oldest seq still in the ring. */
  get tail(): number {
    return Math.max(1, this.#head - this.#cap);
  }

  /** Seq of the newest entry (0 before any). */
  get lastSeq(): number {
    return this.#head - 1;
  }

  /** Connections with at least one subscription. */
  get subscribers(): number {
    let n = 0;
    for (const c of this.conns) if (c.subs.length > 0) n++;
    return n;
  }

  /** Changes the ring size, keeping the newest entries. */
  resize(cap: number): void {
    const keep: FeedEntry[] = [];
    for (let s = Math.max(this.tail, this.#head - cap); s < this.#head; s++) {
      const e = this.#ring[s % this.#cap];
      if (e) keep.push(e);
    }
    this.#cap = Math.max(1, cap);
    this.#ring = new Array(this.#cap);
    for (const e of keep) this.#ring[e.seq % this.#cap] = e;
  }

  entry(seq: number): FeedEntry | undefined {
    if (seq < this.tail || seq >= this.#head) return undefined;
    const e = this.#ring[seq % this.#cap];
    return e?.seq === seq ? e : undefined;
  }

  stop(): void {
    this.#detach();
  }

  open(sink: FeedSink): FeedConn {
    const c = new FeedConn(sink);
    c.cursor = this.#head;
    this.conns.add(c);
    return c;
  }

  close(c: FeedConn): void {
    this.conns.delete(c);
  }

  /**
   * Adds subscriptions. With `since`, delivery restarts after that seq when it is still in the
   * ring; otherwise (`since` too old) the connection gets `resync` and continues live.
   */
  subscribe(c: FeedConn, subs: Subscription[], since?: number): void {
    if (c.subs.length === 0) c.cursor = this.#head;
    c.subs.push(...subs);
    if (since !== undefined) {
      if (since + 1 >= this.tail || since + 1 >= this.#head) {
        c.cursor = Math.min(Math.max(since + 1, 1), this.#head);
      } else {
        c.sink.sendControl({ op: "resync" });
        c.cursor = this.#head;
      }
    }
    this.#schedule();
  }

  /** Removes the subscriptions on these patterns (all when `patterns` is undefined). */
  unsubscribe(c: FeedConn, patterns?: string[]): void {
    if (patterns === undefined) c.subs = [];
    else c.subs = c.subs.filter((s) => !patterns.includes(s.pattern));
  }

  /** Called by a sink whose socket drained. */
  wake(): void {
    this.#schedule();
  }

  #record(rec: ChangeRecord): void {
    const snapshot = this.conns.size > 0;
    for (const ev of rec.events) {
      if (NOT_CHANGES.has(ev.event)) continue;
      this.#push(this.#entry(rec.ts, ev.db, ev.key, ev.event, snapshot));
    }
    for (const cmd of rec.commands) {
      const name = cmd.argv.length > 0 ? ascii(cmd.argv[0]) : "";
      if (!DB_WIDE.has(name)) continue;
      const db = name === "flushall"
        ? null
        : name === "swapdb"
        ? Number(ascii(cmd.argv[1]))
        : cmd.db;
      this.#push({ seq: 0, ts: rec.ts, db, key: null, event: name, type: null, ttlMs: null });
    }
    if (this.conns.size > 0) this.#schedule();
  }

  #entry(ts: number, dbId: number, key: string, event: string, snapshot: boolean): FeedEntry {
    const db = this.server.dbs[dbId];
    // The dicts directly: a lookup through Db.get could expire keys inside this listener.
    const v: Value | undefined = db?.dict.get(key);
    const e: FeedEntry = { seq: 0, ts, db: dbId, key, event, type: null, ttlMs: null };
    if (v === undefined) {
      e.value = null;
      return e;
    }
    e.type = typeName(v);
    const at = db.expires.size > 0 ? db.expires.get(key) : undefined;
    if (at !== undefined) e.ttlMs = Math.max(0, at - ts);
    if (valueSize(v) > this.valueMax) e.truncated = true;
    else if (v instanceof Uint8Array) e.raw = v;
    else if (v instanceof MutableString) e.raw = v.bytes().slice();
    else if (snapshot) {
      const j = valueJson(v, this.valueMax);
      if (j === undefined) e.truncated = e.type !== "stream";
      else e.value = j;
    }
    return e;
  }

  #push(e: FeedEntry): void {
    e.seq = this.#head++;
    this.#ring[e.seq % this.#cap] = e;
    this.eventsTotal++;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Right after the current task when idle (latency); at most one round per ms under load.
    if (performance.now() - this.#lastRound >= 1) queueMicrotask(() => this.#round());
    else setTimeout(() => this.#round(), 1);
  }

  /** One delivery round over every connection, within a time budget. */
  #round(): void {
    this.#scheduled = false;
    const start = this.#lastRound = performance.now();
    const conns = [...this.conns];
    let more = false;
    for (let i = 0; i < conns.length; i++) {
      const c = conns[(this.#rr + i) % conns.length];
      if (this.#deliver(c)) more = true;
      if (performance.now() - start > ROUND_BUDGET_MS) {
        this.#rr = (this.#rr + i + 1) % conns.length;
        more = true;
        break;
      }
    }
    if (more) this.#schedule();
  }

  /** Moves one connection's cursor forward as far as its socket allows; true if work remains. */
  #deliver(c: FeedConn): boolean {
    const head = this.#head;
    if (c.subs.length === 0) {
      c.cursor = head;
      return false;
    }
    if (c.cursor < this.tail) {
      // Overwritten before it could be sent (a burst bigger than the ring): all count as dropped.
      c.dropped += this.tail - c.cursor;
      c.cursor = this.tail;
    }
    if (!c.sink.writable()) {
      // A socket that takes no more keeps at most queueMax events owed; older ones are dropped.
      if (head - c.cursor > this.queueMax) {
        const to = head - this.queueMax;
        for (let s = c.cursor; s < to; s++) {
          const e = this.entry(s);
          if (e && c.matches(e)) c.dropped++;
        }
        c.cursor = to;
      }
      const now = Date.now();
      if (c.stalledSince === 0) c.stalledSince = now;
      else if (c.dropped > 0 && now - c.stalledSince > this.slowConsumerMs) {
        c.sink.close(1008, "consumer too slow");
        this.close(c);
      }
      return false;
    }
    c.stalledSince = 0;
    if (c.dropped > 0) {
      this.droppedTotal += c.dropped;
      c.sink.sendControl({ op: "lagged", dropped: c.dropped });
      c.dropped = 0;
    }
    while (c.cursor < head && c.sink.writable()) {
      const batch: FeedEntry[] = [];
      let bytes = 0;
      while (c.cursor < head && bytes < BATCH_BYTES) {
        const e = this.entry(c.cursor++);
        if (e === undefined || !c.matches(e)) continue;
        batch.push(e);
        bytes += eventJson(e).length;
      }
      if (batch.length > 0) c.sink.sendEvents(batch);
    }
    return c.cursor < head;
  }
}

function ascii(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b.subarray(0, 16) as unknown as number[]).toLowerCase();
}

/** The event's JSON message, made once and shared by every subscriber. */
export function eventJson(e: FeedEntry): string {
  if (e.json !== undefined) return e.json;
  let s = `{"op":"event","seq":${e.seq},"ts":${e.ts},"db":${e.db},"key":${
    e.key === null ? "null" : JSON.stringify(binJson(e.key))
  },"event":${JSON.stringify(e.event)},"type":${
    e.type === null ? "null" : `"${e.type}"`
  },"ttlMs":${e.ttlMs}`;
  if (e.truncated) s += `,"value":null,"truncated":true`;
  else if (e.raw !== undefined) s += `,"value":${JSON.stringify(bytesJson(e.raw))}`;
  else if (e.value !== undefined) s += `,"value":${JSON.stringify(e.value)}`;
  e.json = s + "}";
  e.raw = undefined;
  return e.json;
}

const feeds = new WeakMap<Server, Feed>();

/** The server's feed, created (and attached to the write path) on first use. */
export function feedOf(server: Server): Feed {
  let f = feeds.get(server);
  if (!f) feeds.set(server, f = new Feed(server));
  return f;
}
