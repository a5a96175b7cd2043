// Clients blocked on keys (BLPOP, BZPOPMIN, XREAD BLOCK …). A blocked client costs nothing while
// it waits: it sits in a per-key FIFO and, when a write touches one of its keys, its command is run
// again; a timer answers the timeout. Served commands propagate through the normal write path.

import type { Client } from "./client.ts";
import type { Command } from "../commands/table.ts";
import type { Server } from "./server.ts";
import { bytesToLatin1, parseDouble } from "../util/numbers.ts";

interface Waiter {
  client: Client;
  dbId: number;
  keys: string[];
  cmd: Command;
  args: Uint8Array[];
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Writes the reply on timeout when it is not a null array (WAIT answers an integer). */
  onTimeout?: (c: Client) => void;
}

const MAX_TIMER = 2 ** 31 - 1;

const slot = (dbId: number, key: string) => `${dbId}\u0000${key}`;

/**
 * Parses a blocking timeout in seconds (a float in Redis 6+) into milliseconds (0 = forever).
 * Replies with Redis's error and returns undefined when invalid.
 */
export function parseTimeout(ctx: Client, arg: Uint8Array): number | undefined {
  const d = parseDouble(bytesToLatin1(arg));
  if (d === undefined || !Number.isFinite(d)) {
    ctx.reply.error("ERR timeout is not a float or out of range");
    return undefined;
  }
  if (d < 0) {
    ctx.reply.error("ERR timeout is negative");
    return undefined;
  }
  const ms = Math.ceil(d * 1000);
  if (ms > Number.MAX_SAFE_INTEGER - Date.now()) {
    ctx.reply.error("ERR timeout is out of range");
    return undefined;
  }
  return ms;
}

export class Blocking {
  #byKey = new Map<string, Waiter[]>();
  #byClient = new Map<Client, Waiter>();
  #ready = new Set<string>();
  #handling = false;

  constructor(private server: Server) {
    server.clientCloseHooks.push((c) => this.#remove(c));
  }

  /** Number of blocked clients (INFO clients: blocked_clients). */
  get count(): number {
    return this.#byClient.size;
  }

  /**
   * Blocks the running command's client on `keys` of its db. If it is already blocked on them (a
   * re-run that still could not be served) it keeps its place and deadline.
   */
  /** Timers fire at once past 2^31-1 ms, so long waits re-arm in steps until the deadline. */
  #arm(w: Waiter, deadline: number): void {
    const left = deadline - Date.now();
    w.timer = left > MAX_TIMER
      ? setTimeout(() => this.#arm(w, deadline), MAX_TIMER)
      : setTimeout(() => this.#finish(w, "timeout"), Math.max(0, left));
  }

  block(c: Client, keys: string[], timeoutMs: number, onTimeout?: (c: Client) => void): void {
    c.blocked = true;
    if (this.#byClient.has(c)) return;
    const cur = c.current!;
    const w: Waiter = {
      client: c,
      dbId: c.db.id,
      keys: [...new Set(keys)],
      cmd: cur.cmd,
      args: cur.args.map((a) => a.slice()),
      timer: undefined,
      onTimeout,
    };
    if (timeoutMs > 0) this.#arm(w, Date.now() + timeoutMs);
    for (const k of w.keys) {
      const s = slot(w.dbId, k);
      const list = this.#byKey.get(s);
      if (list) list.push(w);
      else this.#byKey.set(s, [w]);
    }
    this.#byClient.set(c, w);
  }

  /** True while `c` waits: a handler running now is a re-run after one of its keys changed. */
  isWaiting(c: Client): boolean {
    return this.#byClient.has(c);
  }

  /** Called for every changed key while someone is blocked: queues the key for a retry. */
  signal(dbId: number, key: string): void {
    const s = slot(dbId, key);
    if (this.#byKey.has(s)) this.#ready.add(s);
  }

  get hasReady(): boolean {
    return this.#ready.size > 0;
  }

  /** Retries the waiters of every key that changed, first blocked first served (Redis's FIFO). */
  handleReady(): void {
    if (this.#handling) return;
    this.#handling = true;
    const served: Client[] = [];
    try {
      while (this.#ready.size > 0) {
        const keys = [...this.#ready];
        this.#ready.clear();
        for (const s of keys) {
          const list = this.#byKey.get(s);
          if (!list) continue;
          for (const w of [...list]) {
            if (this.#byClient.get(w.client) !== w) continue;
            const c = w.client;
            c.blocked = false;
            this.server.rerun(c, w.cmd, w.args);
            if (!c.blocked) {
              this.#detach(w);
              served.push(c);
            }
          }
        }
      }
    } finally {
      this.#handling = false;
    }
    for (const c of served) {
      c.flush();
      c.process();
    }
  }

  /** CLIENT UNBLOCK: ends a wait as a timeout or with the UNBLOCKED error. */
  unblock(c: Client, withError: boolean): boolean {
    const w = this.#byClient.get(c);
    if (!w) return false;
    this.#finish(w, withError ? "error" : "timeout");
    return true;
  }

  #finish(w: Waiter, how: "timeout" | "error"): void {
    if (this.#byClient.get(w.client) !== w) return;
    this.#detach(w);
    const c = w.client;
    c.blocked = false;
    if (how === "error") c.reply.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else if (w.onTimeout) w.onTimeout(c);
    else c.reply.nilArray();
    c.flush();
    c.process();
  }

  #detach(w: Waiter): void {
    clearTimeout(w.timer);
    this.#byClient.delete(w.client);
    for (const k of w.keys) {
      const s = slot(w.dbId, k);
      const list = this.#byKey.get(s);
      if (!list) continue;
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) {
        this.#byKey.delete(s);
        this.#ready.delete(s);
      }
    }
  }

  #remove(c: Client): void {
    const w = this.#byClient.get(c);
    if (w) this.#detach(w);
  }
}
