// nodes.conf in Redis's format (CLUSTER NODES lines plus a `vars` line), loaded at start and
// rewritten atomically (temporary file, fsync, rename) after every configuration change.

import { dirname, join } from "node:path";
import { ClusterNode, ClusterState, NF } from "./state.ts";
import { SLOTS } from "./slots.ts";

const FLAG_BITS: Record<string, number> = {
  myself: NF.myself,
  master: NF.master,
  slave: NF.slave,
  "fail?": NF.pfail,
  fail: NF.fail,
  handshake: NF.handshake,
  noaddr: NF.noaddr,
  nofailover: NF.nofailover,
  noflags: 0,
};

export class NodesConfError extends Error {}

/** Parses `ip:port@cport[,hostname]`. */
export function parseAddress(s: string): { ip: string; port: number; cport: number; host: string } {
  const comma = s.indexOf(",");
  const host = comma >= 0 ? s.slice(comma + 1) : "";
  const addr = comma >= 0 ? s.slice(0, comma) : s;
  const at = addr.indexOf("@");
  const hostPort = at >= 0 ? addr.slice(0, at) : addr;
  const colon = hostPort.lastIndexOf(":");
  if (colon < 0) throw new NodesConfError(`bad address ${s}`);
  const port = Number(hostPort.slice(colon + 1));
  const cport = at >= 0 ? Number(addr.slice(at + 1)) : port + 10000;
  return { ip: hostPort.slice(0, colon), port, cport, host };
}

/**
 * Loads a nodes.conf into a fresh state; undefined when the file is missing or empty (a new
 * node). Throws NodesConfError on a corrupted file, as Redis refuses to start then.
 */
export function loadNodesConf(path: string): ClusterState | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  if (text.trim() === "") return undefined;
  const nodes = new Map<string, ClusterNode>();
  const get = (id: string) => {
    let n = nodes.get(id);
    if (!n) nodes.set(id, n = new ClusterNode(id, 0));
    return n;
  };
  let myself: ClusterNode | undefined;
  let currentEpoch = 0;
  let lastVoteEpoch = 0;
  const slotLines: [ClusterNode, string[]][] = [];
  for (const raw of text.split("\n")) {
    const f = raw.trim().split(/\s+/);
    if (f.length === 0 || f[0] === "") continue;
    if (f[0].toLowerCase() === "vars") {
      for (let i = 1; i + 1 < f.length; i += 2) {
        if (f[i] === "currentEpoch") currentEpoch = Number(f[i + 1]);
        else if (f[i] === "lastVoteEpoch") lastVoteEpoch = Number(f[i + 1]);
      }
      continue;
    }
    if (f.length < 8) {
      throw new NodesConfError("Unrecoverable error: corrupted cluster config file.");
    }
    const n = get(f[0]);
    const a = parseAddress(f[1]);
    n.ip = a.ip;
    n.port = a.port;
    n.cport = a.cport;
    n.hostname = a.host;
    for (const name of f[2].split(",")) {
      const bit = FLAG_BITS[name];
      if (bit === undefined) throw new NodesConfError("Unknown flag in redis cluster config file");
      n.flags |= bit;
    }
    // A node restarts without fresh failure knowledge: keep FAIL (as Redis) but drop PFAIL.
    n.flags &= ~NF.pfail;
    if (n.has(NF.fail)) n.failTime = Date.now();
    if (n.has(NF.myself)) myself = n;
    if (f[3] !== "-") n.masterId = f[3];
    n.configEpoch = Number(f[6]);
    slotLines.push([n, f.slice(8)]);
  }
  if (!myself) throw new NodesConfError("Unrecoverable error: corrupted cluster config file.");
  const state = new ClusterState(myself);
  for (const n of nodes.values()) state.addNode(n);
  for (const [n, specs] of slotLines) {
    for (const spec of specs) {
      if (spec.startsWith("[")) {
        // [slot->-id] (migrating to) or [slot-<-id] (importing from); only myself has them.
        const m = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(spec);
        if (!m) throw new NodesConfError("Unrecoverable error: corrupted cluster config file.");
        const other = nodes.get(m[3]) ?? get(m[3]);
        if (!state.nodes.has(other.id)) state.addNode(other);
        const slot = Number(m[1]);
        if (m[2] === ">") state.setMigrating(slot, other);
        else state.setImporting(slot, other);
        continue;
      }
      const dash = spec.indexOf("-");
      const a = Number(dash >= 0 ? spec.slice(0, dash) : spec);
      const b = dash >= 0 ? Number(spec.slice(dash + 1)) : a;
      if (!(a >= 0 && b < SLOTS && a <= b)) {
        throw new NodesConfError("Unrecoverable error: corrupted cluster config file.");
      }
      for (let s = a; s <= b; s++) state.addSlot(n, s);
    }
  }
  state.currentEpoch = Math.max(currentEpoch, state.maxEpoch());
  state.lastVoteEpoch = lastVoteEpoch;
  return state;
}

/** The file's text: every non-handshake node, then the epochs. */
export function nodesConfText(state: ClusterState): string {
  return state.describeAll(true) +
    `vars currentEpoch ${state.currentEpoch} lastVoteEpoch ${state.lastVoteEpoch}\n`;
}

/**
 * Writes nodes.conf through a temporary file and a rename, so that readers see the old or the new
 * file, never a mix. `fsync` makes it durable too (Redis fsyncs only when epochs change).
 */
export function saveNodesConf(path: string, state: ClusterState, fsync: boolean): void {
  const tmp = join(dirname(path), `.${path.split("/").pop()}.tmp-${Deno.pid}`);
  const f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
  try {
    const bytes = new TextEncoder().encode(nodesConfText(state));
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
    if (fsync) f.syncSync();
  } finally {
    f.close();
  }
  Deno.renameSync(tmp, path);
}
