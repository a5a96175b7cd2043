// cluster-auto-assign yes: masters that meet with no slots agree on an even split, and a new empty
// master joining a fully covered cluster receives its share by live migration. One node decides:
// the master with the lowest id, and only when the membership has been stable for a while, every
// master is reachable and reports cluster_state:ok, no node reports open slots and every config
// epoch is distinct (the epochs that settle slot ownership have converged). It acts through
// ordinary commands (ADDSLOTSRANGE, SETSLOT, MIGRATE), the machinery `redis-cli --cluster` drives.
// A move that fails half-way is resumed by the same leader (SETSLOT and MIGRATE are idempotent).

import type { Cluster } from "./cluster.ts";
import type { ClusterNode } from "./state.ts";
import { SLOTS } from "./slots.ts";
import { type Endpoint, finishSlots, moveSlots } from "./slot_mover.ts";
import { RespClient } from "../resp/client.ts";

/** Membership must not change for this long before the leader acts. */
const SETTLE_MS = 1500;
/** A node alone waits longer before taking every slot (others are probably about to meet it). */
const ALONE_MS = 5000;
/** Slots moved per pipelined batch. */
const MOVE_BATCH = 64;
/**
 * Open slots that nobody moves forward (no key count changes) for max(10 s, 4 × node timeout)
 * get finished by the leader.
 */
const STUCK_MIN_MS = 10_000;
/** Pause before resuming a move that failed, and how many times to try before giving up. */
const RETRY_MS = 2000;
const MAX_ATTEMPTS = 5;

/** redis-cli's allocation: master i gets a contiguous range, sizes differing by at most one. */
export function evenRanges(n: number): [number, number][] {
  const per = SLOTS / n;
  const out: [number, number][] = [];
  let first = 0;
  let cursor = 0;
  for (let i = 0; i < n; i++) {
    let last = Math.round(cursor + per - 1);
    if (last > SLOTS || i === n - 1) last = SLOTS - 1;
    if (last < first) last = first;
    out.push([first, last]);
    first = last + 1;
    cursor += per;
  }
  return out;
}

const byAddress = (a: ClusterNode, b: ClusterNode) =>
  a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1;

interface Move {
  from: ClusterNode;
  to: ClusterNode;
  slots: number[];
}

export class AutoAssign {
  #busy = false;
  #signature = "";
  #since = Date.now();
  #stopped = false;
  /** What is left of the current rebalance (kept when a move fails, to resume it). */
  #plan: Move[] = [];
  #retryAt = 0;
  #failures = 0;
  #openSignature = "";
  #openSince = 0;

  constructor(readonly cluster: Cluster) {}

  stop(): void {
    this.#stopped = true;
  }

  get enabled(): boolean {
    return this.cluster.server.config.bool("cluster-auto-assign");
  }

  /** True while this node is the master with the lowest id among the masters it knows. */
  #isLeader(): boolean {
    const s = this.cluster.state;
    const me = s.myself;
    return me.isMaster && me.ip !== "" && s.masters().every((n) => n.id >= me.id);
  }

  /** The masters, when this node may start a new assignment now; undefined otherwise. */
  #leaderView(): ClusterNode[] | undefined {
    const s = this.cluster.state;
    const me = s.myself;
    if (!this.#isLeader()) return undefined;
    const masters = s.masters();
    const sig = masters.map((n) => `${n.id}:${n.numSlots}:${n.failing}`).sort().join(",");
    const now = Date.now();
    if (sig !== this.#signature) {
      this.#signature = sig;
      this.#since = now;
      return undefined;
    }
    const settle = masters.length === 1 ? ALONE_MS : SETTLE_MS;
    if (now - this.#since < settle) return undefined;
    const epochs = new Set<number>();
    for (const n of masters) {
      if (n.failing || n.openSlots > 0) return undefined;
      if (n !== me && (!n.link || n.pongReceived === 0)) return undefined;
      if (n.numSlots > 0) epochs.add(n.configEpoch);
    }
    if (s.openSlots > 0) return undefined;
    if (epochs.size !== masters.filter((n) => n.numSlots > 0).length) return undefined;
    return masters;
  }

  cron(): void {
    if (this.#busy || this.#stopped || !this.enabled) return;
    let job: Promise<void> | undefined;
    if (this.#plan.length) {
      // Resume an interrupted rebalance while still the leader; otherwise let the new one decide.
      if (!this.#isLeader()) this.#plan = [];
      else if (Date.now() >= this.#retryAt) job = this.#runPlan();
    } else if ((this.#plan = this.#stuckOpenSlots()).length) {
      this.cluster.server.log.warning("auto-assign: finishing open slots that nobody moves");
      job = this.#runPlan();
    } else {
      const masters = this.#leaderView();
      if (!masters) return;
      const s = this.cluster.state;
      let assigned = 0;
      for (let i = 0; i < SLOTS; i++) if (s.owners[i]) assigned++;
      const empty = masters.filter((n) => n.numSlots === 0);
      const allOk = s.health === "ok" &&
        masters.every((n) => n === s.myself || n.health === "ok");
      if (assigned === 0) job = this.#splitEvenly(masters);
      else if (assigned === SLOTS && empty.length > 0 && allOk) {
        this.#plan = this.#rebalancePlan(masters, empty);
        job = this.#runPlan();
      }
    }
    if (!job) return;
    this.#busy = true;
    job.then(() => (this.#failures = 0), (e) => {
      const log = this.cluster.server.log;
      log.warning(`auto-assign: ${(e as Error).message}`);
      this.#retryAt = Date.now() + RETRY_MS;
      if (++this.#failures >= MAX_ATTEMPTS && this.#plan.length) {
        log.warning("auto-assign: giving up; open slots are left for redis-cli --cluster fix");
        this.#plan = [];
      }
    }).finally(() => {
      this.#busy = false;
      this.#signature = ""; // wait for the new configuration to settle before acting again
    });
  }

  /**
   * Moves that finish slots left open (a leader that stopped half-way, say). Only when this node
   * leads and the open slots, with their key counts, have not changed for a while: a tool still
   * moving keys changes the counts, and is left alone.
   */
  #stuckOpenSlots(): Move[] {
    const s = this.cluster.state;
    if (!this.#isLeader()) return [];
    const claims: {
      node: ClusterNode;
      slot: number;
      dir: "m" | "i";
      peer: string;
      keys: number;
    }[] = [];
    for (const slot of s.open) {
      const to = s.migratingTo[slot];
      const from = s.importingFrom[slot];
      const keys = this.cluster.keys.count(slot);
      if (to) claims.push({ node: s.myself, slot, dir: "m", peer: to.id, keys });
      if (from) claims.push({ node: s.myself, slot, dir: "i", peer: from.id, keys });
    }
    for (const n of s.masters()) {
      if (n === s.myself) continue;
      for (const [slot, dir, peer, keys] of n.opens) {
        claims.push({ node: n, slot, dir, peer, keys });
      }
    }
    const sig = claims.map((c) => `${c.node.id}:${c.slot}:${c.dir}:${c.peer}:${c.keys}`).sort()
      .join(",");
    const now = Date.now();
    if (sig !== this.#openSignature) {
      this.#openSignature = sig;
      this.#openSince = now;
      return [];
    }
    const stuckMs = Math.max(STUCK_MIN_MS, 4 * this.cluster.nodeTimeout);
    if (sig === "" || now - this.#openSince < stuckMs) return [];
    this.#openSignature = "";
    // Each slot goes to the node importing it (or the one it was migrating to), from its owner.
    const moves = new Map<string, Move>();
    for (const slot of new Set(claims.map((c) => c.slot))) {
      const mine = claims.filter((c) => c.slot === slot);
      const importer = mine.find((c) => c.dir === "i")?.node;
      const migrating = mine.find((c) => c.dir === "m");
      const to = importer ?? (migrating ? s.lookup(migrating.peer) : undefined);
      const from = migrating?.node ?? s.owners[slot];
      if (!to || !from || from === to || to.failing || from.failing) continue;
      const key = `${from.id}>${to.id}`;
      const m = moves.get(key) ?? { from, to, slots: [] };
      m.slots.push(slot);
      moves.set(key, m);
    }
    return [...moves.values()];
  }

  #password(): string {
    const cfg = this.cluster.server.config;
    return cfg.str("masterauth") || cfg.str("requirepass");
  }

  /** Fresh cluster: each master claims one range (ADDSLOTSRANGE, then a distinct epoch). */
  async #splitEvenly(masters: ClusterNode[]): Promise<void> {
    const sorted = [...masters].sort(byAddress);
    const ranges = evenRanges(sorted.length);
    this.cluster.server.log.notice(
      `auto-assign: splitting ${SLOTS} slots over ${sorted.length} master(s)`,
    );
    for (let i = 0; i < sorted.length; i++) {
      const n = sorted[i];
      const client = await RespClient.connect(n.port, n.ip);
      try {
        const pw = this.#password();
        if (pw) await client.call("AUTH", pw);
        const [a, b] = ranges[i];
        const r = await client.call("CLUSTER", "ADDSLOTSRANGE", String(a), String(b));
        if (r && typeof r === "object" && "-" in r) throw new Error(`${n.id}: ${r["-"]}`);
        await client.call("CLUSTER", "BUMPEPOCH");
      } finally {
        client.close();
      }
    }
  }

  /** Empty masters take slots from the fullest ones until every master has its even share. */
  #rebalancePlan(masters: ClusterNode[], empty: ClusterNode[]): Move[] {
    const s = this.cluster.state;
    const n = masters.length;
    const sorted = [...masters].sort((a, b) => b.numSlots - a.numSlots || byAddress(a, b));
    const target = new Map<ClusterNode, number>();
    sorted.forEach((m, i) => target.set(m, Math.floor(SLOTS / n) + (i < SLOTS % n ? 1 : 0)));
    // Donors give their highest slots first, so ranges stay contiguous.
    const plan: Move[] = [];
    const taken = new Set<number>();
    const surplus = sorted.map((m) => ({ m, extra: m.numSlots - target.get(m)! }));
    for (const to of empty) {
      let need = target.get(to)!;
      for (const d of surplus) {
        if (need === 0) break;
        if (d.extra <= 0 || d.m === to) continue;
        const take = Math.min(need, d.extra);
        const slots: number[] = [];
        for (let j = SLOTS - 1; j >= 0 && slots.length < take; j--) {
          if (s.owners[j] === d.m && !taken.has(j)) {
            slots.push(j);
            taken.add(j);
          }
        }
        slots.reverse();
        if (slots.length) plan.push({ from: d.m, to, slots });
        d.extra -= slots.length;
        need -= slots.length;
      }
    }
    return plan;
  }

  /** Runs the plan move by move; what has moved leaves the plan, so a failure can resume. */
  async #runPlan(): Promise<void> {
    const s = this.cluster.state;
    const log = this.cluster.server.log;
    const ep = (x: ClusterNode): Endpoint => ({ id: x.id, ip: x.ip, port: x.port });
    while (this.#plan.length) {
      const p = this.#plan[0];
      if (s.lookup(p.from.id) !== p.from || s.lookup(p.to.id) !== p.to) {
        this.#plan = []; // a node was forgotten: start over from a fresh view
        return;
      }
      const others = s.masters().filter((m) => m !== p.from && m !== p.to).map(ep);
      // Resuming: slots the target already owns only need the others told; slots that went
      // elsewhere leave the plan.
      const done = p.slots.filter((x) => s.owners[x] === p.to);
      if (done.length) {
        await finishSlots(done, ep(p.to), [ep(p.from), ...others], this.#password());
      }
      p.slots = p.slots.filter((x) => s.owners[x] === p.from);
      log.notice(`auto-assign: moving ${p.slots.length} slots from ${p.from.id} to ${p.to.id}`);
      await moveSlots([...p.slots], ep(p.from), ep(p.to), others, {
        password: this.#password(),
        batch: MOVE_BATCH,
        timeoutMs: Math.max(5000, this.cluster.nodeTimeout),
        stillValid: () =>
          !this.#stopped && this.enabled && !p.from.failing && !p.to.failing && this.#isLeader(),
        moved: (done) => {
          const gone = new Set(done);
          p.slots = p.slots.filter((x) => !gone.has(x));
        },
      });
      if (p.slots.length) throw new Error("move interrupted");
      this.#plan.shift();
    }
    log.notice("auto-assign: rebalance done");
  }
}
