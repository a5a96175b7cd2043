// Subscriptions and who is owed what. Connections with the same subscriptions share one group and
// one list of matched events, each reading it at its own position: an event is matched once per
// distinct pattern and stored once per group, whatever the number of connections.

import { globMatch } from "../util/glob.ts";
import type { Json } from "./json.ts";

/** One change as subscribers see it (built by feed.ts). */
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
  /** performance.now() when recorded (delivery latency). */
  at?: number;
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

export function subMatches(s: Subscription, e: FeedEntry): boolean {
  if (s.db !== undefined && e.db !== null && s.db !== e.db) return false;
  if (s.events !== undefined && !s.events.has(e.event)) return false;
  return e.key === null || s.pattern === "*" || globMatch(s.pattern, e.key);
}

export function anyMatches(subs: Subscription[], e: FeedEntry): boolean {
  for (const s of subs) if (subMatches(s, e)) return true;
  return false;
}

/** The same subscriptions give the same signature (order and repeats do not matter). */
export function signature(subs: Subscription[]): string {
  const parts = subs.map((s) =>
    JSON.stringify([s.pattern, s.db ?? null, s.events ? [...s.events].sort() : null])
  );
  return [...new Set(parts)].sort().join("\n");
}

/** Connections with identical subscriptions and the events matched for them. */
export class Group {
  readonly members = new Set<FeedConn>();
  /** Matched events; `entries[i]` is number `base + i` of this group. */
  entries: FeedEntry[] = [];
  base = 0;
  /** Seq of the last event added (one event can match several patterns). */
  lastSeq = 0;
  constructor(readonly key: string, readonly subs: Subscription[]) {}

  get end(): number {
    return this.base + this.entries.length;
  }

  /** The db/event filters of the subscriptions on one pattern (which already matched the key). */
  passes(pattern: string, e: FeedEntry): boolean {
    for (const s of this.subs) {
      if (s.pattern !== pattern) continue;
      if (s.db !== undefined && e.db !== null && s.db !== e.db) continue;
      if (s.events !== undefined && !s.events.has(e.event)) continue;
      return true;
    }
    return false;
  }

  add(e: FeedEntry): void {
    this.lastSeq = e.seq;
    this.entries.push(e);
  }

  /** Forgets the events every member has read. */
  trim(): void {
    let min = this.end;
    for (const c of this.members) if (c.pos < min) min = c.pos;
    const n = min - this.base;
    if (n > 0 && (n >= 1024 || n === this.entries.length)) {
      this.entries = this.entries.slice(n);
      this.base = min;
    }
  }
}

/** A connection's place in the feed. */
export class FeedConn {
  group: Group | undefined;
  /** Next event of the group to send. */
  pos = 0;
  /** Events owed before the group's (from an earlier group, or a `since` replay), oldest first. */
  carry: FeedEntry[] = [];
  /** Matching events skipped since the last `lagged` message. */
  dropped = 0;
  /** Since when the socket has refused more (0 while writable). */
  stalledSince = 0;
  constructor(readonly sink: FeedSink) {}

  get subs(): Subscription[] {
    return this.group?.subs ?? [];
  }

  /** How many events this connection is owed. */
  get owed(): number {
    return this.carry.length + (this.group ? this.group.end - this.pos : 0);
  }

  /** The events owed, oldest first (the carry, then the group's from `pos`). */
  pending(): FeedEntry[] {
    const g = this.group;
    return g ? [...this.carry, ...g.entries.slice(this.pos - g.base)] : [...this.carry];
  }

  /** Skips the oldest `n` owed events. */
  skip(n: number): void {
    const fromCarry = Math.min(n, this.carry.length);
    if (fromCarry > 0) this.carry = this.carry.slice(fromCarry);
    this.pos += n - fromCarry;
  }

  /** Up to `maxBytes` of owed events (at least one), in order, without consuming them. */
  peek(maxBytes: number, size: (e: FeedEntry) => number): FeedEntry[] {
    const out: FeedEntry[] = [];
    let bytes = 0;
    for (const e of this.carry) {
      if (bytes >= maxBytes) return out;
      out.push(e);
      bytes += size(e);
    }
    const g = this.group;
    if (!g) return out;
    for (let i = this.pos - g.base; i < g.entries.length && bytes < maxBytes; i++) {
      out.push(g.entries[i]);
      bytes += size(g.entries[i]);
    }
    return out;
  }
}
