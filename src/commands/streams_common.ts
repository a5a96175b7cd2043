// Helpers shared by the stream command modules: lookups, id arguments, entry replies, the
// consumer-group read counters and the XCLAIM / XGROUP SETID forms Redis propagates.

import type { Ctx } from "../server/client.ts";
import { Stream } from "../store/stream.ts";
import { idBytes, type MissingSeq, parseStreamId, type StreamId } from "../store/stream_id.ts";
import type { StreamNode } from "../store/stream_node.ts";
import { type ConsumerGroup, INVALID_ENTRIES_READ, type Nack } from "../store/stream_groups.ts";
import { addInt64, bytesToLatin1, type Int64, parseInt64 } from "../util/numbers.ts";
import { lookupRead } from "./keys_lookup.ts";
import "../store/stream_codec.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const NOT_INT = "ERR value is not an integer or out of range";
export const SYNTAX = "ERR syntax error";
export const INVALID_ID = "ERR Invalid stream ID specified as stream command argument";

/** A stream for writing: the stream, undefined when missing, null after replying WRONGTYPE. */
export function streamForWrite(ctx: Ctx, key: string): Stream | undefined | null {
  const v = ctx.db.get(key);
  if (v === undefined) return undefined;
  if (v instanceof Stream) return v;
  ctx.reply.error(WRONGTYPE);
  return null;
}

/** lookupKeyRead + checkType: counts a hit or miss like Redis. */
export function streamForRead(ctx: Ctx, key: string): Stream | undefined | null {
  const v = lookupRead(ctx, key);
  if (v === undefined) return undefined;
  if (v instanceof Stream) return v;
  ctx.reply.error(WRONGTYPE);
  return null;
}

/** getLongLongFromObjectOrReply. */
export function int64Arg(ctx: Ctx, b: Uint8Array, msg = NOT_INT): number | undefined {
  const v = parseInt64(b);
  if (v === undefined) {
    ctx.reply.error(msg);
    return undefined;
  }
  return Number(v);
}

/** A stream id argument (streamParseIDOrReply / streamParseStrictIDOrReply). */
export function idArg(
  ctx: Ctx,
  b: Uint8Array,
  missing: MissingSeq,
  strict: boolean,
): StreamId | undefined {
  const p = parseStreamId(b, missing, strict);
  if (!p) ctx.reply.error(INVALID_ID);
  return p?.id;
}

/**
 * streamParseIntervalIDOrReply plus the `(` adjustment of XRANGE/XPENDING/XAUTOCLAIM: an exclusive
 * start moves to the next id, an exclusive end to the previous one.
 */
export function intervalArg(
  ctx: Ctx,
  b: Uint8Array,
  missing: MissingSeq,
  isEnd: boolean,
): StreamId | undefined {
  const exclusive = b.length > 1 && b[0] === 40;
  const id = idArg(ctx, exclusive ? b.subarray(1) : b, missing, exclusive);
  if (!id || !exclusive) return id;
  const moved = isEnd ? id.prev() : id.next();
  if (!moved) ctx.reply.error(`ERR invalid ${isEnd ? "end" : "start"} ID for the interval`);
  return moved;
}

export function replyId(ctx: Ctx, id: StreamId): void {
  ctx.reply.bulkBinary(id.toString());
}

/** ASCII text as bytes, without TextEncoder (ids and numbers on the propagation path). */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

const W = {
  XCLAIM: ascii("XCLAIM"),
  ZERO: ascii("0"),
  TIME: ascii("TIME"),
  RETRYCOUNT: ascii("RETRYCOUNT"),
  FORCE: ascii("FORCE"),
  JUSTID: ascii("JUSTID"),
  LASTID: ascii("LASTID"),
  XGROUP: ascii("XGROUP"),
  SETID: ascii("SETID"),
  ENTRIESREAD: ascii("ENTRIESREAD"),
};

/** One entry as Redis replies it: [id, [field, value, …]]; `idText` when already formatted. */
export function replyEntry(ctx: Ctx, node: StreamNode, i: number, idText?: Uint8Array): void {
  const r = ctx.reply;
  r.array(2);
  r.bulk(idText ?? idBytes(node.idAt(i)));
  const fv = node.fieldsValues(i);
  r.array(fv.length);
  for (const b of fv) typeof b === "string" ? r.bulkBinary(b) : r.bulk(b);
}

/** Live entries in [start, end] (at most `count`, 0 = all), collected for a counted reply. */
export function collectRange(
  s: Stream,
  start: StreamId,
  end: StreamId,
  rev: boolean,
  count: number,
): { nodes: StreamNode[]; idx: number[] } {
  const nodes: StreamNode[] = [];
  const idx: number[] = [];
  s.range(start, end, rev, (n, i) => {
    nodes.push(n);
    idx.push(i);
    return count === 0 || idx.length < count;
  });
  return { nodes, idx };
}

/** streamReplyWithRange without a group: an array of entries. */
export function replyRange(
  ctx: Ctx,
  s: Stream,
  start: StreamId,
  end: StreamId,
  rev: boolean,
  count: number,
): void {
  const { nodes, idx } = collectRange(s, start, end, rev, count);
  ctx.reply.array(idx.length);
  for (let k = 0; k < idx.length; k++) replyEntry(ctx, nodes[k], idx[k]);
}

/** The entry with this id as [id, fields] (XCLAIM / XAUTOCLAIM replies); false when gone. */
export function replyEntryById(ctx: Ctx, s: Stream, id: StreamId): boolean {
  const ref = s.find(id);
  if (!ref) return false;
  replyEntry(ctx, ref.node, ref.i);
  return true;
}

// ---- consumer-group read counters (Redis 7.0's entries-read / lag bookkeeping) ----

/** streamRangeHasTombstones(s, start, +inf). */
export function hasTombstonesFrom(s: Stream, start: StreamId): boolean {
  const md = s.maxDeletedId;
  if (s.length === 0 || md.isZero()) return false;
  if (s.firstId.compare(md) > 0) return false;
  return start.compare(md) <= 0;
}

/** streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id`, or -1. */
export function estimateEntriesRead(s: Stream, id: StreamId): Int64 {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && id.compare(s.lastId) < 1) return s.entriesAdded;
  const cmpLast = id.compare(s.lastId);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return INVALID_ENTRIES_READ;
  const cmpFirst = id.compare(s.firstId);
  if (s.maxDeletedId.isZero() || s.maxDeletedId.compare(s.firstId) < 0) {
    if (cmpFirst < 0) return sub(s.entriesAdded, s.length);
    if (cmpFirst === 0) return addInt64(sub(s.entriesAdded, s.length), 1) ?? INVALID_ENTRIES_READ;
  }
  return INVALID_ENTRIES_READ;
}

function sub(a: Int64, b: number): Int64 {
  return addInt64(a, -b) ?? a;
}

/** The group's lag for XINFO (streamReplyWithCGLag); undefined when it cannot be known. */
export function groupLag(s: Stream, g: ConsumerGroup): Int64 | undefined {
  if (s.entriesAdded === 0) return 0;
  if (g.entriesRead !== INVALID_ENTRIES_READ && !hasTombstonesFrom(s, g.lastId)) {
    return addInt64(s.entriesAdded, negate(g.entriesRead));
  }
  const read = estimateEntriesRead(s, g.lastId);
  if (read === INVALID_ENTRIES_READ) return undefined;
  return addInt64(s.entriesAdded, negate(read));
}

function negate(v: Int64): Int64 {
  return typeof v === "number" ? -v : -v as bigint;
}

/** Advances a group's last-delivered id to `id` with its read counter (streamReplyWithRange). */
export function advanceGroup(s: Stream, g: ConsumerGroup, id: StreamId): void {
  if (g.entriesRead !== INVALID_ENTRIES_READ && !hasTombstonesFrom(s, id)) {
    g.entriesRead = addInt64(g.entriesRead, 1) ?? g.entriesRead;
  } else if (s.entriesAdded !== 0) {
    g.entriesRead = estimateEntriesRead(s, id);
  }
  g.lastId = id;
}

// ---- propagation forms ----

/**
 * streamPropagateXCLAIM: the idempotent XCLAIM that recreates (or, for a deleted entry, drops)
 * one pending entry on replay.
 */
export function propagateXclaim(
  ctx: Ctx,
  key: Uint8Array,
  group: ConsumerGroup,
  groupName: Uint8Array,
  id: Uint8Array | string,
  nack: Nack,
  lastIdText: Uint8Array = idBytes(group.lastId),
): void {
  ctx.propagate([
    W.XCLAIM,
    key,
    groupName,
    nack.consumer!.nameBytes,
    W.ZERO,
    typeof id === "string" ? ascii(id) : id,
    W.TIME,
    ascii(String(nack.deliveryTime)),
    W.RETRYCOUNT,
    ascii(String(nack.deliveryCount)),
    W.FORCE,
    W.JUSTID,
    W.LASTID,
    lastIdText,
  ]);
}

/** streamPropagateGroupID: XGROUP SETID with the read counter. */
export function propagateGroupId(
  ctx: Ctx,
  key: Uint8Array,
  group: ConsumerGroup,
  groupName: Uint8Array,
): void {
  ctx.propagate([
    W.XGROUP,
    W.SETID,
    key,
    groupName,
    idBytes(group.lastId),
    W.ENTRIESREAD,
    ascii(String(group.entriesRead)),
  ]);
}

/**
 * A change Redis makes without signalModifiedKey (consumer groups, XSETID): a keyspace event and
 * a dirty count, but WATCH stays valid and blocked readers are not woken.
 */
export function quietEvent(ctx: Ctx, key: string, event: string): void {
  ctx.server.wp.event(ctx.db.id, key, event, "t");
  ctx.server.wp.dirty++;
}

/** Text of a latin1 string for an error message, cut at a NUL like C's %s. */
export function cstr(s: string): string {
  const z = s.indexOf("\0");
  return z < 0 ? s : s.slice(0, z);
}

/** addReplySubcommandSyntaxError. */
export function subcommandSyntaxError(ctx: Ctx, args: Uint8Array[]): void {
  const cmd = bytesToLatin1(args[0]).toUpperCase();
  ctx.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${
      cstr(bytesToLatin1(args[1])).slice(0, 128)
    }'. Try ${cmd} HELP.`,
  );
}
