// XCLAIM and XAUTOCLAIM (t_stream.c, Redis 7.0): ownership changes of pending entries. Both drop
// pending entries whose stream entry was deleted, create the claiming consumer only when something
// is claimed, and propagate one XCLAIM … FORCE JUSTID LASTID per entry they touch (never
// themselves: idle-time filters must not be evaluated again on replay).

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { ID_ZERO, parseStreamId, type StreamId } from "../store/stream_id.ts";
import { Consumer, type ConsumerGroup, type Nack } from "../store/stream_groups.ts";
import type { Stream } from "../store/stream.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { bytesToLatin1, parseInt64 } from "../util/numbers.ts";
import {
  cstr,
  idArg,
  int64Arg,
  intervalArg,
  propagateGroupId,
  propagateXclaim,
  quietEvent,
  replyEntryById,
  replyId,
  streamForRead,
  SYNTAX,
} from "./streams_common.ts";

/** The claiming consumer, looked up or created on first use (streamLookupConsumer + create). */
function claimer(ctx: Ctx, key: string, g: ConsumerGroup, name: string): Consumer {
  let c = g.consumers.get(name);
  if (!c) {
    c = new Consumer(name, Date.now());
    g.consumers.set(name, c);
    quietEvent(ctx, key, "xgroup-createconsumer");
  }
  c.seenTime = Date.now();
  return c;
}

/** Gives `nack` (pending entry `id`) to consumer `c`. */
function moveTo(nack: Nack, id: StreamId, c: Consumer): void {
  if (nack.consumer === c) return;
  nack.consumer?.pel.delete(id);
  c.pel.set(id, nack);
  nack.consumer = c;
}

/** Removes a pending entry whose stream entry is gone. */
function dropNack(g: ConsumerGroup, id: StreamId, nack: Nack): void {
  g.pel.delete(id);
  nack.consumer?.pel.delete(id);
}

function noGroup(ctx: Ctx, key: string, group: string): void {
  ctx.reply.error(`NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(group)}'`);
}

/**
 * XCLAIM key group consumer min-idle-time id [id …] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE]
 * [JUSTID] [LASTID id]
 */
function xclaim(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const s = streamForRead(ctx, key);
  if (s === null) return;
  const groupName = toKey(args[2]);
  const g = s?.groups?.get(groupName);
  if (!s || !g) return noGroup(ctx, key, groupName);
  let minIdle = int64Arg(ctx, args[4], "ERR Invalid min-idle-time argument for XCLAIM");
  if (minIdle === undefined) return;
  if (minIdle < 0) minIdle = 0;
  // Ids first, up to the first argument that is not one: the options follow.
  const ids: StreamId[] = [];
  const idArgs: Uint8Array[] = [];
  let j = 5;
  for (; j < args.length; j++) {
    const p = parseStreamId(args[j], "zero", true);
    if (!p) break;
    ids.push(p.id);
    idArgs.push(args[j]);
  }
  const now = Date.now();
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justid = false;
  let lastId = ID_ZERO;
  for (; j < args.length; j++) {
    const more = args.length - 1 - j;
    const o = args[j];
    if (eqi(o, "force")) force = true;
    else if (eqi(o, "justid")) justid = true;
    else if (eqi(o, "idle") && more) {
      const v = int64Arg(ctx, args[++j], "ERR Invalid IDLE option argument for XCLAIM");
      if (v === undefined) return;
      deliveryTime = now - v;
    } else if (eqi(o, "time") && more) {
      const v = int64Arg(ctx, args[++j], "ERR Invalid TIME option argument for XCLAIM");
      if (v === undefined) return;
      deliveryTime = v;
    } else if (eqi(o, "retrycount") && more) {
      const v = int64Arg(ctx, args[++j], "ERR Invalid RETRYCOUNT option argument for XCLAIM");
      if (v === undefined) return;
      retryCount = v;
    } else if (eqi(o, "lastid") && more) {
      const id = idArg(ctx, args[++j], "zero", true);
      if (!id) return;
      lastId = id;
    } else {
      ctx.reply.error(`ERR Unrecognized XCLAIM option '${cstr(bytesToLatin1(o))}'`);
      return;
    }
  }
  let movedLast = false;
  if (lastId.compare(g.lastId) > 0) {
    g.lastId = lastId;
    movedLast = true;
  }
  // An invalid delivery time (from a skewed client clock) just means "now".
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  const name = toKey(args[3]);
  let c: Consumer | undefined;
  const claimed: StreamId[] = [];
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    let nack = g.pel.get(id);
    if (!s.find(id)) {
      // The entry was deleted: forget it here and on replay.
      if (nack) {
        propagateXclaim(ctx, args[1], g, args[2], idArgs[k], nack);
        movedLast = false;
        ctx.server.wp.dirty++;
        dropNack(g, id, nack);
      }
      continue;
    }
    if (force && !nack) {
      nack = { deliveryTime: now, deliveryCount: 1, consumer: undefined };
      g.pel.set(id, nack);
    }
    if (!nack) continue;
    if (nack.consumer && minIdle && now - nack.deliveryTime < minIdle) continue;
    c ??= claimer(ctx, key, g, name);
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justid) nack.deliveryCount++;
    moveTo(nack, id, c);
    claimed.push(id);
    propagateXclaim(ctx, args[1], g, args[2], idArgs[k], nack);
    movedLast = false;
    ctx.server.wp.dirty++;
  }
  if (movedLast) {
    propagateGroupId(ctx, args[1], g, args[2]);
    ctx.server.wp.dirty++;
  }
  ctx.reply.array(claimed.length);
  for (const id of claimed) {
    if (justid) replyId(ctx, id);
    else replyEntryById(ctx, s, id);
  }
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT n] [JUSTID] */
function xautoclaim(ctx: Ctx, args: Uint8Array[]): void {
  let minIdle = int64Arg(ctx, args[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM");
  if (minIdle === undefined) return;
  if (minIdle < 0) minIdle = 0;
  const start = intervalArg(ctx, args[5], "zero", false);
  if (!start) return;
  let count = 100;
  let justid = false;
  for (let j = 6; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (eqi(args[j], "count") && more) {
      const v = parseInt64(args[j + 1]);
      // LONG_MAX / max(sizeof(streamID), attempts factor 10): the bound Redis allows.
      if (v === undefined || v < 1 || v > 576460752303423487n) {
        ctx.reply.error("ERR COUNT must be > 0");
        return;
      }
      count = Number(v);
      j++;
    } else if (eqi(args[j], "justid")) justid = true;
    else {
      ctx.reply.error(SYNTAX);
      return;
    }
  }
  const key = toKey(args[1]);
  const s = streamForRead(ctx, key);
  if (s === null) return;
  const groupName = toKey(args[2]);
  const g = s?.groups?.get(groupName);
  if (!s || !g) return noGroup(ctx, key, groupName);
  // Redis allocates COUNT stream ids up front: a COUNT past the address space (2^47 bytes) fails.
  if (count * 16 > 2 ** 47) {
    ctx.reply.error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
    return;
  }
  const result = autoclaim(ctx, s, g, args, start, count, minIdle, justid);
  const r = ctx.reply;
  r.array(3);
  replyId(ctx, result.next);
  r.array(result.claimed.length);
  for (const id of result.claimed) {
    if (justid) replyId(ctx, id);
    else replyEntryById(ctx, s, id);
  }
  r.array(result.deleted.length);
  for (const id of result.deleted) replyId(ctx, id);
}

/** The PEL walk of XAUTOCLAIM: at most count*10 entries looked at, count claimed or dropped. */
function autoclaim(
  ctx: Ctx,
  s: Stream,
  g: ConsumerGroup,
  args: Uint8Array[],
  start: StreamId,
  count: number,
  minIdle: number,
  justid: boolean,
): { next: StreamId; claimed: StreamId[]; deleted: StreamId[] } {
  const key = toKey(args[1]);
  const name = toKey(args[3]);
  let attempts = count * 10;
  const now = Date.now();
  const claimed: StreamId[] = [];
  const deleted: StreamId[] = [];
  let c: Consumer | undefined;
  let cur = g.pel.ceiling(start);
  let exhausted = false;
  while (attempts-- && count) {
    if (!cur) {
      exhausted = true;
      break;
    }
    const [id, nack] = cur;
    const after = id.next();
    if (!s.find(id)) {
      propagateXclaim(ctx, args[1], g, args[2], id.toString(), nack);
      ctx.server.wp.dirty++;
      dropNack(g, id, nack);
      deleted.push(id);
      count--;
    } else if (!minIdle || now - nack.deliveryTime >= minIdle) {
      c ??= claimer(ctx, key, g, name);
      nack.deliveryTime = now;
      if (!justid) nack.deliveryCount++;
      moveTo(nack, id, c);
      claimed.push(id);
      count--;
      propagateXclaim(ctx, args[1], g, args[2], id.toString(), nack);
      ctx.server.wp.dirty++;
    }
    cur = after ? g.pel.ceiling(after) : undefined;
  }
  // The cursor is the entry after the last one looked at (0-0 once the PEL is exhausted).
  const next = !exhausted && cur ? cur[0] : ID_ZERO;
  return { next, claimed, deleted };
}

export const streamClaimCommands: CommandDef[] = [
  { name: "xclaim", run: xclaim },
  { name: "xautoclaim", run: xautoclaim },
];
