// Failure detection (Redis's clusterCron part): keep links up, ping nodes whose pong is getting
// old, flag a silent node PFAIL after cluster-node-timeout, and turn PFAIL into FAIL once a
// majority of slot-serving masters report it (the verdict is then broadcast as FAIL).

import type { Cluster } from "./cluster.ts";
import type { Gossip } from "./gossip.ts";
import { type ClusterNode, NF } from "./state.ts";

/** Failure reports older than node-timeout × this are ignored (CLUSTER_FAIL_REPORT_VALIDITY_MULT). */
const REPORT_VALIDITY_MULT = 2;
/** A failed master with slots is cleared after node-timeout × this (CLUSTER_FAIL_UNDO_TIME_MULT). */
const FAIL_UNDO_MULT = 2;

/** Drops failure reports that are too old; returns how many remain. */
export function validFailureReports(cluster: Cluster, n: ClusterNode): number {
  const maxAge = cluster.nodeTimeout * REPORT_VALIDITY_MULT;
  const now = Date.now();
  for (const [id, at] of n.failReports) if (now - at > maxAge) n.failReports.delete(id);
  return n.failReports.size;
}

/** PFAIL → FAIL when enough masters agree (myself counts when I am a master). */
export function markFailingIfNeeded(g: Gossip, n: ClusterNode): void {
  const c = g.cluster;
  const s = c.state;
  const needed = Math.floor(s.size / 2) + 1;
  if (!n.has(NF.pfail) || n.has(NF.fail)) return;
  const failures = validFailureReports(c, n) + (s.myself.isMaster ? 1 : 0);
  if (failures < needed) return;
  c.server.log.notice(`Marking node ${n.id} as failing (quorum reached).`);
  n.flags = (n.flags & ~NF.pfail) | NF.fail;
  n.failTime = Date.now();
  g.broadcastFail(n);
  c.configChanged();
}

/** A FAIL node answered again: clear the flag when that is safe (Redis's clearNodeFailureIfNeeded). */
export function clearFailureIfNeeded(c: Cluster, n: ClusterNode): void {
  if (!n.has(NF.fail)) return;
  if (n.has(NF.slave) || n.numSlots === 0) {
    c.server.log.notice(`Clear FAIL state for node ${n.id}: is reachable again.`);
  } else if (Date.now() - n.failTime > c.nodeTimeout * FAIL_UNDO_MULT) {
    c.server.log.notice(
      `Clear FAIL state for node ${n.id}: is reachable again and nobody is serving its slots after some time.`,
    );
  } else return;
  n.flags &= ~NF.fail;
  c.configChanged();
}

/** Runs every 100 ms. */
export function failureCron(g: Gossip): void {
  const c = g.cluster;
  const s = c.state;
  const now = Date.now();
  const timeout = c.nodeTimeout;
  for (const [id, until] of s.blacklist) if (until <= now) s.blacklist.delete(id);
  let changed = false;
  const pingable: ClusterNode[] = [];
  for (const n of [...s.nodes.values()]) {
    if (n === s.myself || n.has(NF.noaddr)) continue;
    if (n.has(NF.handshake) && now - n.createdAt > Math.max(timeout, 1000)) {
      s.delNode(n);
      continue;
    }
    if (!n.link) {
      g.connect(n);
      continue;
    }
    if (n.has(NF.handshake)) continue;
    // A ping unanswered for half the timeout on a silent link: reconnect (the link may be stuck).
    if (n.pingSent && now - n.pingSent > timeout / 2 && now - n.dataReceived > timeout / 2) {
      n.link.close();
    } else if (n.pingSent === 0 && now - n.pongReceived > timeout / 2) {
      g.sendPing(n, "ping");
    } else if (n.pingSent === 0) pingable.push(n);
  }
  // One more ping per tick to the least recently heard of five random nodes: gossip keeps flowing.
  if (pingable.length) {
    let best: ClusterNode | undefined;
    for (let i = 0; i < 5; i++) {
      const n = pingable[Math.floor(Math.random() * pingable.length)];
      if (!best || n.pongReceived < best.pongReceived) best = n;
    }
    g.sendPing(best!, "ping");
  }
  for (const n of s.nodes.values()) {
    if (n === s.myself || n.has(NF.handshake) || n.pingSent === 0) continue;
    const delay = Math.min(now - n.pingSent, now - n.dataReceived);
    if (delay > timeout && !n.failing) {
      c.server.log.verbose(`*** NODE ${n.id} possibly failing`);
      n.flags |= NF.pfail;
      changed = true;
      markFailingIfNeeded(g, n);
    }
  }
  if (changed) {
    c.saveSoon();
    c.updateState();
  }
}
