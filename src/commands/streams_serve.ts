// Serving stream readers: delivering new entries to a consumer group (PEL + propagation), a
// consumer's history, and a blocked reader run again after one of its keys changed — which follows
// blocked.c's serveClientsBlockedOnStreamKey rather than the first call's rules.

import type { Ctx } from "../server/client.ts";
import { Stream } from "../store/stream.ts";
import { ID_MAX, ID_ZERO, idBytes, type StreamId } from "../store/stream_id.ts";
import { Consumer, type ConsumerGroup } from "../store/stream_groups.ts";
import { toKey } from "../util/bytes.ts";
import {
  advanceGroup,
  collectRange,
  idArg,
  propagateGroupId,
  propagateXclaim,
  quietEvent,
  replyEntry,
  replyId,
  replyRange,
} from "./streams_common.ts";
import type { ReadArgs } from "./streams_read.ts";

/** XREAD_BLOCKED_DEFAULT_COUNT: what a woken reader gets without COUNT. */
const BLOCKED_DEFAULT_COUNT = 1000;

/** The group consumer, created (with Redis's side effects) when missing; its seen-time refreshed. */
export function consumerFor(
  ctx: Ctx,
  key: string,
  keyArg: Uint8Array,
  g: ConsumerGroup,
  r: ReadArgs,
  now: number,
): Consumer {
  const name = toKey(r.consumer!);
  let c = g.consumers.get(name);
  if (!c) {
    c = new Consumer(name, now);
    g.consumers.set(name, c);
    quietEvent(ctx, key, "xgroup-createconsumer");
    if (r.noack) ctx.propagate(["XGROUP", "CREATECONSUMER", keyArg, r.group!, r.consumer!]);
  }
  c.seenTime = now;
  return c;
}

/**
 * streamReplyWithRange with a group: new entries after the group's last id, each recorded in the
 * PEL (unless NOACK) and propagated as XCLAIM; a NOACK read propagates XGROUP SETID instead.
 */
export function deliverNew(
  ctx: Ctx,
  s: Stream,
  keyArg: Uint8Array,
  g: ConsumerGroup,
  c: Consumer,
  r: ReadArgs,
  count: number,
  now: number,
): void {
  const start = g.lastId.next() ?? ID_ZERO;
  const { nodes, idx } = collectRange(s, start, ID_MAX, false, count);
  ctx.reply.array(idx.length);
  let movedLast = false;
  for (let k = 0; k < idx.length; k++) {
    const node = nodes[k];
    const id = node.idAt(idx[k]);
    if (id.compare(g.lastId) > 0) {
      advanceGroup(s, g, id);
      if (r.noack) movedLast = true;
    }
    const idText = idBytes(id);
    replyEntry(ctx, node, idx[k], idText);
    if (r.noack) continue;
    let nack = g.pel.get(id);
    if (!nack) {
      nack = { deliveryTime: now, deliveryCount: 1, consumer: c };
      g.pel.set(id, nack);
    } else {
      nack.consumer?.pel.delete(id);
      nack.consumer = c;
      nack.deliveryTime = now;
      nack.deliveryCount = 1;
    }
    c.pel.set(id, nack);
    propagateXclaim(ctx, keyArg, g, r.group!, idText, nack, g.lastId === id ? idText : undefined);
  }
  if (movedLast) propagateGroupId(ctx, keyArg, g, r.group!);
}

/** streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries after `after`. */
export function replyHistory(
  ctx: Ctx,
  s: Stream,
  c: Consumer,
  after: StreamId,
  count: number,
): void {
  const start = after.next() ?? ID_ZERO;
  const picked: [StreamId, { deliveryTime: number; deliveryCount: number }][] = [];
  for (const e of c.pel.entries(start)) {
    if (count && picked.length >= count) break;
    picked.push(e);
  }
  ctx.reply.array(picked.length);
  const now = Date.now();
  for (const [id, nack] of picked) {
    const ref = s.find(id);
    if (ref) {
      replyEntry(ctx, ref.node, ref.i);
      nack.deliveryTime = now;
      nack.deliveryCount++;
    } else {
      ctx.reply.array(2);
      replyId(ctx, id);
      ctx.reply.nilArray();
    }
  }
}

/** The reply's per-stream header: [key, …] pairs in RESP2, a map in RESP3. */
export function replyHeader(ctx: Ctx, n: number): void {
  if (ctx.reply.proto === 2) ctx.reply.array(n);
  else ctx.reply.map(n);
}

export function replyStreamKey(ctx: Ctx, keyArg: Uint8Array): void {
  if (ctx.reply.proto === 2) ctx.reply.array(2);
  ctx.reply.bulk(keyArg);
}

/**
 * A blocked reader run again after one of its keys changed (serveClientsBlockedOnStreamKey): it
 * is answered for one stream only. Redis serves it from the first "ready" key, ready keys being
 * ordered by when they were written; among the streams that can serve it, the one whose last
 * append is the oldest is that key (exact unless one stream got several appends around another's
 * in the same transaction). Group readers fail when their key or group went away.
 */
export function serveWoken(ctx: Ctx, args: Uint8Array[], r: ReadArgs): void {
  const { streamsArg, n } = r;
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(toKey(args[streamsArg + i]));
  const groupName = r.group ? toKey(r.group) : "";
  let best = -1;
  let bestStream: Stream | undefined;
  let bestAfter: StreamId | undefined;
  let bestGroup: ConsumerGroup | undefined;
  for (let i = 0; i < n; i++) {
    const v = ctx.db.get(keys[i]);
    let after: StreamId | undefined;
    let g: ConsumerGroup | undefined;
    if (r.xreadgroup) {
      if (!(v instanceof Stream)) {
        ctx.reply.error("UNBLOCKED the stream key no longer exists");
        return;
      }
      g = v.groups?.get(groupName);
      if (!g) {
        ctx.reply.error("NOGROUP the consumer group this client was blocked on no longer exists");
        return;
      }
      after = g.lastId;
    } else {
      if (!(v instanceof Stream)) continue;
      after = idArg(ctx, args[streamsArg + n + i], "zero", true);
      if (!after) return;
    }
    if (v.lastId.compare(after) <= 0) continue;
    if (!bestStream || v.appendSeq < bestStream.appendSeq) {
      [best, bestStream, bestAfter, bestGroup] = [i, v, after, g];
    }
  }
  if (!bestStream) {
    ctx.block(keys, r.timeout ?? 0);
    return;
  }
  const count = r.count || BLOCKED_DEFAULT_COUNT;
  const keyArg = args[streamsArg + best];
  if (bestGroup) {
    const now = Date.now();
    const consumer = consumerFor(ctx, keys[best], keyArg, bestGroup, r, now);
    replyHeader(ctx, 1);
    replyStreamKey(ctx, keyArg);
    deliverNew(ctx, bestStream, keyArg, bestGroup, consumer, r, count, now);
    return;
  }
  replyHeader(ctx, 1);
  replyStreamKey(ctx, keyArg);
  replyRange(ctx, bestStream, bestAfter!.next() ?? ID_ZERO, ID_MAX, false, count);
}
