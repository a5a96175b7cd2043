// CLUSTER and its subcommands, ASKING, READONLY, READWRITE, MIGRATE and RESTORE-ASKING, with
// Redis 7.0's replies and errors. The state they read and change lives in src/cluster/.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { isIP } from "node:net";
import { type Cluster, clusterOf } from "../cluster/cluster.ts";
import { slotOf, SLOTS } from "../cluster/slots.ts";
import { changeSlots, flushslots, nodeArg, setslot, text } from "../cluster/slot_admin.ts";
import { ClusterNode, NF, randomId } from "../cluster/state.ts";
import { BLACKLIST_MS } from "../cluster/gossip.ts";
import { validFailureReports } from "../cluster/failure.ts";
import {
  clusterInfoText,
  replicasOf,
  replyLinks,
  replyShards,
  replySlots,
} from "../cluster/replies.ts";
import { migrateCommands } from "../cluster/migrate.ts";
import { replyHelp } from "./help_reply.ts";
import { eqi } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

const DISABLED = "ERR This instance has cluster support disabled";
const NOT_INT = "ERR value is not an integer or out of range";

type ClusterHandler = (ctx: Ctx, args: Uint8Array[], cl: Cluster) => void;

/** Wraps a handler: in standalone mode every cluster command answers DISABLED. */
function withCluster(fn: ClusterHandler): (ctx: Ctx, args: Uint8Array[]) => void {
  return (ctx, args) => {
    const cl = clusterOf(ctx.server);
    if (!cl) ctx.reply.error(DISABLED);
    else fn(ctx, args, cl);
  };
}

function info(ctx: Ctx, _a: Uint8Array[], cl: Cluster): void {
  ctx.reply.verbatim(clusterInfoText(cl));
}

function nodes(ctx: Ctx, _a: Uint8Array[], cl: Cluster): void {
  ctx.reply.verbatim(cl.state.describeAll(false));
}

function keyslot(ctx: Ctx, args: Uint8Array[]): void {
  ctx.reply.int(slotOf(args[2]));
}

function countkeysinslot(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const v = parseInt64(args[2]);
  if (v === undefined) return ctx.reply.error(NOT_INT);
  if (v < 0 || v >= SLOTS) return ctx.reply.error("ERR Invalid slot");
  ctx.reply.int(cl.keys.count(Number(v)));
}

function getkeysinslot(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const slot = parseInt64(args[2]);
  const max = parseInt64(args[3]);
  if (slot === undefined || max === undefined) return ctx.reply.error(NOT_INT);
  if (slot < 0 || slot >= SLOTS || max < 0) {
    return ctx.reply.error("ERR Invalid slot or number of keys");
  }
  const keys = cl.keys.keys(Number(slot), Number(max > 1e9 ? 1e9 : max));
  ctx.reply.array(keys.length);
  for (const k of keys) ctx.reply.bulkBinary(k);
}

function meet(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const port = parseInt64(args[3]);
  if (port === undefined) {
    return ctx.reply.error(`ERR Invalid TCP base port specified: ${text(args[3])}`);
  }
  let cport: number | bigint = Number(port) + 10000;
  if (args.length === 5) {
    const v = parseInt64(args[4]);
    if (v === undefined) {
      return ctx.reply.error(`ERR Invalid TCP bus port specified: ${text(args[4])}`);
    }
    cport = v;
  }
  const ip = text(args[2]);
  if (!isIP(ip) || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) {
    return ctx.reply.error(`ERR Invalid node address specified: ${ip}:${text(args[3])}`);
  }
  const s = cl.state;
  const inProgress = [...s.nodes.values()].some((n) =>
    n.has(NF.handshake) && n.ip === ip && n.port === Number(port) && n.cport === Number(cport)
  );
  if (!inProgress) {
    const n = new ClusterNode(randomId(), NF.handshake | NF.meet);
    n.ip = ip;
    n.port = Number(port);
    n.cport = Number(cport);
    s.addNode(n);
    cl.gossip.connect(n);
  }
  ctx.reply.ok();
}

function forget(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const s = cl.state;
  const n = nodeArg(cl, args[2]);
  if (!n) return ctx.reply.error(`ERR Unknown node ${text(args[2])}`);
  if (n === s.myself) return ctx.reply.error("ERR I tried hard but I can't forget myself...");
  if (s.myself.has(NF.slave) && s.myself.masterId === n.id) {
    return ctx.reply.error("ERR Can't forget my master!");
  }
  s.blacklist.set(n.id, Date.now() + BLACKLIST_MS);
  s.delNode(n);
  cl.configChanged();
  ctx.reply.ok();
}

function reset(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  let hard = false;
  if (args.length === 3) {
    if (eqi(args[2], "hard")) hard = true;
    else if (!eqi(args[2], "soft")) return ctx.reply.error("ERR syntax error");
  }
  const s = cl.state;
  const me = s.myself;
  if (me.isMaster && ctx.server.dbs[0].size !== 0) {
    return ctx.reply.error("ERR CLUSTER RESET can't be called with master nodes containing keys");
  }
  for (const i of [...s.open]) {
    s.setMigrating(i, undefined);
    s.setImporting(i, undefined);
  }
  for (let i = 0; i < SLOTS; i++) s.delSlot(i);
  if (me.has(NF.slave)) {
    me.flags = (me.flags & ~NF.slave) | NF.master;
    me.masterId = undefined;
  }
  for (const n of [...s.nodes.values()]) if (n !== me) s.delNode(n);
  if (hard) {
    s.currentEpoch = s.lastVoteEpoch = me.configEpoch = 0;
    s.rename(me, randomId());
    ctx.server.log.notice(`Node hard reset, now I'm ${me.id}`);
  }
  cl.configChanged();
  ctx.reply.ok();
}

function saveconfig(ctx: Ctx, _a: Uint8Array[], cl: Cluster): void {
  if (cl.saveNow(true)) ctx.reply.ok();
  else ctx.reply.error("ERR error saving the cluster node config");
}

function bumpepoch(ctx: Ctx, _a: Uint8Array[], cl: Cluster): void {
  const bumped = cl.state.bumpEpochWithoutConsensus();
  if (bumped) cl.configChanged();
  ctx.reply.simple(`${bumped ? "BUMPED" : "STILL"} ${cl.myself.configEpoch}`);
}

function setConfigEpoch(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const v = parseInt64(args[2]);
  if (v === undefined) return ctx.reply.error(NOT_INT);
  const s = cl.state;
  if (v < 0) return ctx.reply.error(`ERR Invalid config epoch specified: ${v}`);
  if (s.nodes.size > 1) {
    return ctx.reply.error(
      "ERR The user can assign a config epoch only when the node does not know any other node.",
    );
  }
  if (s.myself.configEpoch !== 0) {
    return ctx.reply.error("ERR Node config epoch is already non-zero");
  }
  s.myself.configEpoch = Number(v);
  ctx.server.log.warning(`configEpoch set to ${v} via CLUSTER SET-CONFIG-EPOCH`);
  if (s.currentEpoch < Number(v)) s.currentEpoch = Number(v);
  cl.configChanged();
  ctx.reply.ok();
}

function countFailureReports(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const n = nodeArg(cl, args[2]);
  if (!n) return ctx.reply.error(`ERR Unknown node ${text(args[2])}`);
  ctx.reply.int(validFailureReports(cl, n));
}

/** Role bookkeeping only: Reredis has no replication yet, so a replica holds no data. */
function replicate(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const s = cl.state;
  const me = s.myself;
  const n = nodeArg(cl, args[2]);
  if (!n) return ctx.reply.error(`ERR Unknown node ${text(args[2])}`);
  if (n === me) return ctx.reply.error("ERR Can't replicate myself");
  if (n.has(NF.slave)) return ctx.reply.error("ERR I can only replicate a master, not a replica.");
  if (me.isMaster && (me.numSlots !== 0 || ctx.server.dbs[0].size !== 0)) {
    return ctx.reply.error(
      "ERR To set a master the node must be empty and without assigned slots.",
    );
  }
  me.flags = (me.flags & ~NF.master) | NF.slave;
  me.masterId = n.id;
  for (const i of [...s.open]) {
    s.setMigrating(i, undefined);
    s.setImporting(i, undefined);
  }
  cl.configChanged();
  ctx.reply.ok();
}

function replicas(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const n = nodeArg(cl, args[2]);
  if (!n) return ctx.reply.error(`ERR Unknown node ${text(args[2])}`);
  if (n.has(NF.slave)) return ctx.reply.error("ERR The specified node is not a master");
  const reps = replicasOf(cl, n);
  ctx.reply.array(reps.length);
  for (const x of reps) ctx.reply.bulkStr(cl.state.describe(x, false));
}

function failover(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  if (args.length === 3 && !eqi(args[2], "force") && !eqi(args[2], "takeover")) {
    return ctx.reply.error("ERR syntax error");
  }
  if (cl.myself.isMaster) {
    return ctx.reply.error("ERR You should send CLUSTER FAILOVER to a replica");
  }
  ctx.reply.error("ERR CLUSTER FAILOVER is not supported: Reredis has no replication yet");
}

const HELP = [
  "ADDSLOTS <slot> [<slot> ...]",
  "    Assign slots to current node.",
  "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
  "    Assign slots which are between <start-slot> and <end-slot> to current node.",
  "BUMPEPOCH",
  "    Advance the cluster config epoch.",
  "COUNT-FAILURE-REPORTS <node-id>",
  "    Return number of failure reports for <node-id>.",
  "COUNTKEYSINSLOT <slot>",
  "    Return the number of keys in <slot>.",
  "DELSLOTS <slot> [<slot> ...]",
  "    Delete slots information from current node.",
  "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
  "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
  "FAILOVER [FORCE|TAKEOVER]",
  "    Promote current replica node to being a master.",
  "FORGET <node-id>",
  "    Remove a node from the cluster.",
  "GETKEYSINSLOT <slot> <count>",
  "    Return key names stored by current node in a slot.",
  "FLUSHSLOTS",
  "    Delete current node own slots information.",
  "INFO",
  "    Return information about the cluster.",
  "KEYSLOT <key>",
  "    Return the hash slot for <key>.",
  "MEET <ip> <port> [<bus-port>]",
  "    Connect nodes into a working cluster.",
  "MYID",
  "    Return the node id.",
  "NODES",
  "    Return cluster configuration seen by node. Output format:",
  "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
  "REPLICATE <node-id>",
  "    Configure current node as replica to <node-id>.",
  "RESET [HARD|SOFT]",
  "    Reset current node (default: soft).",
  "SET-CONFIG-EPOCH <epoch>",
  "    Set config epoch of current node.",
  "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
  "    Set slot state.",
  "REPLICAS <node-id>",
  "    Return <node-id> replicas.",
  "SAVECONFIG",
  "    Force saving cluster configuration on disk.",
  "SLOTS",
  "    Return information about slots range mappings. Each range is made of:",
  "    start, end, master and replicas IP addresses, ports and ids",
  "SHARDS",
  "    Return information about slot range mappings and the nodes associated with them.",
  "LINKS",
  "    Return information about all network links between this node and its peers.",
  "    Output format is an array where each array element is a map containing attributes of a link",
];

const flagOnly = (set: (cl: Cluster, c: Ctx) => void) =>
  withCluster((ctx, _a, cl) => {
    set(cl, ctx);
    ctx.reply.ok();
  });

export const clusterCommands: CommandDef[] = [
  { name: "cluster|help", run: withCluster((ctx, args) => replyHelp(ctx, args, HELP)) },
  { name: "cluster|info", run: withCluster(info) },
  { name: "cluster|nodes", run: withCluster(nodes) },
  { name: "cluster|slots", run: withCluster((ctx, _a, cl) => replySlots(ctx, cl)) },
  { name: "cluster|shards", run: withCluster((ctx, _a, cl) => replyShards(ctx, cl)) },
  { name: "cluster|links", run: withCluster((ctx, _a, cl) => replyLinks(ctx, cl)) },
  { name: "cluster|myid", run: withCluster((ctx, _a, cl) => ctx.reply.bulkStr(cl.myself.id)) },
  {
    name: "cluster|myshardid",
    run: withCluster((ctx, _a, cl) => ctx.reply.bulkStr(cl.myself.shardId)),
    meta: { arity: 2, flags: ["loading", "stale"], acl: ["@slow"] },
  },
  { name: "cluster|keyslot", run: withCluster(keyslot) },
  { name: "cluster|countkeysinslot", run: withCluster(countkeysinslot) },
  { name: "cluster|getkeysinslot", run: withCluster(getkeysinslot) },
  { name: "cluster|addslots", run: withCluster((c, a, cl) => changeSlots(c, a, cl, false, false)) },
  {
    name: "cluster|addslotsrange",
    run: withCluster((c, a, cl) => changeSlots(c, a, cl, false, true)),
  },
  { name: "cluster|delslots", run: withCluster((c, a, cl) => changeSlots(c, a, cl, true, false)) },
  {
    name: "cluster|delslotsrange",
    run: withCluster((c, a, cl) => changeSlots(c, a, cl, true, true)),
  },
  { name: "cluster|flushslots", run: withCluster(flushslots) },
  { name: "cluster|setslot", run: withCluster(setslot) },
  { name: "cluster|meet", run: withCluster(meet) },
  { name: "cluster|forget", run: withCluster(forget) },
  { name: "cluster|reset", run: withCluster(reset) },
  { name: "cluster|saveconfig", run: withCluster(saveconfig) },
  { name: "cluster|bumpepoch", run: withCluster(bumpepoch) },
  { name: "cluster|set-config-epoch", run: withCluster(setConfigEpoch) },
  { name: "cluster|count-failure-reports", run: withCluster(countFailureReports) },
  { name: "cluster|replicate", run: withCluster(replicate) },
  { name: "cluster|replicas", run: withCluster(replicas) },
  { name: "cluster|slaves", run: withCluster(replicas) },
  { name: "cluster|failover", run: withCluster(failover) },
  { name: "asking", run: flagOnly((cl, c) => cl.asking.add(c)) },
  { name: "readonly", run: flagOnly((cl, c) => cl.readonlyClients.add(c)) },
  { name: "readwrite", run: flagOnly((cl, c) => cl.readonlyClients.delete(c)) },
  ...migrateCommands,
];
