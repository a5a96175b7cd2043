// The cluster bus transport: TCP links on the cluster port carrying length-prefixed JSON messages
// (4-byte big-endian length, then the JSON). Reredis nodes talk only to Reredis nodes here, so
// the framing is our own; what travels in it (epochs, slot bitmaps, gossip) is Redis's design.

import * as net from "node:net";
import type { LinkInfo } from "./state.ts";

/** Largest frame accepted; anything bigger is a broken or hostile peer. */
const MAX_FRAME = 16 * 1024 * 1024;

/** What a node says about another in the gossip section of PING/PONG/MEET. */
export interface GossipEntry {
  id: string;
  ip: string;
  port: number;
  cport: number;
  flags: number;
}

/** One open slot as a node announces it. */
export type OpenSlot = [number, "m" | "i", string, number];

export type MessageType = "ping" | "pong" | "meet" | "fail" | "update" | "publish";

/** One bus message: the sender's header (who it is, its epochs and slots) and a body per type. */
export interface BusMessage {
  type: MessageType;
  sender: string;
  currentEpoch: number;
  configEpoch: number;
  ip: string;
  port: number;
  cport: number;
  hostname: string;
  flags: number;
  master: string | null;
  /** The sender's slots as a base64 16384-bit bitmap. */
  slots: string;
  state: "ok" | "fail";
  /** How many slots the sender has open (migrating or importing). */
  open: number;
  /** Its open slots: [slot, "m" (migrating to) | "i" (importing from), peer id, keys here]. */
  opens?: OpenSlot[];
  shard: string;
  gossip?: GossipEntry[];
  /** FAIL / UPDATE: the node the message is about. */
  about?: string;
  aboutEpoch?: number;
  aboutSlots?: string;
  /** PUBLISH: channel and message as latin1 strings. */
  channel?: string;
  message?: string;
}

export function bitmapToBase64(bits: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bits.length; i += 4096) {
    s += String.fromCharCode.apply(null, bits.subarray(i, i + 4096) as unknown as number[]);
  }
  return btoa(s);
}

export function base64ToBitmap(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One TCP link to or from another node. */
export class BusLink implements LinkInfo {
  readonly createdAt = Date.now();
  /** The node at the other end, once known (always known for outbound links). */
  nodeId: string | undefined;
  closed = false;
  #buf: Uint8Array = new Uint8Array(0);

  constructor(
    readonly sock: net.Socket,
    readonly inbound: boolean,
    private onMessage: (link: BusLink, msg: BusMessage) => void,
    private onClose: (link: BusLink) => void,
  ) {
    sock.setNoDelay(true);
    sock.on("data", (b: Uint8Array) => this.#data(b));
    sock.on("close", () => this.#closed());
    sock.on("error", () => sock.destroy());
  }

  get localIp(): string {
    return stripV4Mapped(this.sock.localAddress ?? "");
  }

  get remoteIp(): string {
    return stripV4Mapped(this.sock.remoteAddress ?? "");
  }

  send(msg: BusMessage): void {
    if (this.closed) return;
    const body = enc.encode(JSON.stringify(msg));
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(body, 4);
    this.sock.write(frame);
  }

  pending(): number {
    return this.sock.writableLength;
  }

  close(): void {
    if (this.closed) return;
    this.sock.destroy();
    this.#closed();
  }

  #closed(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }

  #data(chunk: Uint8Array): void {
    if (this.closed) return;
    let buf: Uint8Array = chunk;
    if (this.#buf.length) {
      const merged = new Uint8Array(this.#buf.length + chunk.length);
      merged.set(this.#buf);
      merged.set(chunk, this.#buf.length);
      buf = merged;
    }
    let off = 0;
    while (buf.length - off >= 4) {
      const len = new DataView(buf.buffer, buf.byteOffset + off).getUint32(0);
      if (len > MAX_FRAME) return this.close();
      if (buf.length - off - 4 < len) break;
      let msg: BusMessage;
      try {
        msg = JSON.parse(dec.decode(buf.subarray(off + 4, off + 4 + len)));
      } catch {
        return this.close();
      }
      off += 4 + len;
      if (typeof msg !== "object" || msg === null || typeof msg.sender !== "string") {
        return this.close();
      }
      this.onMessage(this, msg);
      if (this.closed) return;
    }
    this.#buf = off === buf.length ? new Uint8Array(0) : buf.slice(off);
  }
}

function stripV4Mapped(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

/** Listens on the cluster port; every accepted connection becomes an inbound link. */
export function listenBus(
  host: string,
  port: number,
  onLink: (sock: net.Socket) => void,
): Promise<net.Server> {
  const server = net.createServer({ noDelay: true }, onLink);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, backlog: 511 }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** Opens an outbound connection; resolves once connected, rejects on failure or timeout. */
export function connectBus(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("connect timeout"));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      resolve(sock);
    });
    sock.once("error", (e) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    });
  });
}
