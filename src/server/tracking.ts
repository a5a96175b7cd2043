// Client-side caching support (Redis's tracking.c): CLIENT TRACKING in default mode remembers the
// keys each tracking client read and sends one invalidation when such a key changes; BCAST mode
// sends every change under the client's prefixes after the current task. Invalidations go to the
// client itself as RESP3 pushes, or to a REDIRECT client (RESP3 push, or a RESP2 __redis__:invalidate
// Pub/Sub message). Changes come from the write path's change records; the key reads and the
// "current client" (NOLOOP, self-invalidations after the reply) from the dispatcher's call hook.

import type { Client } from "./client.ts";
import type { Server } from "./server.ts";
import type { ChangeRecord } from "./write_path.ts";
import { type Command, F } from "../commands/table.ts";
import { keyPositions } from "../commands/key_positions.ts";
import { toKey } from "../util/bytes.ts";

export interface TrackingState {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING yes/no given for the next command. */
  caching: boolean;
  brokenRedirect: boolean;
  prefixes: Set<string>;
}

interface Prefix {
  clients: Set<Client>;
  /** Keys changed since the last broadcast, each with the client that changed it (NOLOOP). */
  keys: Map<string, Client | undefined>;
}

/** A pending invalidation: a key, or null for a flush (every tracking client gets a null). */
type Pending = string | null;

export class Tracking {
  readonly states = new Map<Client, TrackingState>();
  /** Key → ids of the clients that read it (default mode). */
  readonly table = new Map<string, Set<number>>();
  readonly prefixes = new Map<string, Prefix>();
  items = 0;
  maxKeys = 1_000_000;
  #pending: Pending[] = [];
  #pendingScheduled = false;
  #bcastScheduled = false;
  readonly #toFlush = new Set<Client>();

  constructor(readonly server: Server) {
    server.config.watch("tracking-table-max-keys", (v) => (this.maxKeys = Number(v)));
    server.clientCloseHooks.push((c) => this.disable(c));
    server.clientResetHooks.push((c) => this.disable(c));
    server.wp.subscribe((rec) => this.#record(rec));
    server.callHooks.push((c, cmd, args) => this.#afterCall(c, cmd, args));
  }

  enable(c: Client, redirect: number, opts: Partial<TrackingState>, prefixes: string[]): void {
    let st = this.states.get(c);
    if (!st) {
      st = {
        redirect: 0,
        bcast: false,
        optin: false,
        optout: false,
        noloop: false,
        caching: false,
        brokenRedirect: false,
        prefixes: new Set(),
      };
      this.states.set(c, st);
      c.flagLetters += "t";
    }
    st.redirect = redirect;
    st.brokenRedirect = false;
    st.bcast =
      st.optin =
      st.optout =
      st.noloop =
        false;
    if (opts.bcast) {
      st.bcast = true;
      for (const p of prefixes.length === 0 ? [""] : prefixes) {
        let pre = this.prefixes.get(p);
        if (!pre) this.prefixes.set(p, pre = { clients: new Set(), keys: new Map() });
        pre.clients.add(c);
        st.prefixes.add(p);
      }
    }
    st.optin = !!opts.optin;
    st.optout = !!opts.optout;
    st.noloop = !!opts.noloop;
  }

  disable(c: Client): void {
    const st = this.states.get(c);
    if (!st) return;
    for (const p of st.prefixes) {
      const pre = this.prefixes.get(p);
      if (!pre) continue;
      pre.clients.delete(c);
      if (pre.clients.size === 0) this.prefixes.delete(p);
    }
    this.states.delete(c);
    c.flagLetters = c.flagLetters.replace("t", "");
  }

  get totalKeys(): number {
    return this.table.size;
  }

  /** Remembers the keys a read-only command read, unless OPTIN/OPTOUT say otherwise. */
  #remember(c: Client, st: TrackingState, cmd: Command, args: Uint8Array[]): void {
    if ((st.optin && !st.caching) || (st.optout && st.caching)) return;
    if (cmd.flags & F.pubsub) return;
    for (const i of keyPositions(cmd, args)) {
      const key = toKey(args[i]);
      let ids = this.table.get(key);
      if (!ids) {
        this.table.set(key, ids = new Set());
        if (this.table.size > this.maxKeys && this.maxKeys > 0) this.#evictOne();
      }
      if (!ids.has(c.id)) {
        ids.add(c.id);
        this.items++;
      }
    }
  }

  /** tracking-table-max-keys: the oldest remembered key is invalidated (its readers re-fetch). */
  #evictOne(): void {
    const first = this.table.keys().next();
    if (!first.done) this.#invalidate(first.value, undefined);
  }

  #afterCall(c: Client, cmd: Command, args: Uint8Array[]): void {
    const st = this.states.get(c);
    if (
      st && !st.bcast && (cmd.flags & F.readonly) && !cmd.fullName.startsWith("eval") &&
      cmd.fullName !== "fcall_ro"
    ) {
      this.#remember(c, st, cmd, args);
    }
    if (this.#pending.length > 0) this.#flushPending(c);
    // CACHING applies to the next command only (a whole MULTI … EXEC, and not CLIENT itself).
    if (st?.caching && this.server.wp.depth === 0 && !c.multi && cmd.parent?.name !== "client") {
      st.caching = false;
    }
  }

  #record(rec: ChangeRecord): void {
    if (this.states.size === 0) return;
    for (const cmd of rec.commands) {
      const n = cmd.argv[0];
      if (n && (n.length === 7 || n.length === 8) && /^flush(all|db)$/i.test(toKey(n))) {
        this.#pending.push(null);
      }
    }
    for (const ev of rec.events) if (ev.event !== "keymiss") this.#pending.push(ev.key);
    if (this.#pending.length > 0 && !this.#pendingScheduled) {
      // Changes made outside a command (active expiry) have no call hook to pick them up.
      this.#pendingScheduled = true;
      queueMicrotask(() => {
        this.#pendingScheduled = false;
        if (this.#pending.length > 0) this.#flushPending(undefined);
      });
    }
  }

  #flushPending(current: Client | undefined): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const key of pending) {
      if (key === null) this.#invalidateAll(current);
      else this.#invalidate(key, current);
    }
    this.#flushClients(current);
  }

  /** trackingInvalidateKey: readers of `key` get it once (and forget it); BCAST prefixes queue it. */
  #invalidate(key: string, current: Client | undefined): void {
    if (this.prefixes.size > 0) {
      for (const [p, pre] of this.prefixes) {
        if (key.startsWith(p)) pre.keys.set(key, current);
      }
      this.#scheduleBroadcast();
    }
    const ids = this.table.get(key);
    if (!ids) return;
    this.table.delete(key);
    this.items -= ids.size;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      const st = target && this.states.get(target);
      if (!target || !st || st.bcast) continue;
      if (st.noloop && target === current) continue;
      this.#send(target, st, [key]);
    }
  }

  /** FLUSHDB / FLUSHALL: a null invalidation to every tracking client; the table is emptied. */
  #invalidateAll(_current: Client | undefined): void {
    for (const [c, st] of this.states) this.#send(c, st, null);
    this.table.clear();
    this.items = 0;
  }

  #scheduleBroadcast(): void {
    if (this.#bcastScheduled) return;
    this.#bcastScheduled = true;
    // Redis broadcasts in beforeSleep: once the current batch of commands has run.
    queueMicrotask(() => {
      this.#bcastScheduled = false;
      this.#broadcast();
    });
  }

  /** trackingBroadcastInvalidationMessages: one message per prefix with the keys changed under it. */
  #broadcast(): void {
    for (const p of [...this.prefixes.keys()].sort()) {
      const pre = this.prefixes.get(p)!;
      if (pre.keys.size === 0) continue;
      const keys = [...pre.keys.keys()].sort();
      for (const c of pre.clients) {
        const st = this.states.get(c);
        if (!st) continue;
        const mine = st.noloop ? keys.filter((k) => pre.keys.get(k) !== c) : keys;
        if (mine.length > 0) this.#send(c, st, mine);
      }
      pre.keys = new Map();
    }
    this.#flushClients(undefined);
  }

  /** sendTrackingMessage: to the client (RESP3) or its redirect target. */
  #send(c: Client, st: TrackingState, keys: string[] | null): void {
    let to = c;
    let redirected = false;
    if (st.redirect !== 0) {
      const r = this.server.clients.get(st.redirect);
      if (!r) {
        st.brokenRedirect = true;
        if (c.reply.proto === 3) {
          c.reply.push(2);
          c.reply.bulkStr("tracking-redir-broken");
          c.reply.int(st.redirect);
          this.#toFlush.add(c);
        }
        return;
      }
      to = r;
      redirected = true;
    }
    const w = to.reply;
    if (w.proto === 3) {
      w.push(2);
      w.bulkStr("invalidate");
    } else if (redirected && to.channels.size + to.patterns.size + to.shardChannels.size > 0) {
      w.array(3);
      w.bulkStr("message");
      w.bulkStr("__redis__:invalidate");
    } else return;
    if (keys === null) w.raw(c.reply.proto === 3 ? NULL3 : NULL2);
    else {
      w.array(keys.length);
      for (const k of keys) w.bulkBinary(k);
    }
    this.#toFlush.add(to);
  }

  /** Sends what was queued; the running client's own output leaves with its reply. */
  #flushClients(current: Client | undefined): void {
    for (const c of this.#toFlush) if (c !== current) c.flush();
    this.#toFlush.clear();
  }
}

const NULL2 = new TextEncoder().encode("$-1\r\n");
const NULL3 = new TextEncoder().encode("_\r\n");

const trackers = new WeakMap<Server, Tracking>();

/** The server's tracking state, created on first use (CLIENT TRACKING ON). */
export function trackingOf(server: Server): Tracking {
  let t = trackers.get(server);
  if (!t) trackers.set(server, t = new Tracking(server));
  return t;
}

/** For INFO: tracking_clients, tracking_total_keys / items / prefixes. */
export function trackingInfo(server: Server): {
  clients: number;
  keys: number;
  items: number;
  prefixes: number;
} {
  const t = trackers.get(server);
  return t
    ? { clients: t.states.size, keys: t.table.size, items: t.items, prefixes: t.prefixes.size }
    : { clients: 0, keys: 0, items: 0, prefixes: 0 };
}
