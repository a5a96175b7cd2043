// The gossip protocol over the bus (Redis's clusterProcessPacket): MEET/PING/PONG carry each
// node's epochs, slots and a few other nodes; FAIL spreads a failure verdict; UPDATE corrects a
// node announcing a stale slot config. Slot ownership conflicts are settled by config epoch.

import type * as net from "node:net";
import type { Cluster } from "./cluster.ts";
import { ClusterNode, NF } from "./state.ts";
import {
  base64ToBitmap,
  bitmapToBase64,
  BusLink,
  type BusMessage,
  connectBus,
  type GossipEntry,
  type MessageType,
} from "./bus.ts";
import { SlotBitmap, SLOTS } from "./slots.ts";
import { clearFailureIfNeeded, failureCron, markFailingIfNeeded } from "./failure.ts";
import { deleteKeysInSlot } from "./slot_ops.ts";

/** How long a FORGET keeps a node from being re-added by gossip. */
export const BLACKLIST_MS = 60_000;

export class Gossip {
  readonly inbound = new Set<BusLink>();
  #connecting = new Set<ClusterNode>();

  constructor(readonly cluster: Cluster) {}

  get state() {
    return this.cluster.state;
  }

  /** An accepted connection on the cluster port. */
  accept(sock: net.Socket): void {
    const link = new BusLink(sock, true, (l, m) => this.#process(l, m), (l) => this.#closed(l));
    this.inbound.add(link);
  }

  allLinks(): BusLink[] {
    const out: BusLink[] = [];
    for (const n of this.state.nodes.values()) if (n.link) out.push(n.link as BusLink);
    for (const l of this.inbound) out.push(l);
    return out;
  }

  closeAll(): void {
    for (const l of this.allLinks()) l.close();
  }

  /** Opens the outbound link to a node and greets it (MEET for a node we were told to meet). */
  connect(n: ClusterNode): void {
    if (this.#connecting.has(n) || n.link || n.has(NF.noaddr) || n.ip === "") return;
    this.#connecting.add(n);
    const timeout = Math.min(this.cluster.nodeTimeout, 5000);
    connectBus(n.ip, n.cport, timeout).then((sock) => {
      this.#connecting.delete(n);
      if (this.state.nodes.get(n.id) !== n) {
        sock.destroy();
        return;
      }
      const link = new BusLink(sock, false, (l, m) => this.#process(l, m), (l) => this.#closed(l));
      link.nodeId = n.id;
      n.link = link;
      this.cluster.learnMyIp(link.localIp);
      const oldPingSent = n.pingSent;
      this.sendPing(n, n.has(NF.meet) ? "meet" : "ping");
      if (oldPingSent) n.pingSent = oldPingSent;
      n.flags &= ~NF.meet;
    }, () => {
      this.#connecting.delete(n);
      // Never reachable: start its ping clock so that it can be flagged as failing.
      if (n.pingSent === 0) n.pingSent = Date.now();
    });
  }

  #closed(link: BusLink): void {
    if (link.inbound) {
      this.inbound.delete(link);
      for (const n of this.state.nodes.values()) if (n.inbound === link) n.inbound = undefined;
      return;
    }
    for (const n of this.state.nodes.values()) if (n.link === link) n.link = undefined;
  }

  #send(link: BusLink, msg: BusMessage): void {
    const st = this.state.sent;
    st.set(msg.type, (st.get(msg.type) ?? 0) + 1);
    link.send(msg);
  }

  /** Sends PING/PONG/MEET with gossip about a few other nodes (always the failing ones). */
  sendPing(n: ClusterNode, type: MessageType, link = n.link as BusLink | undefined): void {
    if (!link) return;
    const msg = this.cluster.header(type);
    const candidates = [...this.state.nodes.values()].filter((x) =>
      x !== this.state.myself && x !== n && !x.has(NF.handshake | NF.noaddr) &&
      !(x.link === undefined && x.numSlots === 0 && !x.failing)
    );
    const wanted = Math.max(3, Math.floor(this.state.nodes.size / 10));
    const picked = new Set<ClusterNode>(candidates.filter((x) => x.failing));
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
    }
    for (const x of candidates) {
      if (picked.size >= wanted + 2) break;
      picked.add(x);
    }
    msg.gossip = [...picked].map((x): GossipEntry => ({
      id: x.id,
      ip: x.ip,
      port: x.port,
      cport: x.cport,
      flags: x.flags & ~NF.myself,
    }));
    if (type === "ping" || type === "meet") n.pingSent = Date.now();
    this.#send(link, msg);
  }

  /** PONG to every node we have a link to (after a local config change). */
  broadcastPong(): void {
    for (const n of this.state.nodes.values()) {
      if (n.link && !n.has(NF.handshake) && n !== this.state.myself) this.sendPing(n, "pong");
    }
  }

  /** Tells every node that `failing` is in FAIL state. */
  broadcastFail(failing: ClusterNode): void {
    const msg = this.cluster.header("fail");
    msg.about = failing.id;
    this.#broadcast(msg);
  }

  /** PUBLISH to every other node (they deliver to their own subscribers). */
  broadcastPublish(channel: string, message: string): void {
    const msg = this.cluster.header("publish");
    msg.channel = channel;
    msg.message = message;
    this.#broadcast(msg);
  }

  #broadcast(msg: BusMessage): void {
    for (const n of this.state.nodes.values()) {
      if (n.link && !n.has(NF.handshake)) this.#send(n.link as BusLink, msg);
    }
  }

  /** Tells `to` that `about` owns its slots with a newer config (Redis's clusterSendUpdate). */
  #sendUpdate(link: BusLink, about: ClusterNode): void {
    const msg = this.cluster.header("update");
    msg.about = about.id;
    msg.aboutEpoch = about.configEpoch;
    msg.aboutSlots = bitmapToBase64(about.slots.bits);
    this.#send(link, msg);
  }

  cron(): void {
    failureCron(this);
  }

  #process(link: BusLink, msg: BusMessage): void {
    const s = this.state;
    const rc = s.received;
    rc.set(msg.type, (rc.get(msg.type) ?? 0) + 1);
    const now = Date.now();
    let sender = s.known(msg.sender);
    if (sender === s.myself) return;
    if (sender) {
      sender.dataReceived = now;
      if (link.inbound && sender.inbound !== link) sender.inbound = link;
      if (msg.currentEpoch > s.currentEpoch) {
        s.currentEpoch = msg.currentEpoch;
        this.cluster.saveSoon();
      }
      if (msg.configEpoch > sender.configEpoch) {
        sender.configEpoch = msg.configEpoch;
        this.cluster.saveSoon();
      }
    }
    const isPing = msg.type === "ping" || msg.type === "meet";
    if (isPing) {
      if (link.inbound) this.cluster.learnMyIp(link.localIp);
      // A MEET from a node we do not know yet: it joins our view (it reached us, so it exists).
      if (!sender && msg.type === "meet") {
        sender = new ClusterNode(msg.sender, msg.flags & (NF.master | NF.slave));
        this.#setAddress(sender, msg, link);
        sender.inbound = link;
        s.addNode(sender);
        this.cluster.saveSoon();
        this.#processGossip(sender, msg.gossip ?? []);
      }
      this.sendPing(sender ?? new ClusterNode(msg.sender, 0), "pong", link);
    }
    if (isPing || msg.type === "pong") {
      if (!link.inbound) {
        const expected = link.nodeId ? s.lookup(link.nodeId) : undefined;
        if (expected?.has(NF.handshake)) {
          // Handshake done: the node at that address told us its real name.
          const already = s.lookup(msg.sender);
          if (already && already !== expected) {
            this.#setAddress(already, msg, link);
            s.delNode(expected);
            return;
          }
          s.rename(expected, msg.sender);
          expected.flags = (expected.flags & ~NF.handshake) | (msg.flags & (NF.master | NF.slave));
          link.nodeId = msg.sender;
          sender = expected;
          this.cluster.server.log.verbose(`Handshake with node ${msg.sender} completed.`);
          this.cluster.saveSoon();
        } else if (expected && expected.id !== msg.sender) {
          // Someone else answers at that address now: forget the address, keep the node.
          expected.flags |= NF.noaddr;
          expected.ip = "";
          expected.port = expected.cport = 0;
          link.close();
          this.cluster.saveSoon();
          return;
        }
      }
      if (!sender) return;
      if (msg.type === "pong" && !link.inbound) {
        sender.pongReceived = now;
        sender.pingSent = 0;
        if (sender.has(NF.pfail)) {
          sender.flags &= ~NF.pfail;
          this.cluster.saveSoon();
        } else if (sender.has(NF.fail)) clearFailureIfNeeded(this.cluster, sender);
      }
      this.#updateFromHeader(sender, msg, link);
      this.#processGossip(sender, msg.gossip ?? []);
    } else if (msg.type === "fail" && sender && msg.about) {
      const failing = s.lookup(msg.about);
      if (failing && failing !== s.myself && !failing.has(NF.fail)) {
        this.cluster.server.log.notice(
          `FAIL message received from ${sender.id} about ${failing.id}`,
        );
        failing.flags = (failing.flags | NF.fail) & ~NF.pfail;
        failing.failTime = now;
        this.cluster.configChanged();
      }
    } else if (msg.type === "update" && sender && msg.about && msg.aboutSlots) {
      const n = s.lookup(msg.about);
      if (!n || (msg.aboutEpoch ?? 0) <= n.configEpoch) return;
      if (n === s.myself) return; // "Discarding UPDATE message about myself."
      n.configEpoch = msg.aboutEpoch ?? 0;
      this.updateSlotsConfigWith(n, n.configEpoch, new SlotBitmap(base64ToBitmap(msg.aboutSlots)));
    } else if (msg.type === "publish" && sender && msg.channel !== undefined) {
      this.onPublish?.(msg.channel, msg.message ?? "");
    }
  }

  /** Delivery of cluster-wide PUBLISH messages (set by whoever bridges pub/sub). */
  onPublish: ((channel: string, message: string) => void) | undefined;

  #setAddress(n: ClusterNode, msg: BusMessage, link: BusLink): void {
    n.ip = msg.ip || link.remoteIp;
    n.port = msg.port;
    n.cport = msg.cport;
    n.hostname = msg.hostname ?? "";
    n.flags &= ~NF.noaddr;
  }

  /** Role, address, slots and epoch collisions from a PING/PONG/MEET header. */
  #updateFromHeader(sender: ClusterNode, msg: BusMessage, link: BusLink): void {
    const s = this.state;
    const me = s.myself;
    const ip = msg.ip || link.remoteIp;
    if (sender.ip !== ip || sender.port !== msg.port || sender.cport !== msg.cport) {
      this.#setAddress(sender, msg, link);
      if (sender.link && !link.inbound) { /* same link: keep it */ }
      else sender.link?.close();
      this.cluster.saveSoon();
    }
    sender.openSlots = msg.open ?? 0;
    sender.opens = Array.isArray(msg.opens) ? msg.opens : [];
    sender.health = msg.state === "ok" ? "ok" : "fail";
    if (msg.shard) sender.shardId = msg.shard;
    const role = msg.flags & (NF.master | NF.slave);
    if (role && (sender.flags & (NF.master | NF.slave)) !== role) {
      sender.flags = (sender.flags & ~(NF.master | NF.slave)) | role;
      this.cluster.saveSoon();
    }
    if ((msg.master ?? undefined) !== sender.masterId) {
      sender.masterId = msg.master ?? undefined;
      this.cluster.saveSoon();
    }
    if (!sender.isMaster) return;
    const claimed = new SlotBitmap(base64ToBitmap(msg.slots));
    let differs = false;
    for (let i = 0; i < claimed.bits.length; i++) {
      if (claimed.bits[i] !== sender.slots.bits[i]) {
        differs = true;
        break;
      }
    }
    if (differs) this.updateSlotsConfigWith(sender, msg.configEpoch, claimed);
    // The sender claims slots someone holds with a newer config: tell it (once per message).
    if (differs) {
      for (let j = 0; j < SLOTS; j++) {
        if (!claimed.has(j)) continue;
        const owner = s.owners[j];
        if (owner && owner !== sender && owner.configEpoch > msg.configEpoch) {
          this.#sendUpdate(link, owner);
          break;
        }
      }
    }
    // Two masters with the same config epoch: the one with the smaller id takes a new one.
    if (
      me.isMaster && msg.configEpoch === me.configEpoch && sender.id > me.id &&
      sender.configEpoch === me.configEpoch
    ) {
      s.currentEpoch++;
      me.configEpoch = s.currentEpoch;
      this.cluster.server.log.notice(
        `WARNING: configEpoch collision with node ${sender.id}. configEpoch set to ${me.configEpoch}`,
      );
      this.cluster.configChanged();
    }
  }

  /**
   * Rebinds the slots `sender` claims when they are unassigned or held with an older config
   * epoch (Redis's clusterUpdateSlotsConfigWith). Keys left in a slot this node lost are deleted.
   */
  updateSlotsConfigWith(sender: ClusterNode, epoch: number, claimed: SlotBitmap): void {
    const s = this.state;
    const me = s.myself;
    if (sender === me) return;
    const dirty: number[] = [];
    let changed = false;
    for (let j = 0; j < SLOTS; j++) {
      if (!claimed.has(j)) continue;
      const owner = s.owners[j];
      if (owner === sender || s.importingFrom[j]) continue;
      if (owner === undefined || owner.configEpoch < epoch) {
        if (owner === me && this.cluster.keys.count(j) > 0) dirty.push(j);
        if (s.migratingTo[j] && this.cluster.keys.count(j) === 0) s.setMigrating(j, undefined);
        s.assign(j, sender);
        changed = true;
      }
    }
    if (!changed) return;
    for (const j of dirty) deleteKeysInSlot(this.cluster, j);
    this.cluster.saveSoon();
    this.cluster.updateState();
  }

  #processGossip(sender: ClusterNode, entries: GossipEntry[]): void {
    const s = this.state;
    const me = s.myself;
    for (const g of entries) {
      if (typeof g?.id !== "string" || g.id.length !== 40) continue;
      const n = s.lookup(g.id);
      if (n) {
        if (n === me) continue;
        if (sender.isMaster) {
          if (g.flags & (NF.pfail | NF.fail)) {
            if (!n.failReports.has(sender.id)) {
              this.cluster.server.log.verbose(
                `Node ${sender.id} reported node ${n.id} as not reachable.`,
              );
            }
            n.failReports.set(sender.id, Date.now());
            markFailingIfNeeded(this, n);
          } else n.failReports.delete(sender.id);
        }
        // A node we cannot reach has a new address according to one that can.
        if (
          !n.link && n.has(NF.fail | NF.noaddr) && g.ip &&
          (n.ip !== g.ip || n.port !== g.port || n.cport !== g.cport)
        ) {
          n.ip = g.ip;
          n.port = g.port;
          n.cport = g.cport;
          n.flags &= ~NF.noaddr;
          this.cluster.saveSoon();
        }
        continue;
      }
      if (g.flags & NF.noaddr || !g.ip || (s.blacklist.get(g.id) ?? 0) > Date.now()) continue;
      // A node we never heard of: add it in handshake until it answers under the same name.
      const fresh = new ClusterNode(g.id, NF.handshake | (g.flags & (NF.master | NF.slave)));
      fresh.ip = g.ip;
      fresh.port = g.port;
      fresh.cport = g.cport;
      s.addNode(fresh);
      this.connect(fresh);
    }
  }
}
