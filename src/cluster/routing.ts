// Which node serves a command (Redis's getNodeByQuery + clusterRedirectClient): the slots of its
// keys, found from the command table's key positions, decide between running here, -MOVED,
// -ASK (slot being migrated), -TRYAGAIN, -CROSSSLOT and -CLUSTERDOWN. Writes to keys that a
// MIGRATE is moving right now wait until the batch lands, so no write is lost.

import type { Client } from "../server/client.ts";
import { type Command, F } from "../commands/table.ts";
import { keyArgs } from "./key_args.ts";
import { toKey } from "../util/bytes.ts";
import type { Cluster } from "./cluster.ts";
import type { ClusterNode } from "./state.ts";
import { slotOf } from "./slots.ts";
import { migrationLocks } from "./migrate.ts";

const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
const TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot";
const DOWN = "CLUSTERDOWN The cluster is down";
const DOWN_RO = "CLUSTERDOWN The cluster is down and only accepts read commands";
const UNBOUND = "CLUSTERDOWN Hash slot not served";

/** Shard pub/sub (SSUBSCRIBE SUNSUBSCRIBE SPUBLISH): pub/sub commands whose channels are keys. */
const isShardPubsub = (cmd: Command) => (cmd.flags & F.pubsub) !== 0 && cmd.keySpecs.length > 0;

/** Commands flagged `asking` (RESTORE-ASKING) act as if ASKING was sent first. */
const askingFlag = new WeakMap<Command, boolean>();
function hasAskingFlag(cmd: Command): boolean {
  let v = askingFlag.get(cmd);
  if (v === undefined) askingFlag.set(cmd, v = cmd.flagNames.includes("asking"));
  return v;
}

/** What the key walk found: the slot, its owner, and the migration facts that matter. */
class Walk {
  slot = -1;
  owner: ClusterNode | undefined = undefined;
  first: Uint8Array | undefined = undefined;
  multipleKeys = false;
  missing = 0;
  migrating = false;
  importing = false;
  error: string | undefined = undefined;

  reset(): this {
    this.slot = -1;
    this.owner = this.first = this.error = undefined;
    this.multipleKeys = this.migrating = this.importing = false;
    this.missing = 0;
    return this;
  }
}

/** One walk at a time (routing is synchronous): reused, so the hot path allocates nothing. */
const scratch = new Walk();

function visitKey(cl: Cluster, w: Walk, key: Uint8Array): boolean {
  const s = cl.state;
  const slot = slotOf(key);
  if (w.first === undefined) {
    w.first = key;
    w.slot = slot;
    w.owner = s.owners[slot];
    if (w.owner === undefined) {
      w.error = UNBOUND;
      return false;
    }
    if (w.owner === s.myself && s.migratingTo[slot]) w.migrating = true;
    else if (s.importingFrom[slot]) w.importing = true;
  } else if (slot !== w.slot) {
    w.error = CROSSSLOT;
    return false;
  } else if (!w.multipleKeys && !sameBytes(key, w.first)) w.multipleKeys = true;
  if ((w.migrating || w.importing) && cl.server.dbs[0].get(toKey(key), false) === undefined) {
    w.missing++;
  }
  return true;
}

function walkKeys(cl: Cluster, w: Walk, cmd: Command, args: Uint8Array[]): void {
  if (cmd.flags & F.movablekeys) {
    for (const pos of keyArgs(cmd, args)) if (!visitKey(cl, w, args[pos])) return;
    return;
  }
  if (cmd.firstKey <= 0) return;
  const last = cmd.lastKey < 0 ? args.length + cmd.lastKey : cmd.lastKey;
  const step = cmd.step > 0 ? cmd.step : 1;
  for (let i = cmd.firstKey; i <= last && i < args.length; i += step) {
    if (!visitKey(cl, w, args[i])) return;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Installs the dispatcher hook: runs before every command of a client with a connection. */
export function installRouting(cl: Cluster): void {
  cl.server.keyGate = (c, cmd, args) => route(cl, c, cmd, args);
}

/**
 * True when the command may run here. Otherwise it either answered with a redirection or error
 * (the client stays unblocked) or parked the client until a migration batch lands (blocked).
 */
function route(cl: Cluster, c: Client, cmd: Command, args: Uint8Array[]): boolean {
  const name = cmd.fullName;
  // ASKING is good for one command, or for a whole transaction it precedes.
  let asking = false;
  if (cl.asking.has(c)) {
    asking = true;
    if (name !== "multi" && (!c.multi || name === "exec" || name === "discard")) {
      cl.asking.delete(c);
    }
  }
  if (!c.conn || c.loader) return true;
  const isExec = name === "exec";
  if (
    isExec ? !c.multi || c.multiError : cmd.keySpecs.length === 0 && !(cmd.flags & F.movablekeys)
  ) {
    return true;
  }
  const w = scratch.reset();
  let isWrite = (cmd.flags & F.write) !== 0;
  if (isExec) {
    for (const q of c.multi!) {
      if (q.cmd.flags & F.write) isWrite = true;
      walkKeys(cl, w, q.cmd, q.args);
      if (w.error) break;
    }
  } else walkKeys(cl, w, cmd, args);
  const s = cl.state;
  const me = s.myself;
  if (w.error) return redirect(cl, c, cmd, w.error);
  if (w.owner === undefined) return true; // no keys: any node serves it
  if (s.health !== "ok") {
    const cfg = cl.server.config;
    if (isShardPubsub(cmd)) {
      if (!cfg.bool("cluster-allow-pubsubshard-when-down")) return redirect(cl, c, cmd, DOWN);
    } else if (!cfg.bool("cluster-allow-reads-when-down")) return redirect(cl, c, cmd, DOWN);
    else if (isWrite) return redirect(cl, c, cmd, DOWN_RO);
  }
  if ((w.migrating || w.importing) && name === "migrate") return true;
  if (w.migrating && w.missing > 0) {
    const to = s.migratingTo[w.slot]!;
    return redirect(cl, c, cmd, `ASK ${w.slot} ${to.ip}:${to.port}`);
  }
  if (w.importing && (asking || hasAskingFlag(cmd))) {
    if (w.multipleKeys && w.missing > 0) return redirect(cl, c, cmd, TRYAGAIN);
    return admitLocked(cl, c, isWrite && !(c.multi && !isExec), cmd, args);
  }
  // Redis lets a READONLY client read from a replica of the slot's master; Reredis replicas hold
  // no data yet (no replication), so such reads are redirected to the master instead.
  if (w.owner !== me) {
    return redirect(cl, c, cmd, `MOVED ${w.slot} ${w.owner.ip}:${w.owner.port}`);
  }
  return admitLocked(cl, c, isWrite && !(c.multi && !isExec), cmd, args);
}

/** A write to a key a MIGRATE is sending right now waits (`isWrite` is false for queued ones). */
function admitLocked(
  cl: Cluster,
  c: Client,
  isWrite: boolean,
  cmd: Command,
  args: Uint8Array[],
): boolean {
  const locks = migrationLocks(cl.server);
  if (!isWrite || locks.size === 0) return true;
  const lines = cmd.fullName === "exec" ? c.multi ?? [] : [{ cmd, args }];
  for (const q of lines) {
    for (const pos of keyArgs(q.cmd, q.args)) {
      if (locks.has(toKey(q.args[pos]))) {
        locks.park(c);
        return false;
      }
    }
  }
  return true;
}

function redirect(cl: Cluster, c: Client, cmd: Command, msg: string): false {
  cmd.stats.rejected++;
  if (cmd.fullName === "exec") {
    c.multi = undefined;
    c.multiError = false;
    cl.server.unwatchAll(c);
  } else if (c.multi) c.multiError = true;
  c.reply.error(msg);
  return false;
}
