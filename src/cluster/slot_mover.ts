// Moves slots between two masters live, the way `redis-cli --cluster reshard` does, by sending
// ordinary commands: SETSLOT IMPORTING on the target, SETSLOT MIGRATING on the source, then
// GETKEYSINSLOT + MIGRATE in batches until the slots are empty, then SETSLOT NODE everywhere.
// Batches of slots are pipelined so that moving thousands of slots costs few round trips.

import { RespClient } from "../resp/client.ts";
import { encodeCommand, type RespValue } from "../resp/decoder.ts";

export interface Endpoint {
  id: string;
  ip: string;
  port: number;
}

/** Keys asked per GETKEYSINSLOT (and moved per MIGRATE). */
const KEYS_PER_BATCH = 200;

export class MoveError extends Error {}

/** A pipelined RESP connection that fails loudly on error replies. */
class Peer {
  private constructor(readonly client: RespClient) {}

  static async open(ep: Endpoint, password: string): Promise<Peer> {
    const client = await RespClient.connect(ep.port, ep.ip);
    const p = new Peer(client);
    if (password) await p.all([["AUTH", password]]);
    return p;
  }

  /** Sends all commands at once, then reads every reply; throws on the first error reply. */
  async all(cmds: (string | Uint8Array)[][]): Promise<RespValue[]> {
    const frames = cmds.map((c) => encodeCommand(c));
    const buf = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let off = 0;
    for (const f of frames) {
      buf.set(f, off);
      off += f.length;
    }
    await this.client.writeRaw(buf);
    const out: RespValue[] = [];
    let err: string | undefined;
    for (let i = 0; i < cmds.length; i++) {
      const r = await this.client.read();
      if (r === undefined) throw new MoveError("connection closed");
      if (r && typeof r === "object" && "-" in r) {
        err ??= `${cmds[i][0]} ${cmds[i][1] ?? ""}: ${r["-"]}`;
      }
      out.push(r);
    }
    if (err) throw new MoveError(err);
    return out;
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Moves `slots` from `from` to `to`, telling `others` the new owner at the end. `stillValid` is
 * asked before each batch (the caller may have lost its right to move slots).
 */
export async function moveSlots(
  slots: number[],
  from: Endpoint,
  to: Endpoint,
  others: Endpoint[],
  opts: {
    password: string;
    batch: number;
    timeoutMs: number;
    stillValid: () => boolean;
    /** Called after each batch that fully moved (so a failed move can resume with the rest). */
    moved: (slots: number[]) => void;
  },
): Promise<number> {
  const src = await Peer.open(from, opts.password);
  const dst = await Peer.open(to, opts.password);
  const rest: Peer[] = [];
  let moved = 0;
  try {
    for (const o of others) {
      rest.push(await Peer.open(o, opts.password).catch(() => undefined as never));
    }
    for (let i = 0; i < slots.length; i += opts.batch) {
      if (!opts.stillValid()) break;
      const batch = slots.slice(i, i + opts.batch);
      await dst.all(batch.map((s) => ["CLUSTER", "SETSLOT", String(s), "IMPORTING", from.id]));
      await src.all(batch.map((s) => ["CLUSTER", "SETSLOT", String(s), "MIGRATING", to.id]));
      let pending = batch;
      while (pending.length) {
        const keyLists = await src.all(
          pending.map((s) => ["CLUSTER", "GETKEYSINSLOT", String(s), String(KEYS_PER_BATCH)]),
        );
        const migrates: (string | Uint8Array)[][] = [];
        const next: number[] = [];
        pending.forEach((s, j) => {
          const keys = keyLists[j] as string[];
          if (!keys.length) return;
          next.push(s);
          const argv: (string | Uint8Array)[] = [
            "MIGRATE",
            to.ip,
            String(to.port),
            "",
            "0",
            String(opts.timeoutMs),
            "REPLACE",
          ];
          if (opts.password) argv.push("AUTH", opts.password);
          argv.push("KEYS", ...keys.map(latin1Bytes));
          migrates.push(argv);
        });
        if (migrates.length) await src.all(migrates);
        pending = next;
      }
      const assign = batch.map((s) => ["CLUSTER", "SETSLOT", String(s), "NODE", to.id]);
      await dst.all(assign);
      await src.all(assign);
      for (const p of rest) await p?.all(assign).catch(() => {});
      moved += batch.length;
      opts.moved(batch);
    }
  } finally {
    src.close();
    dst.close();
    for (const p of rest) p?.close();
  }
  return moved;
}

/**
 * Records slots already owned by `to` (a move that stopped after the target took them) on every
 * node: the target first, then the others (best effort: gossip tells them anyway).
 */
export async function finishSlots(
  slots: number[],
  to: Endpoint,
  others: Endpoint[],
  password: string,
): Promise<void> {
  const assign = slots.map((s) => ["CLUSTER", "SETSLOT", String(s), "NODE", to.id]);
  for (const ep of [to, ...others]) {
    const p = await Peer.open(ep, password).catch((e) => {
      if (ep === to) throw e;
      return undefined;
    });
    if (!p) continue;
    try {
      await p.all(assign).catch((e) => {
        if (ep === to) throw e;
      });
    } finally {
      p.close();
    }
  }
}

/** Keys come back from the decoder as latin1 strings: turn them into their exact bytes. */
function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
