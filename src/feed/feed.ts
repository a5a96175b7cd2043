// The change feed: every change record's key events, numbered (`seq`) into a bounded in-memory ring
// with a snapshot of the value, and delivered to subscribed connections (WebSocket). A write only
// appends to the ring; delivery runs after the writing command has replied, in rounds that match
// each new event once per distinct pattern (groups.ts), hand each connection its events in batches
// while its socket takes more (back-pressure), and stay within feed-cpu-percent of the event loop.
// A connection whose socket takes no more keeps at most `feed-queue-max-events` owed (older ones are
// dropped and counted in a `lagged` message); one that reads nothing for
// `feed-slow-consumer-timeout` seconds is closed.

import { cpuUsage } from "node:process";
import type { Server } from "../server/server.ts";
import type { ChangeRecord } from "../server/write_path.ts";
import { MutableString, typeName, type Value } from "../store/types.ts";
import { globMatch } from "../util/glob.ts";
import { eventJson, valueJson, valueSize } from "./json.ts";
import { DELIVERY_BUCKETS, Histogram } from "./histogram.ts";

export { eventJson };
import {
  anyMatches,
  FeedConn,
  type FeedEntry,
  type FeedSink,
  Group,
  signature,
  type Subscription,
} from "./groups.ts";

export { FeedConn };

export type { FeedEntry, FeedSink, Subscription } from "./groups.ts";

/** Events that are not changes (a read that missed) stay out of the feed. */
const NOT_CHANGES = new Set(["keymiss"]);
/** Commands whose effect is db-wide: they become one event with a null key. */
const DB_WIDE = new Set(["flushdb", "flushall", "swapdb"]);
/** Largest batch handed to a socket at once. */
const BATCH_BYTES = 64 * 1024;
/** Time one delivery round may take before it yields to the RESP side. */
const ROUND_BUDGET_MS = 4;
/** Bytes one connection may be sent per round. */
const ROUND_BYTES = 1024 * 1024;
/** CPU use (share of one core) above which the process counts as busy and delivery is paced. */
const BUSY_UTIL = 0.6;
/** Longest pause between rounds, whatever the last one cost. */
const MAX_ROUND_GAP_MS = 50;

export class Feed {
  #ring: (FeedEntry | undefined)[] = [];
  #cap = 0;
  /** Seq the next entry gets (seqs start at 1). */
  #head = 1;
  readonly conns = new Set<FeedConn>();
  /** Subscription groups by signature, and by pattern (an event is matched once per pattern). */
  readonly #groups = new Map<string, Group>();
  readonly #index = new Map<string, Set<Group>>();
  /** Connections with events or a `lagged` notice to send, and groups with new events. */
  readonly #ready = new Set<FeedConn>();
  readonly #touched = new Set<Group>();
  #scheduled = false;
  /** When the last round ended and what it cost (ms). */
  #lastRoundEnd = 0;
  #lastRoundCost = 0;
  /** The process's CPU use over the last ~100 ms window (1 = one core busy), and that window. */
  #util = 0;
  #window = { wall: 0, cpu: 0 };
  cpuPercent = 25;
  valueMax = 1024;
  queueMax = 1000;
  slowConsumerMs = 30_000;
  /** Time from a change to its frame being handed to a subscriber's socket (for /metrics). */
  readonly delivery = new Histogram(DELIVERY_BUCKETS);
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
    cfg.watch("feed-cpu-percent", (v) => (this.cpuPercent = Number(v)));
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
    this.conns.add(c);
    return c;
  }

  close(c: FeedConn): void {
    this.#move(c, []);
    this.conns.delete(c);
    this.#ready.delete(c);
  }

  /**
   * Adds subscriptions. With `since`, the events after that seq still in the ring are owed again
   * (matching all of the connection's subscriptions); when some are gone the connection gets
   * `resync` and continues live.
   */
  subscribe(c: FeedConn, subs: Subscription[], since?: number): void {
    this.#move(c, [...c.subs, ...subs]);
    if (since !== undefined) {
      if (since + 1 < this.tail && since + 1 < this.#head) {
        c.sink.sendControl({ op: "resync" });
      } else {
        // Replaces what was owed: the replay covers it, in order, up to what the group has.
        const owed: FeedEntry[] = [];
        for (let s = Math.max(since + 1, 1); s < this.#head; s++) {
          const e = this.entry(s);
          if (e && anyMatches(c.subs, e)) owed.push(e);
        }
        c.carry = owed;
        c.pos = c.group!.end;
      }
    }
    if (c.owed > 0) this.#ready.add(c);
    this.#schedule();
  }

  /** Removes the subscriptions on these patterns (all when `patterns` is undefined). */
  unsubscribe(c: FeedConn, patterns?: string[]): void {
    this.#move(
      c,
      patterns === undefined ? [] : c.subs.filter((s) => !patterns.includes(s.pattern)),
    );
  }

  /** Moves a connection to the group of `subs`, keeping the owed events that still match. */
  #move(c: FeedConn, subs: Subscription[]): void {
    const key = signature(subs);
    const old = c.group;
    if (old?.key === key) return;
    const owed = c.pending().filter((e) => anyMatches(subs, e));
    if (old) {
      old.members.delete(c);
      if (old.members.size === 0) this.#dropGroup(old);
      else old.trim();
    }
    c.carry = owed;
    if (subs.length === 0) {
      c.group = undefined;
      c.pos = 0;
      return;
    }
    let g = this.#groups.get(key);
    if (!g) {
      g = new Group(key, subs);
      this.#groups.set(key, g);
      for (const p of new Set(subs.map((s) => s.pattern))) {
        let set = this.#index.get(p);
        if (!set) this.#index.set(p, set = new Set());
        set.add(g);
      }
    }
    g.members.add(c);
    c.group = g;
    c.pos = g.end;
  }

  #dropGroup(g: Group): void {
    this.#groups.delete(g.key);
    for (const s of g.subs) {
      const set = this.#index.get(s.pattern);
      set?.delete(g);
      if (set?.size === 0) this.#index.delete(s.pattern);
    }
  }

  /** Called by a sink whose socket drained. */
  wake(): void {
    this.#schedule();
  }

  #record(rec: ChangeRecord): void {
    const snapshot = this.conns.size > 0;
    const at = performance.now();
    for (const ev of rec.events) {
      if (NOT_CHANGES.has(ev.event)) continue;
      this.#push(this.#entry(rec.ts, ev.db, ev.key, ev.event, snapshot), at);
    }
    for (const cmd of rec.commands) {
      const a0 = cmd.argv[0];
      // FLUSHDB, FLUSHALL, SWAPDB: 6 to 8 letters starting with f or s.
      if (
        !a0 || a0.length < 6 || a0.length > 8 ||
        ((a0[0] | 0x20) !== 0x66 && (a0[0] | 0x20) !== 0x73)
      ) {
        continue;
      }
      const name = ascii(a0);
      if (!DB_WIDE.has(name)) continue;
      const db = name === "flushall"
        ? null
        : name === "swapdb"
        ? Number(ascii(cmd.argv[1]))
        : cmd.db;
      this.#push({ seq: 0, ts: rec.ts, db, key: null, event: name, type: null, ttlMs: null }, at);
    }
    if (this.#touched.size > 0) this.#schedule();
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

  #push(e: FeedEntry, at: number): void {
    e.seq = this.#head++;
    e.at = at;
    this.#ring[e.seq % this.#cap] = e;
    this.eventsTotal++;
    if (this.#index.size > 0) this.#fanOut(e);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A round runs right after the current task (latency), unless the process is busy: then
    // rounds are spaced so that delivery takes at most feed-cpu-percent of the time, the writers
    // keep the rest, and events batch up meanwhile.
    const now = performance.now();
    this.#sampleUtil(now);
    const gap = Math.min(MAX_ROUND_GAP_MS, this.#lastRoundCost * (100 / this.cpuPercent - 1));
    const wait = this.#util > BUSY_UTIL ? this.#lastRoundEnd + gap - now : 0;
    if (wait <= 0) queueMicrotask(() => this.#round());
    else setTimeout(() => this.#round(), Math.ceil(wait));
  }

  #sampleUtil(now: number): void {
    if (now - this.#window.wall < 100) return;
    const u = cpuUsage();
    const cpu = (u.user + u.system) / 1000;
    this.#util = (cpu - this.#window.cpu) / (now - this.#window.wall);
    this.#window = { wall: now, cpu };
  }

  /** Adds a new entry to the groups it matches (once per distinct pattern). */
  #fanOut(e: FeedEntry): void {
    for (const [pattern, groups] of this.#index) {
      if (e.key !== null && pattern !== "*" && !globMatch(pattern, e.key)) continue;
      for (const g of groups) {
        if (g.lastSeq === e.seq || !g.passes(pattern, e)) continue;
        g.add(e);
        this.#touched.add(g);
      }
    }
  }

  /** One delivery round, within a time budget (the rest waits for the next round). */
  #round(): void {
    this.#scheduled = false;
    const start = performance.now();
    const cpu0 = cpuUsage();
    for (const g of this.#touched) for (const c of g.members) this.#ready.add(c);
    this.#touched.clear();
    let more = false;
    for (const c of [...this.#ready]) {
      if (this.#deliver(c)) {
        // Round-robin: whoever still has work goes to the back.
        this.#ready.delete(c);
        this.#ready.add(c);
        more = true;
      } else if (c.owed === 0 && c.dropped === 0) this.#ready.delete(c);
      if (performance.now() - start > ROUND_BUDGET_MS) {
        more = true;
        break;
      }
    }
    for (const g of this.#groups.values()) g.trim();
    // CPU time, not wall time: on a busy machine the round may be preempted, which costs the
    // writers nothing.
    const cpu = cpuUsage(cpu0);
    this.#lastRoundEnd = performance.now();
    this.#lastRoundCost = Math.min(this.#lastRoundEnd - start, (cpu.user + cpu.system) / 1000);
    if (more) this.#schedule();
  }

  /** Sends what a connection is owed as far as its socket allows; true if it could take more. */
  #deliver(c: FeedConn): boolean {
    const writable = c.sink.writable();
    // A socket that filled up (now or at an earlier round) keeps at most queueMax events owed;
    // older ones are dropped. One that keeps up may hold a burst up to the ring size.
    const limit = writable && c.stalledSince === 0
      ? Math.max(this.queueMax, this.#cap)
      : this.queueMax;
    const over = c.owed - limit;
    if (over > 0) {
      c.skip(over);
      c.dropped += over;
    }
    if (!writable) {
      const now = Date.now();
      if (c.stalledSince === 0) c.stalledSince = now;
      else if (c.dropped > 0 && now - c.stalledSince > this.slowConsumerMs) {
        c.sink.close(1008, "consumer too slow");
        this.close(c);
      }
      return false;
    }
    if (c.dropped > 0) {
      this.droppedTotal += c.dropped;
      c.sink.sendControl({ op: "lagged", dropped: c.dropped });
      c.dropped = 0;
    }
    // At most ROUND_BYTES per round, so one connection cannot hold the round up.
    for (let bytes = 0; c.owed > 0 && bytes < ROUND_BYTES && c.sink.writable();) {
      const batch = c.peek(BATCH_BYTES, (e) => eventJson(e).length);
      c.sink.sendEvents(batch);
      c.skip(batch.length);
      const now = performance.now();
      for (const e of batch) {
        bytes += eventJson(e).length;
        this.delivery.observe((now - e.at!) / 1000);
      }
    }
    const more = c.sink.writable();
    if (more) c.stalledSince = 0;
    else if (c.stalledSince === 0) c.stalledSince = Date.now();
    return c.owed > 0 && more;
  }
}

function ascii(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b.subarray(0, 16) as unknown as number[]).toLowerCase();
}

const feeds = new WeakMap<Server, Feed>();

/** The server's feed, created (and attached to the write path) on first use. */
export function feedOf(server: Server): Feed {
  let f = feeds.get(server);
  if (!f) feeds.set(server, f = new Feed(server));
  return f;
}
