// CLUSTER subcommands that change which node owns which slot: ADDSLOTS, DELSLOTS and their RANGE
// forms, FLUSHSLOTS, SETSLOT (IMPORTING MIGRATING STABLE NODE), with Redis 7.0's checks and errors.

import type { Ctx } from "../server/client.ts";
import type { Cluster } from "./cluster.ts";
import { SLOTS } from "./slots.ts";
import { type ClusterNode, NF } from "./state.ts";
import { eqi } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

export const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** getSlotOrReply. */
export function slotArg(ctx: Ctx, b: Uint8Array): number | undefined {
  const v = parseInt64(b);
  if (v === undefined || v < 0 || v >= SLOTS) {
    ctx.reply.error("ERR Invalid or out of range slot");
    return undefined;
  }
  return Number(v);
}

export function nodeArg(cl: Cluster, b: Uint8Array): ClusterNode | undefined {
  const id = text(b);
  return id.length === 40 ? cl.state.lookup(id) : undefined;
}

/** ADDSLOTS / DELSLOTS / their RANGE forms: check everything first, then apply (all or nothing). */
export function changeSlots(
  ctx: Ctx,
  args: Uint8Array[],
  cl: Cluster,
  del: boolean,
  range: boolean,
) {
  if (range && args.length % 2 === 1) {
    return ctx.reply.error(
      `ERR wrong number of arguments for 'cluster|${
        del ? "delslotsrange" : "addslotsrange"
      }' command`,
    );
  }
  const s = cl.state;
  const seen = new Uint8Array(SLOTS);
  const check = (a: number, b: number): boolean => {
    for (let slot = a; slot <= b; slot++) {
      if (del && !s.owners[slot]) ctx.reply.error(`ERR Slot ${slot} is already unassigned`);
      else if (!del && s.owners[slot]) ctx.reply.error(`ERR Slot ${slot} is already busy`);
      else if (seen[slot]++ === 1) ctx.reply.error(`ERR Slot ${slot} specified multiple times`);
      else continue;
      return false;
    }
    return true;
  };
  const ranges: [number, number][] = [];
  for (let j = 2; j < args.length; j += range ? 2 : 1) {
    const a = slotArg(ctx, args[j]);
    if (a === undefined) return;
    const b = range ? slotArg(ctx, args[j + 1]) : a;
    if (b === undefined) return;
    if (a > b) {
      return ctx.reply.error(`ERR start slot number ${a} is greater than end slot number ${b}`);
    }
    if (!check(a, b)) return;
    ranges.push([a, b]);
  }
  for (const [a, b] of ranges) {
    for (let slot = a; slot <= b; slot++) {
      if (del) s.delSlot(slot);
      else {
        if (s.importingFrom[slot]) s.setImporting(slot, undefined); // now the real owner
        s.addSlot(s.myself, slot);
      }
    }
  }
  cl.configChanged();
  ctx.reply.ok();
}

export function flushslots(ctx: Ctx, _a: Uint8Array[], cl: Cluster): void {
  if (ctx.server.dbs[0].size !== 0) {
    return ctx.reply.error("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.");
  }
  const s = cl.state;
  for (let i = 0; i < SLOTS; i++) if (s.owners[i] === s.myself) s.delSlot(i);
  cl.configChanged();
  ctx.reply.ok();
}

export function setslot(ctx: Ctx, args: Uint8Array[], cl: Cluster): void {
  const s = cl.state;
  const me = s.myself;
  if (me.has(NF.slave)) return ctx.reply.error("ERR Please use SETSLOT only with masters.");
  const slot = slotArg(ctx, args[2]);
  if (slot === undefined) return;
  const action = args[3];
  const five = args.length === 5;
  if (eqi(action, "migrating") && five) {
    if (s.owners[slot] !== me) return ctx.reply.error(`ERR I'm not the owner of hash slot ${slot}`);
    const n = nodeArg(cl, args[4]);
    if (!n) return ctx.reply.error(`ERR I don't know about node ${text(args[4])}`);
    if (n.has(NF.slave)) return ctx.reply.error("ERR Target node is not a master");
    s.setMigrating(slot, n);
  } else if (eqi(action, "importing") && five) {
    if (s.owners[slot] === me) {
      return ctx.reply.error(`ERR I'm already the owner of hash slot ${slot}`);
    }
    const n = nodeArg(cl, args[4]);
    if (!n) return ctx.reply.error(`ERR I don't know about node ${text(args[4])}`);
    if (n.has(NF.slave)) return ctx.reply.error("ERR Target node is not a master");
    s.setImporting(slot, n);
  } else if (eqi(action, "stable") && args.length === 4) {
    s.setImporting(slot, undefined);
    s.setMigrating(slot, undefined);
  } else if (eqi(action, "node") && five) {
    const n = nodeArg(cl, args[4]);
    if (!n) return ctx.reply.error(`ERR Unknown node ${text(args[4])}`);
    if (n.has(NF.slave)) return ctx.reply.error("ERR Target node is not a master");
    const keys = cl.keys.count(slot);
    if (s.owners[slot] === me && n !== me && keys !== 0) {
      return ctx.reply.error(
        `ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`,
      );
    }
    if (keys === 0 && s.migratingTo[slot]) s.setMigrating(slot, undefined);
    s.assign(slot, n);
    if (n === me && s.importingFrom[slot]) {
      // Manually migrated: a new epoch makes this ownership win everywhere.
      if (s.bumpEpochWithoutConsensus()) {
        ctx.server.log.warning(`configEpoch updated after importing slot ${slot}`);
      }
      s.setImporting(slot, undefined);
    }
  } else {
    return ctx.reply.error(
      "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
    );
  }
  cl.configChanged();
  ctx.reply.ok();
}
