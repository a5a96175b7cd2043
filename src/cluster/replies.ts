// The read-only CLUSTER replies in Redis 7.0's exact shapes: INFO, SLOTS, SHARDS, LINKS.

import type { Ctx } from "../server/client.ts";
import type { Cluster } from "./cluster.ts";
import { type ClusterNode, MESSAGE_TYPES, NF } from "./state.ts";
import { slotRanges, SLOTS } from "./slots.ts";

export function clusterInfoText(cl: Cluster): string {
  const s = cl.state;
  let assigned = 0, ok = 0, pfail = 0, fail = 0;
  for (let i = 0; i < SLOTS; i++) {
    const n = s.owners[i];
    if (!n) continue;
    assigned++;
    if (n.has(NF.fail)) fail++;
    else if (n.has(NF.pfail)) pfail++;
    else ok++;
  }
  const lines = [
    `cluster_state:${s.health}`,
    `cluster_slots_assigned:${assigned}`,
    `cluster_slots_ok:${ok}`,
    `cluster_slots_pfail:${pfail}`,
    `cluster_slots_fail:${fail}`,
    `cluster_known_nodes:${s.nodes.size}`,
    `cluster_size:${s.size}`,
    `cluster_current_epoch:${s.currentEpoch}`,
    `cluster_my_epoch:${myEpoch(cl)}`,
  ];
  for (const [dir, stats] of [["sent", s.sent], ["received", s.received]] as const) {
    let total = 0;
    for (const t of MESSAGE_TYPES) {
      const v = stats.get(t) ?? 0;
      total += v;
      if (v) lines.push(`cluster_stats_messages_${t}_${dir}:${v}`);
    }
    lines.push(`cluster_stats_messages_${dir}:${total}`);
  }
  lines.push("total_cluster_links_buffer_limit_exceeded:0");
  return lines.join("\r\n") + "\r\n";
}

/** A replica reports its master's epoch, as Redis's cluster_my_epoch. */
function myEpoch(cl: Cluster): number {
  const me = cl.myself;
  if (me.has(NF.slave) && me.masterId) return cl.state.lookup(me.masterId)?.configEpoch ?? 0;
  return me.configEpoch;
}

export function replicasOf(cl: Cluster, master: ClusterNode): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const n of cl.state.nodes.values()) {
    if (n.masterId === master.id && n.has(NF.slave)) out.push(n);
  }
  return out;
}

/** The node entry of CLUSTER SLOTS: ip, port, id, and a map of extra endpoints (hostname). */
function slotNode(r: Ctx["reply"], n: ClusterNode): void {
  r.array(4);
  r.bulkStr(n.ip);
  r.int(n.port);
  r.bulkStr(n.id);
  if (n.hostname) {
    r.map(1);
    r.bulkStr("hostname");
    r.bulkStr(n.hostname);
  } else r.map(0);
}

export function replySlots(ctx: Ctx, cl: Cluster): void {
  const s = cl.state;
  const ranges: [number, number, ClusterNode][] = [];
  let start = -1;
  for (let i = 0; i <= SLOTS; i++) {
    const n = i < SLOTS ? s.owners[i] : undefined;
    if (start >= 0 && (i === SLOTS || n !== s.owners[start])) {
      ranges.push([start, i - 1, s.owners[start]!]);
      start = -1;
    }
    if (n && start < 0) start = i;
  }
  const r = ctx.reply;
  r.array(ranges.length);
  // Replicas are not listed: without replication (not implemented yet) they hold no data, and
  // clients reading from replicas would get empty answers.
  for (const [a, b, n] of ranges) {
    r.array(3);
    r.int(a);
    r.int(b);
    slotNode(r, n);
  }
}

/** A replica never finishes its initial sync (no replication yet): Redis calls that "loading". */
function health(n: ClusterNode): string {
  return n.has(NF.fail) ? "failed" : n.has(NF.slave) ? "loading" : "online";
}

function shardNode(r: Ctx["reply"], n: ClusterNode): void {
  const fields = n.hostname ? 8 : 7;
  r.map(fields);
  r.bulkStr("id");
  r.bulkStr(n.id);
  r.bulkStr("port");
  r.int(n.port);
  r.bulkStr("ip");
  r.bulkStr(n.ip);
  r.bulkStr("endpoint");
  r.bulkStr(n.ip);
  if (n.hostname) {
    r.bulkStr("hostname");
    r.bulkStr(n.hostname);
  }
  r.bulkStr("role");
  r.bulkStr(n.has(NF.slave) ? "replica" : "master");
  r.bulkStr("replication-offset");
  r.int(0);
  r.bulkStr("health");
  r.bulkStr(health(n));
}

export function replyShards(ctx: Ctx, cl: Cluster): void {
  const masters = [...cl.state.nodes.values()].filter((n) => n.isMaster && !n.has(NF.handshake));
  const r = ctx.reply;
  r.array(masters.length);
  for (const m of masters) {
    const ranges = slotRanges((i) => m.slots.has(i));
    const reps = replicasOf(cl, m);
    r.map(2);
    r.bulkStr("slots");
    r.array(ranges.length * 2);
    for (const [a, b] of ranges) {
      r.int(a);
      r.int(b);
    }
    r.bulkStr("nodes");
    r.array(1 + reps.length);
    shardNode(r, m);
    for (const x of reps) shardNode(r, x);
  }
}

export function replyLinks(ctx: Ctx, cl: Cluster): void {
  const r = ctx.reply;
  const rows: [string, string, number, number][] = [];
  for (const n of cl.state.nodes.values()) {
    if (n.link) rows.push(["to", n.id, n.link.createdAt, n.link.pending()]);
    if (n.inbound) rows.push(["from", n.id, n.inbound.createdAt, n.inbound.pending()]);
  }
  r.array(rows.length);
  for (const [dir, id, created, pending] of rows) {
    r.map(6);
    r.bulkStr("direction");
    r.bulkStr(dir);
    r.bulkStr("node");
    r.bulkStr(id);
    r.bulkStr("create-time");
    r.int(created);
    r.bulkStr("events");
    r.bulkStr(pending > 0 ? "rw" : "r");
    r.bulkStr("send-buffer-allocated");
    r.int(pending);
    r.bulkStr("send-buffer-used");
    r.int(pending);
  }
}
