// MIGRATE's connections to target nodes (Redis's migrate cached sockets): one per host:port,
// reused for 10 s, remembering the selected db; one request at a time per connection.

import * as net from "node:net";
import { decodeAt, type RespValue } from "../resp/decoder.ts";

/** Frames are copied into writes of about this size. */
const WRITE_BATCH = 256 * 1024;
/** Idle cached connections are closed after this (MIGRATE_SOCKET_CACHE_TTL). */
const CACHE_TTL_MS = 10_000;

export class MigrateIoError extends Error {
  constructor(readonly phase: "connecting" | "writing" | "reading") {
    super(phase);
  }
}

export class TargetConn {
  lastDb = -1;
  lastUse = Date.now();
  #buf = new Uint8Array(0);
  #want = 0;
  #replies: RespValue[] = [];
  #done: ((err?: Error) => void) | undefined;
  #closed = false;
  /** Requests are chained: a MIGRATE waits for the previous one on the same target. */
  queue: Promise<unknown> = Promise.resolve();

  constructor(readonly key: string, readonly sock: net.Socket, private onClose: () => void) {
    sock.setNoDelay(true);
    sock.on("data", (b: Uint8Array) => this.#data(b));
    sock.on("error", () => sock.destroy());
    sock.on("close", () => {
      this.#closed = true;
      this.onClose();
      this.#done?.(new MigrateIoError(this.#want ? "reading" : "writing"));
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends the frames (coalesced into few writes) and waits for `count` replies or the timeout. */
  async request(chunks: Uint8Array[], count: number, timeoutMs: number): Promise<RespValue[]> {
    this.lastUse = Date.now();
    this.#replies = [];
    this.#want = count;
    const done = new Promise<void>((resolve, reject) => {
      this.#done = (err) => (err ? reject(err) : resolve());
    });
    done.catch(() => {});
    const timer = setTimeout(() => {
      this.#done?.(new MigrateIoError("reading"));
      this.sock.destroy();
    }, timeoutMs);
    try {
      // One socket write per ~256 KB: a write costs far more than a copy here.
      for (let i = 0; i < chunks.length;) {
        if (this.#closed) throw new MigrateIoError("writing");
        let size = 0;
        let j = i;
        while (j < chunks.length && (j === i || size + chunks[j].length <= WRITE_BATCH)) {
          size += chunks[j++].length;
        }
        const buf = new Uint8Array(size);
        let off = 0;
        for (let k = i; k < j; k++) {
          buf.set(chunks[k], off);
          off += chunks[k].length;
        }
        this.sock.write(buf);
        i = j;
      }
      if (count === 0) return [];
      this.#data(new Uint8Array(0));
      await done;
      return this.#replies;
    } finally {
      clearTimeout(timer);
      this.#done = undefined;
      this.#want = 0;
      this.lastUse = Date.now();
    }
  }

  close(): void {
    this.sock.destroy();
  }

  #data(chunk: Uint8Array): void {
    if (chunk.length) {
      const merged = new Uint8Array(this.#buf.length + chunk.length);
      merged.set(this.#buf);
      merged.set(chunk, this.#buf.length);
      this.#buf = merged;
    }
    let off = 0;
    while (this.#want > 0 && off < this.#buf.length) {
      const r = decodeAt(this.#buf, off);
      if (!r) break;
      this.#replies.push(r[0]);
      off = r[1];
      if (--this.#want === 0) this.#done?.();
    }
    if (off) this.#buf = this.#buf.slice(off);
  }
}

const cache = new Map<string, TargetConn>();
let sweeper: ReturnType<typeof setInterval> | undefined;

/** A cached or new connection to host:port (errors as MigrateIoError, like Redis's IOERR). */
export function targetConn(host: string, port: number, timeoutMs: number): Promise<TargetConn> {
  const key = `${host}:${port}`;
  const hit = cache.get(key);
  if (hit && !hit.closed) return Promise.resolve(hit);
  // Redis connects without checking the port: a bad one fails on the first write.
  if (!(port > 0 && port <= 65535)) return Promise.reject(new MigrateIoError("writing"));
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new MigrateIoError("connecting"));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      const conn = new TargetConn(key, sock, () => {
        if (cache.get(key) === conn) cache.delete(key);
      });
      cache.set(key, conn);
      sweeper ??= setInterval(sweep, 1000);
      resolve(conn);
    });
    sock.once("error", (e: Error & { code?: string }) => {
      clearTimeout(timer);
      sock.destroy();
      // A name that does not resolve fails the connect; a refused connection fails, as in
      // Redis's non-blocking connect, on the first write.
      const dns = e.code === "ENOTFOUND" || e.code === "EAI_AGAIN";
      reject(new MigrateIoError(dns ? "connecting" : "writing"));
    });
  });
}

function sweep(): void {
  const now = Date.now();
  for (const [k, c] of cache) {
    if (now - c.lastUse > CACHE_TTL_MS) {
      cache.delete(k);
      c.close();
    }
  }
  if (cache.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** Number of cached connections (INFO's migrate_cached_sockets). */
export function cachedTargets(): number {
  return cache.size;
}

/** Closes every cached connection (shutdown, tests). */
export function closeTargets(): void {
  for (const c of cache.values()) c.close();
  cache.clear();
}
