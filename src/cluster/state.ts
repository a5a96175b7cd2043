// The cluster's state as this node sees it (Redis's clusterState + clusterNode): known nodes and
// their flags, who owns each slot, open (migrating/importing) slots, and the epochs that decide
// conflicts. Everything else in src/cluster reads and changes this one object.

import { SlotBitmap, slotRanges, SLOTS } from "./slots.ts";

/** Node flags, as Redis's CLUSTER_NODE_* bits. */
export const NF = {
  myself: 1,
  master: 2,
  slave: 4,
  pfail: 8,
  fail: 16,
  handshake: 32,
  noaddr: 64,
  meet: 128,
  nofailover: 512,
} as const;

const FLAG_NAMES: [number, string][] = [
  [NF.myself, "myself"],
  [NF.master, "master"],
  [NF.slave, "slave"],
  [NF.pfail, "fail?"],
  [NF.fail, "fail"],
  [NF.handshake, "handshake"],
  [NF.noaddr, "noaddr"],
  [NF.nofailover, "nofailover"],
];

/** Random 40-hex-digit name, as Redis's getRandomHexChars for node and shard ids. */
export function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(20));
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** One link's bookkeeping, for CLUSTER LINKS and the "connected" column. */
export interface LinkInfo {
  createdAt: number;
  /** Bytes queued and not yet written. */
  pending(): number;
  close(): void;
}

export class ClusterNode {
  flags: number;
  ip = "";
  port = 0;
  cport = 0;
  hostname = "";
  /** The master's id for a replica (bookkeeping only: replication is not implemented). */
  masterId: string | undefined;
  pingSent = 0;
  pongReceived = 0;
  /** Last time anything arrived from this node (Redis's data_received). */
  dataReceived = 0;
  failTime = 0;
  configEpoch = 0;
  readonly slots = new SlotBitmap();
  numSlots = 0;
  /** Bumped whenever `slots` changes (caches of its encoded form compare it). */
  slotsVersion = 0;
  /** Masters that reported this node as failing: reporter id → report time. */
  readonly failReports = new Map<string, number>();
  /** Outbound link (we connect, send PING/MEET, it answers PONG) and the inbound one. */
  link: LinkInfo | undefined;
  inbound: LinkInfo | undefined;
  readonly createdAt = Date.now();
  shardId = randomId();
  /** Slots being moved that the node announces (gossiped, read by auto-assign). */
  openSlots = 0;
  /** Its open slots as last announced: [slot, "m" | "i", peer id, keys]. */
  opens: [number, "m" | "i", string, number][] = [];
  /** The cluster state the node announces (gossiped): migrations wait for "ok" everywhere. */
  health: "ok" | "fail" = "fail";

  constructor(public id: string, flags: number) {
    this.flags = flags;
  }

  has(f: number): boolean {
    return (this.flags & f) !== 0;
  }

  get isMaster(): boolean {
    return (this.flags & NF.master) !== 0;
  }

  get failing(): boolean {
    return (this.flags & (NF.pfail | NF.fail)) !== 0;
  }

  flagString(): string {
    const out = FLAG_NAMES.filter(([f]) => this.flags & f).map(([, n]) => n);
    return out.length ? out.join(",") : "noflags";
  }

  /** `ip:port@cport[,hostname]` as in CLUSTER NODES. */
  address(): string {
    return `${this.ip}:${this.port}@${this.cport}${this.hostname ? "," + this.hostname : ""}`;
  }
}

export type ClusterHealth = "ok" | "fail";

/** Counters for CLUSTER INFO, by message type name. */
export type MessageStats = Map<string, number>;

export const MESSAGE_TYPES = ["ping", "pong", "meet", "fail", "publish", "update"] as const;

export class ClusterState {
  readonly nodes = new Map<string, ClusterNode>();
  /** Owner of each slot. */
  readonly owners: (ClusterNode | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly migratingTo: (ClusterNode | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly importingFrom: (ClusterNode | undefined)[] = new Array(SLOTS).fill(undefined);
  currentEpoch = 0;
  lastVoteEpoch = 0;
  health: ClusterHealth = "fail";
  /** Masters serving at least one slot (1 until the first state update, as in Redis). */
  size = 1;
  /** FORGET keeps a node out of gossip for a minute: id → until (ms). */
  readonly blacklist = new Map<string, number>();
  readonly sent: MessageStats = new Map();
  readonly received: MessageStats = new Map();
  /** Called after any change that must reach nodes.conf (saved once per tick). */
  onConfigChange: () => void = () => {};
  /** Slots this node has open (migrating or importing). */
  readonly open = new Set<number>();

  constructor(public myself: ClusterNode) {
    this.nodes.set(myself.id, myself);
  }

  lookup(id: string): ClusterNode | undefined {
    return this.nodes.get(id);
  }

  /** Finds a node by id prefix-free exact match, ignoring nodes still in handshake. */
  known(id: string): ClusterNode | undefined {
    const n = this.nodes.get(id);
    return n && !n.has(NF.handshake) ? n : undefined;
  }

  addNode(n: ClusterNode): void {
    this.nodes.set(n.id, n);
  }

  /** Removes a node: its slots become unassigned, its failure reports vanish everywhere. */
  delNode(n: ClusterNode): void {
    for (const s of [...this.open]) {
      if (this.importingFrom[s] === n) this.setImporting(s, undefined);
      if (this.migratingTo[s] === n) this.setMigrating(s, undefined);
    }
    for (let s = 0; s < SLOTS; s++) if (this.owners[s] === n) this.delSlot(s);
    for (const other of this.nodes.values()) other.failReports.delete(n.id);
    n.link?.close();
    n.inbound?.close();
    this.nodes.delete(n.id);
  }

  rename(n: ClusterNode, id: string): void {
    this.nodes.delete(n.id);
    n.id = id;
    this.nodes.set(id, n);
  }

  addSlot(n: ClusterNode, slot: number): boolean {
    if (this.owners[slot] !== undefined) return false;
    this.owners[slot] = n;
    n.slots.set(slot);
    n.numSlots++;
    n.slotsVersion++;
    return true;
  }

  delSlot(slot: number): boolean {
    const n = this.owners[slot];
    if (n === undefined) return false;
    n.slots.clear(slot);
    n.numSlots--;
    n.slotsVersion++;
    this.owners[slot] = undefined;
    return true;
  }

  /** Moves a slot to `n` (unassigning it from its previous owner). */
  assign(slot: number, n: ClusterNode): void {
    this.delSlot(slot);
    this.addSlot(n, slot);
  }

  get openSlots(): number {
    return this.open.size;
  }

  setMigrating(slot: number, to: ClusterNode | undefined): void {
    this.migratingTo[slot] = to;
    this.#trackOpen(slot);
  }

  setImporting(slot: number, from: ClusterNode | undefined): void {
    this.importingFrom[slot] = from;
    this.#trackOpen(slot);
  }

  #trackOpen(slot: number): void {
    if (this.migratingTo[slot] || this.importingFrom[slot]) this.open.add(slot);
    else this.open.delete(slot);
  }

  /** The greatest config epoch known (or the current epoch if greater). */
  maxEpoch(): number {
    let max = this.currentEpoch;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return max;
  }

  /**
   * Gives myself a new config epoch without agreement (Redis's
   * clusterBumpConfigEpochWithoutConsensus), unless mine is already the unique greatest.
   */
  bumpEpochWithoutConsensus(): boolean {
    const max = this.maxEpoch();
    if (this.myself.configEpoch === 0 || this.myself.configEpoch !== max) {
      this.currentEpoch++;
      this.myself.configEpoch = this.currentEpoch;
      this.onConfigChange();
      return true;
    }
    return false;
  }

  masters(): ClusterNode[] {
    return [...this.nodes.values()].filter((n) => n.isMaster && !n.has(NF.handshake));
  }

  /** One CLUSTER NODES line (nodes.conf uses the same format). */
  describe(n: ClusterNode, forFile: boolean): string {
    const master = n.masterId ?? "-";
    const epoch = n.has(NF.slave) && n.masterId
      ? this.nodes.get(n.masterId)?.configEpoch ?? n.configEpoch
      : n.configEpoch;
    const mine = n === this.myself;
    const pong = mine ? (forFile ? 0 : Math.floor(Date.now() / 1000) * 1000) : n.pongReceived;
    const linked = mine || n.link !== undefined ? "connected" : "disconnected";
    let line = `${n.id} ${n.address()} ${n.flagString()} ${master} ${n.pingSent} ${pong} ` +
      `${epoch} ${linked}`;
    for (const [a, b] of slotRanges((s) => n.slots.has(s))) {
      line += a === b ? ` ${a}` : ` ${a}-${b}`;
    }
    if (mine && this.open.size) {
      for (const s of [...this.open].sort((a, b) => a - b)) {
        const to = this.migratingTo[s];
        if (to) line += ` [${s}->-${to.id}]`;
        const from = this.importingFrom[s];
        if (from) line += ` [${s}-<-${from.id}]`;
      }
    }
    return line;
  }

  /** CLUSTER NODES: one line per node (handshake nodes too, but not in nodes.conf). */
  describeAll(forFile: boolean): string {
    let out = "";
    for (const n of this.nodes.values()) {
      if (forFile && n.has(NF.handshake)) continue;
      out += this.describe(n, forFile) + "\n";
    }
    return out;
  }
}
