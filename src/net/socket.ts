// The socket layer, kept small so the transport is a swap: Deno.listen (default: as fast as
// node:net under pipelining and 1.1-1.8x faster without, see docs/performance.md) or node:net
// (REREDIS_TRANSPORT=node). Both deliver reads as byte chunks the caller may keep views of, and
// take ownership of the buffers given to write().

import * as net from "node:net";

/** One accepted TCP connection as the RESP server sees it. */
export interface Conn {
  readonly remoteAddr: string;
  readonly localAddr: string;
  /** Queues bytes for sending; returns false when the kernel buffer is full (back-pressure). */
  write(bytes: Uint8Array): boolean;
  /** Closes after pending writes are flushed. */
  end(): void;
  /** Closes now. */
  destroy(): void;
  pause(): void;
  resume(): void;
  /** Bytes queued but not yet handed to the kernel. */
  readonly pendingBytes: number;
}

export interface ConnHandlers {
  data(chunk: Uint8Array): void;
  drain(): void;
  close(): void;
}

export type OnConnection = (conn: Conn) => ConnHandlers;

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

export type Transport = "node" | "deno";

export function listen(
  transport: Transport,
  hostname: string,
  port: number,
  onConn: OnConnection,
): Promise<Listener> {
  return transport === "deno"
    ? listenDeno(hostname, port, onConn)
    : listenNode(hostname, port, onConn);
}

function fmtAddr(host: string | undefined, port: number | undefined): string {
  const h = host ?? "?";
  return `${h.startsWith("::ffff:") ? h.slice(7) : h}:${port ?? 0}`;
}

function listenNode(hostname: string, port: number, onConn: OnConnection): Promise<Listener> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (sock) => {
    open.add(sock);
    const conn: Conn = {
      remoteAddr: fmtAddr(sock.remoteAddress, sock.remotePort),
      localAddr: fmtAddr(sock.localAddress, sock.localPort),
      write: (b) => sock.write(b),
      end: () => sock.end(),
      destroy: () => sock.destroy(),
      pause: () => sock.pause(),
      resume: () => sock.resume(),
      get pendingBytes() {
        return sock.writableLength;
      },
    };
    const h = onConn(conn);
    // A plain Uint8Array view of the Buffer: the parser's indexOf/subarray then run as V8
    // builtins instead of node:buffer's JavaScript versions (which also build a Buffer per view).
    sock.on("data", (b: Uint8Array) => h.data(new Uint8Array(b.buffer, b.byteOffset, b.length)));
    sock.on("drain", () => h.drain());
    sock.on("close", () => {
      open.delete(sock);
      h.close();
    });
    sock.on("error", () => sock.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: hostname, port, backlog: 511 }, () => {
      server.off("error", reject);
      const addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        // server.close() waits for open connections: end them (pending replies flush first).
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            for (const sock of open) sock.end();
            setTimeout(() => {
              for (const sock of open) sock.destroy();
            }, 1000).unref();
          }),
      });
    });
  });
}

function listenDeno(hostname: string, port: number, onConn: OnConnection): Promise<Listener> {
  const listener = Deno.listen({ hostname, port });
  const open = new Set<Deno.TcpConn>();
  (async () => {
    for await (const c of listener) {
      open.add(c);
      serveDeno(c, onConn).finally(() => open.delete(c));
    }
  })().catch(() => {});
  return Promise.resolve({
    port: (listener.addr as Deno.NetAddr).port,
    close: () => {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      return Promise.resolve();
    },
  });
}

/**
 * Deno transport reads: one buffer of READ_SLAB bytes serves a connection's reads until less than
 * READ_MIN is left (an idle connection holds one, as node:net holds its 64 KB read buffer).
 */
const READ_SLAB = 64 * 1024;
const READ_MIN = 4 * 1024;

async function serveDeno(c: Deno.TcpConn, onConn: OnConnection): Promise<void> {
  c.setNoDelay(true);
  const ra = c.remoteAddr as Deno.NetAddr;
  const la = c.localAddr as Deno.NetAddr;
  const queue: Uint8Array[] = [];
  let pending = 0;
  let writing = false;
  let closed = false;
  let ending = false;
  let paused: (() => void) | null = null;
  let pauseRequested = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      c.close();
    } catch { /* already closed */ }
  };
  const flush = async () => {
    if (writing) return;
    writing = true;
    try {
      while (queue.length && !closed) {
        let b = queue.shift()!;
        const len = b.length;
        while (b.length) b = b.subarray(await c.write(b));
        pending -= len;
      }
      pending = 0;
      if (ending) close();
      h.drain();
    } catch {
      close();
    } finally {
      writing = false;
    }
  };
  const conn: Conn = {
    remoteAddr: fmtAddr(ra.hostname, ra.port),
    localAddr: fmtAddr(la.hostname, la.port),
    write(b) {
      if (closed) return false;
      queue.push(b);
      pending += b.length;
      flush();
      return pending < 64 * 1024;
    },
    end() {
      ending = true;
      if (!writing && queue.length === 0) close();
    },
    destroy: close,
    pause() {
      pauseRequested = true;
    },
    resume() {
      pauseRequested = false;
      paused?.();
      paused = null;
    },
    get pendingBytes() {
      return pending;
    },
  };
  const h = onConn(conn);
  // Reads land in consecutive parts of one buffer, never written twice (the parser and commands
  // may still hold views of earlier reads): a fresh 64 KB buffer per read (zeroed, ~3 µs) made
  // this transport half as fast as node:net; now it is on par.
  let slab = new Uint8Array(READ_SLAB);
  let pos = 0;
  try {
    while (!closed) {
      if (pauseRequested) await new Promise<void>((r) => (paused = r));
      if (READ_SLAB - pos < READ_MIN) {
        slab = new Uint8Array(READ_SLAB);
        pos = 0;
      }
      const n = await c.read(slab.subarray(pos));
      if (n === null) break;
      h.data(slab.subarray(pos, pos + n));
      pos += n;
    }
  } catch { /* reset by peer */ }
  close();
  h.close();
}
