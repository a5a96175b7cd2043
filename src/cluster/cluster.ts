// One node's cluster subsystem: loads or creates its identity (nodes.conf), indexes keys by slot,
// runs the bus (links, gossip, failure detection) and keeps the cluster health that routing reads.
// Started by src/node.ts when cluster-enabled is yes; commands reach it through clusterOf(server).

import type * as net from "node:net";
import { resolve } from "node:path";
import type { Server } from "../server/server.ts";
import type { Client } from "../server/client.ts";
import { ClusterNode, ClusterState, NF, randomId } from "./state.ts";
import { loadNodesConf, saveNodesConf } from "./nodes_conf.ts";
import { installSlotIndex, type SlotKeyIndex } from "./slot_keys.ts";
import {
  bitmapToBase64,
  type BusLink,
  type BusMessage,
  listenBus,
  type MessageType,
  type OpenSlot,
} from "./bus.ts";
import { SLOTS } from "./slots.ts";
import { Gossip } from "./gossip.ts";
import { installRouting } from "./routing.ts";
import { AutoAssign } from "./auto_assign.ts";
import { bridgePublish } from "./pubsub_bridge.ts";

const clusters = new WeakMap<Server, Cluster>();

/** The cluster subsystem of a server, when cluster mode is on. */
export function clusterOf(server: Server): Cluster | undefined {
  return clusters.get(server);
}

/** Minimum time between two nodes.conf writes that change no epoch. */
const SAVE_INTERVAL_MS = 20;
/** Minimum time between two PONG broadcasts after local config changes. */
const BROADCAST_INTERVAL_MS = 50;
/** A master that just restarted waits this long before serving, to learn newer configs first. */
const WRITABLE_DELAY_MS = 2000;

export class Cluster {
  state: ClusterState;
  readonly keys: SlotKeyIndex;
  readonly confPath: string;
  readonly gossip: Gossip;
  readonly auto: AutoAssign;
  /** Clients that sent ASKING (valid for their next command) or READONLY. */
  readonly asking = new WeakSet<Client>();
  readonly readonlyClients = new WeakSet<Client>();
  readonly startedAt = Date.now();
  #saveScheduled = false;
  #savedEpochs = "";
  #lastSave = 0;
  #broadcastScheduled = false;
  #lastBroadcast = 0;
  #busServer: net.Server | undefined;
  #cron: ReturnType<typeof setInterval> | undefined;

  private constructor(readonly server: Server, state: ClusterState, confPath: string) {
    this.state = state;
    this.confPath = confPath;
    this.keys = installSlotIndex(server.dbs[0]);
    this.gossip = new Gossip(this);
    this.auto = new AutoAssign(this);
    state.onConfigChange = () => this.saveSoon();
  }

  /** Loads nodes.conf (or makes a new identity), listens on the bus port, starts the cron. */
  static async start(server: Server, host: string): Promise<Cluster> {
    const cfg = server.config;
    const port = server.ports.resp || cfg.num("port");
    const confPath = resolve(cfg.str("dir"), cfg.str("cluster-config-file"));
    let state = loadNodesConf(confPath);
    const log = server.log;
    if (state) {
      log.notice(`Node configuration loaded, I'm ${state.myself.id}`);
    } else {
      state = new ClusterState(new ClusterNode(randomId(), NF.myself | NF.master));
      log.notice(`No cluster configuration found, I'm ${state.myself.id}`);
    }
    const c = new Cluster(server, state, confPath);
    clusters.set(server, c);
    const me = state.myself;
    const busPort = cfg.num("cluster-port") || port + 10000;
    if (busPort > 65535) {
      throw new Error(
        "Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis port. Your Redis port number must be 55535 or less.",
      );
    }
    c.#busServer = await listenBus(host, busPort, (sock) => c.gossip.accept(sock));
    me.port = cfg.num("cluster-announce-port") || port;
    me.cport = cfg.num("cluster-announce-bus-port") || busPort;
    me.ip = cfg.str("cluster-announce-ip") || (isWildcard(host) ? me.ip : host);
    me.hostname = cfg.str("cluster-announce-hostname");
    installRouting(c);
    bridgePublish(c);
    server.clientResetHooks.push((client) => {
      c.asking.delete(client);
      c.readonlyClients.delete(client);
    });
    c.saveNow();
    c.updateState();
    c.#cron = setInterval(() => c.cron(), 100);
    server.shutdownHooks.push(() => c.stop());
    log.notice(`Cluster bus listening on ${host}:${busPort}`);
    return c;
  }

  get myself(): ClusterNode {
    return this.state.myself;
  }

  get nodeTimeout(): number {
    return Math.max(1, this.server.config.num("cluster-node-timeout"));
  }

  /** Learns our own address from a link when none was configured (Redis's myip discovery). */
  learnMyIp(ip: string): void {
    if (this.myself.ip === "" && ip !== "") {
      this.myself.ip = ip;
      this.server.log.notice(`IP address for this node updated to ${ip}`);
      this.saveSoon();
    }
  }

  /**
   * Saves nodes.conf soon: at the end of this tick, or SAVE_INTERVAL_MS after the previous save
   * (many changes in a row, as during a reshard, cost one write per interval). Epoch changes are
   * saved and fsynced at once.
   */
  saveSoon(): void {
    const s = this.state;
    const epochs = `${s.currentEpoch} ${s.lastVoteEpoch} ${s.myself.configEpoch} ${s.myself.id}`;
    if (epochs !== this.#savedEpochs) {
      this.saveNow();
      return;
    }
    if (this.#saveScheduled) return;
    this.#saveScheduled = true;
    const wait = Math.max(0, this.#lastSave + SAVE_INTERVAL_MS - Date.now());
    setTimeout(() => {
      this.#saveScheduled = false;
      this.saveNow();
    }, wait);
  }

  /** Writes nodes.conf now (fsync when epochs changed, or forced); false when it cannot. */
  saveNow(forceSync = false): boolean {
    const s = this.state;
    const epochs = `${s.currentEpoch} ${s.lastVoteEpoch} ${s.myself.configEpoch} ${s.myself.id}`;
    try {
      saveNodesConf(this.confPath, s, forceSync || epochs !== this.#savedEpochs);
      this.#savedEpochs = epochs;
      this.#lastSave = Date.now();
      return true;
    } catch (e) {
      this.server.log.warning(`error saving the cluster node config: ${(e as Error).message}`);
      return false;
    }
  }

  /**
   * After a local configuration change (slots, epochs): persist, recompute health and tell every
   * connected node at once rather than waiting for the next ping.
   */
  configChanged(): void {
    this.saveSoon();
    this.updateState();
    if (this.#broadcastScheduled) return;
    this.#broadcastScheduled = true;
    const wait = Math.max(0, this.#lastBroadcast + BROADCAST_INTERVAL_MS - Date.now());
    setTimeout(() => {
      this.#broadcastScheduled = false;
      this.#lastBroadcast = Date.now();
      this.gossip.broadcastPong();
    }, wait);
  }

  /** Redis's clusterUpdateState: ok when every slot is served by a reachable master majority. */
  updateState(): void {
    const s = this.state;
    const me = this.myself;
    if (me.isMaster && s.health === "fail" && Date.now() - this.startedAt < WRITABLE_DELAY_MS) {
      return;
    }
    let health: "ok" | "fail" = "ok";
    if (this.server.config.bool("cluster-require-full-coverage")) {
      for (let i = 0; i < SLOTS; i++) {
        const o = s.owners[i];
        if (o === undefined || o.has(NF.fail)) {
          health = "fail";
          break;
        }
      }
    }
    let size = 0;
    let reachable = 0;
    for (const n of s.nodes.values()) {
      if (!n.isMaster || n.numSlots === 0) continue;
      size++;
      if (!n.failing) reachable++;
    }
    s.size = size;
    if (reachable < Math.floor(size / 2) + 1) health = "fail";
    if (health !== s.health) {
      this.server.log.notice(`Cluster state changed: ${health}`);
      s.health = health;
    }
  }

  #slotsCache = { version: -1, b64: "" };

  #mySlotsBase64(): string {
    const me = this.myself;
    if (this.#slotsCache.version !== me.slotsVersion) {
      this.#slotsCache = { version: me.slotsVersion, b64: bitmapToBase64(me.slots.bits) };
    }
    return this.#slotsCache.b64;
  }

  /** Up to 256 open slots with their peer and how many keys this node holds in each. */
  #openList(): OpenSlot[] {
    const s = this.state;
    const out: OpenSlot[] = [];
    for (const slot of s.open) {
      const to = s.migratingTo[slot];
      const from = s.importingFrom[slot];
      if (to) out.push([slot, "m", to.id, this.keys.count(slot)]);
      if (from) out.push([slot, "i", from.id, this.keys.count(slot)]);
      if (out.length >= 256) break;
    }
    return out;
  }

  /** Builds a message header describing myself. */
  header(type: MessageType): BusMessage {
    const me = this.myself;
    const s = this.state;
    return {
      type,
      sender: me.id,
      currentEpoch: s.currentEpoch,
      configEpoch: me.configEpoch,
      ip: me.ip,
      port: me.port,
      cport: me.cport,
      hostname: me.hostname,
      flags: me.flags & ~(NF.myself | NF.pfail | NF.fail),
      master: me.masterId ?? null,
      slots: this.#mySlotsBase64(),
      state: s.health,
      open: s.openSlots,
      opens: s.openSlots ? this.#openList() : undefined,
      shard: me.shardId,
    };
  }

  cron(): void {
    this.gossip.cron();
    this.updateState();
    this.auto.cron();
  }

  async stop(): Promise<void> {
    clearInterval(this.#cron);
    this.auto.stop();
    this.gossip.closeAll();
    const srv = this.#busServer;
    this.#busServer = undefined;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
    if (this.#saveScheduled) this.saveNow();
  }

  /** Links for CLUSTER LINKS. */
  links(): BusLink[] {
    return this.gossip.allLinks();
  }
}

function isWildcard(host: string): boolean {
  return host === "" || host === "0.0.0.0" || host === "::" || host === "*";
}
