// A minimal RESP client over one TCP connection: send commands, read replies raw or decoded.
// Used by scripts and tests (and later MIGRATE) where a full client library is not wanted.

import { decodeAt, encodeCommand, type RespValue } from "./decoder.ts";

export class RespClient {
  #buf = new Uint8Array(0);
  #readBuf = new Uint8Array(64 * 1024);

  private constructor(readonly conn: Deno.TcpConn) {}

  static async connect(port: number, hostname = "127.0.0.1"): Promise<RespClient> {
    const conn = await Deno.connect({ port, hostname });
    conn.setNoDelay(true);
    return new RespClient(conn);
  }

  /** Sends raw bytes (for protocol tests). */
  async writeRaw(bytes: Uint8Array | string): Promise<void> {
    let b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    while (b.length > 0) b = b.subarray(await this.conn.write(b));
  }

  send(...args: (string | Uint8Array)[]): Promise<void> {
    return this.writeRaw(encodeCommand(args));
  }

  /** Reads exactly one reply and returns its raw bytes; null when the server closed first. */
  async readRaw(): Promise<Uint8Array | null> {
    for (;;) {
      const r = this.#buf.length ? decodeAt(this.#buf, 0) : undefined;
      if (r) {
        const raw = this.#buf.slice(0, r[1]);
        this.#buf = this.#buf.subarray(r[1]);
        return raw;
      }
      if (!(await this.#fill())) return null;
    }
  }

  async read(): Promise<RespValue | undefined> {
    for (;;) {
      const r = this.#buf.length ? decodeAt(this.#buf, 0) : undefined;
      if (r) {
        this.#buf = this.#buf.subarray(r[1]);
        return r[0];
      }
      if (!(await this.#fill())) return undefined;
    }
  }

  /** Sends one command and returns its decoded reply. */
  async call(...args: (string | Uint8Array)[]): Promise<RespValue | undefined> {
    await this.send(...args);
    return this.read();
  }

  /** Everything the server sends until it closes the connection (or `ms` pass). */
  async readUntilClose(ms = 2000): Promise<Uint8Array> {
    const timer = setTimeout(() => this.conn.close(), ms);
    try {
      while (await this.#fill());
    } catch { /* closed by the timer */ }
    clearTimeout(timer);
    return this.#buf;
  }

  async #fill(): Promise<boolean> {
    const n = await this.conn.read(this.#readBuf);
    if (n === null) return false;
    const merged = new Uint8Array(this.#buf.length + n);
    merged.set(this.#buf);
    merged.set(this.#readBuf.subarray(0, n), this.#buf.length);
    this.#buf = merged;
    return true;
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}
