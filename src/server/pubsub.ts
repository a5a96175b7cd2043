// The pub/sub registry (Redis's pubsub.c): channel, pattern and shard-channel subscribers, message
// delivery into subscribers' reply buffers, and the `pubsub` client-output-buffer-limit that
// disconnects subscribers who do not read.

import type { Client } from "./client.ts";
import type { Server } from "./server.ts";
import { parseMemory } from "../config.ts";
import { fromKey, toKey, utf8 } from "../util/bytes.ts";
import { globMatch } from "../util/glob.ts";

/**
 * Messages this big skip the subscribers' reply buffers: one socket write of a shared frame per
 * subscriber instead of a copy into each buffer and another out of it.
 */
const SHARED_FRAME = 16 * 1024;

/** The three kinds of subscription; each has its own reply names and client set. */
export interface Kind {
  subscribe: string;
  unsubscribe: string;
  message: string;
  /** The client's own subscriptions of this kind. */
  of(c: Client): Set<string>;
  /** The server-wide map: name → subscribers, in subscription order. */
  registry(ps: PubSub): Map<string, Set<Client>>;
  /** The count a (un)subscribe reply carries: shard subscriptions are counted apart. */
  count(c: Client): number;
}

const plainCount = (c: Client) => c.channels.size + c.patterns.size;

export const CHANNEL: Kind = {
  subscribe: "subscribe",
  unsubscribe: "unsubscribe",
  message: "message",
  of: (c) => c.channels,
  registry: (ps) => ps.channels,
  count: plainCount,
};

export const PATTERN: Kind = {
  subscribe: "psubscribe",
  unsubscribe: "punsubscribe",
  message: "pmessage",
  of: (c) => c.patterns,
  registry: (ps) => ps.patterns,
  count: plainCount,
};

export const SHARD: Kind = {
  subscribe: "ssubscribe",
  unsubscribe: "sunsubscribe",
  message: "smessage",
  of: (c) => c.shardChannels,
  registry: (ps) => ps.shardChannels,
  count: (c) => c.shardChannels.size,
};

/** Server-wide subscriptions, one per Server (kept beside it rather than in the core class). */
export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /** Subscribers with unflushed deliveries; flushed together once the current work ends. */
  readonly #toFlush = new Set<Client>();
  #flushScheduled = false;
  /** Since when each subscriber has been over the soft output limit. */
  readonly #softSince = new Map<Client, number>();
  /** Subscribers past their limit: no more deliveries, closed right after this delivery round. */
  readonly #doomed = new Set<Client>();
  #limit = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };

  constructor(readonly server: Server) {
    server.clientCloseHooks.push((c) => this.unsubscribeAll(c, false));
    server.clientResetHooks.push((c) => this.unsubscribeAll(c, false));
    // Parsed when set, not per delivery (checked for every subscriber of every message).
    if (server.config.def("client-output-buffer-limit")) {
      server.config.watch("client-output-buffer-limit", (v) => this.#setLimits(String(v)));
    }
  }

  /** Adds one subscription; false when the client already had it. */
  add(kind: Kind, c: Client, name: string): boolean {
    const mine = kind.of(c);
    if (mine.has(name)) return false;
    mine.add(name);
    const reg = kind.registry(this);
    let subs = reg.get(name);
    if (!subs) reg.set(name, subs = new Set());
    subs.add(c);
    updateFlag(c);
    return true;
  }

  /** Removes one subscription; false when the client did not have it. */
  remove(kind: Kind, c: Client, name: string): boolean {
    const mine = kind.of(c);
    if (!mine.delete(name)) return false;
    const reg = kind.registry(this);
    const subs = reg.get(name);
    if (subs) {
      subs.delete(c);
      if (subs.size === 0) reg.delete(name);
    }
    updateFlag(c);
    return true;
  }

  /**
   * Drops every subscription of a kind (or of all kinds when `kind` is undefined); with `notify`,
   * replies one unsubscribe message per subscription, or one with a nil name when there were none.
   */
  unsubscribeAll(c: Client, notify: boolean, kind?: Kind): void {
    for (const k of kind ? [kind] : [CHANNEL, PATTERN, SHARD]) {
      const names = [...k.of(c)];
      for (const name of names) {
        this.remove(k, c, name);
        if (notify) subscriptionReply(c, k.unsubscribe, name, k.count(c));
      }
      if (notify && names.length === 0) subscriptionReply(c, k.unsubscribe, null, k.count(c));
    }
    this.#softSince.delete(c);
  }

  /** Delivers a message to channel and pattern subscribers; returns how many received it. */
  publish(channel: Uint8Array, message: Uint8Array): number {
    let receivers = 0;
    const ch = toKey(channel);
    const subs = this.channels.get(ch);
    if (subs) receivers += this.#deliver(subs, MESSAGE, null, channel, message);
    if (this.patterns.size > 0) {
      for (const [pat, clients] of this.patterns) {
        if (!globMatch(pat, ch)) continue;
        receivers += this.#deliver(clients, PMESSAGE, fromKey(pat), channel, message);
      }
    }
    this.#afterDelivery();
    return receivers;
  }

  /** SPUBLISH: shard-channel subscribers only. */
  spublish(channel: Uint8Array, message: Uint8Array): number {
    const subs = this.shardChannels.get(toKey(channel));
    if (!subs) return 0;
    const n = this.#deliver(subs, SMESSAGE, null, channel, message);
    this.#afterDelivery();
    return n;
  }

  /**
   * Small messages are written straight into each subscriber's reply buffer (flushed together
   * after the current work). A big one is encoded once per protocol and that one frame is handed
   * to every subscriber's socket, copied by nobody.
   */
  #deliver(
    clients: Set<Client>,
    kind: Uint8Array,
    pattern: Uint8Array | null,
    channel: Uint8Array,
    message: Uint8Array,
  ): number {
    let n = 0;
    const shared = message.length >= SHARED_FRAME;
    let frames: (Uint8Array | undefined)[] | undefined;
    for (const c of clients) {
      n++;
      if (this.#doomed.has(c) || c.closed) continue;
      const r = c.reply;
      if (shared && c.conn) {
        frames ??= [];
        const f = frames[r.proto] ??= encodeFrame(r.proto, kind, pattern, channel, message);
        c.sendShared(f);
      } else {
        r.push(pattern ? 4 : 3);
        r.bulk(kind);
        if (pattern) r.bulk(pattern);
        r.bulk(channel);
        r.bulk(message);
        this.#toFlush.add(c);
      }
      this.#checkLimits(c);
    }
    return n;
  }

  #afterDelivery(): void {
    if (this.#doomed.size > 0) {
      // Closed after the loop: closing edits the very sets being iterated.
      for (const c of this.#doomed) {
        this.#toFlush.delete(c);
        c.kill();
      }
      this.#doomed.clear();
    }
    if (this.#toFlush.size > 0 && !this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flushAll());
    }
  }

  /** One write per subscriber for everything delivered during the current task. */
  #flushAll(): void {
    this.#flushScheduled = false;
    const list = [...this.#toFlush];
    this.#toFlush.clear();
    for (const c of list) {
      c.flush();
      this.#checkLimits(c);
    }
    if (this.#doomed.size > 0) this.#afterDelivery();
  }

  /** client-output-buffer-limit pubsub: hard limit at once, soft limit after N seconds over it. */
  #checkLimits(c: Client): void {
    if (!c.conn) return;
    const lim = this.#limit;
    let pending = c.conn.pendingBytes + c.reply.len;
    for (const h of (c as { heldOutput?: { bytes: Uint8Array }[] }).heldOutput ?? []) {
      pending += h.bytes.length;
    }
    let over = lim.hard > 0 && pending >= lim.hard;
    if (!over && lim.soft > 0 && pending >= lim.soft) {
      const since = this.#softSince.get(c);
      const now = Date.now();
      if (since === undefined) this.#softSince.set(c, now);
      else if (now - since >= lim.softSeconds * 1000) over = true;
    } else if (!over && this.#softSince.size > 0) this.#softSince.delete(c);
    if (over && !this.#doomed.has(c)) {
      this.server.log.warning(
        `Client ${c.describe()} scheduled to be closed ASAP for overcoming of output buffer limits.`,
      );
      const stats = this.server.stats as unknown as Record<string, number>;
      if (typeof stats.clientOutputBufferLimitDisconnections === "number") {
        stats.clientOutputBufferLimitDisconnections++;
      }
      this.#doomed.add(c);
      this.#softSince.delete(c);
    }
  }

  #setLimits(text: string): void {
    const w = text.split(/\s+/);
    const i = w.indexOf("pubsub");
    if (i >= 0 && i + 3 < w.length) {
      this.#limit = {
        hard: parseMemory(w[i + 1]) ?? 0,
        soft: parseMemory(w[i + 2]) ?? 0,
        softSeconds: Number(w[i + 3]) || 0,
      };
    }
  }
}

/** "P" in CLIENT LIST flags while the client has any subscription. */
function updateFlag(c: Client): void {
  const subscribed = c.channels.size + c.patterns.size + c.shardChannels.size > 0;
  const has = c.flagLetters.includes("P");
  if (subscribed && !has) c.flagLetters += "P";
  else if (!subscribed && has) c.flagLetters = c.flagLetters.replace("P", "");
}

/** A (p|s)(un)subscribe confirmation: push of [kind, name or nil, count]. */
export function subscriptionReply(c: Client, kind: string, name: string | null, count: number) {
  const r = c.reply;
  r.push(3);
  r.bulkStr(kind);
  if (name === null) r.nil();
  else r.bulkBinary(name);
  r.int(count);
}

const MESSAGE = utf8("message");
const PMESSAGE = utf8("pmessage");
const SMESSAGE = utf8("smessage");

/** A message push as one buffer: `*n` (RESP2) or `>n` (RESP3), then the bulk strings. */
function encodeFrame(
  proto: 2 | 3,
  kind: Uint8Array,
  pattern: Uint8Array | null,
  channel: Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const parts = pattern ? [kind, pattern, channel, message] : [kind, channel, message];
  let size = 4;
  for (const p of parts) size += String(p.length).length + p.length + 5;
  const out = new Uint8Array(size);
  let o = 0;
  const line = (type: number, n: number) => {
    out[o++] = type;
    const digits = String(n);
    for (let i = 0; i < digits.length; i++) out[o++] = digits.charCodeAt(i);
    out[o++] = 13;
    out[o++] = 10;
  };
  line(proto === 3 ? 62 : 42, parts.length);
  for (const p of parts) {
    line(36, p.length);
    out.set(p, o);
    o += p.length;
    out[o++] = 13;
    out[o++] = 10;
  }
  return out;
}

const registries = new WeakMap<Server, PubSub>();

/** The pub/sub registry of a server, created (and its cleanup hooks registered) on first use. */
export function pubsubOf(server: Server): PubSub {
  let ps = registries.get(server);
  if (!ps) registries.set(server, ps = new PubSub(server));
  return ps;
}

/**
 * PUBLISH from anywhere in the server (keyspace notifications use it): delivers to channel and
 * pattern subscribers, returns the number of receivers.
 */
export function publish(server: Server, channel: Uint8Array, message: Uint8Array): number {
  const ps = registries.get(server);
  return ps ? ps.publish(channel, message) : 0;
}
