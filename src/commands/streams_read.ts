// XREAD and XREADGROUP (t_stream.c xreadCommand, blocked.c serveClientsBlockedOnStreamKey).
//
// Blocking reuses src/server/blocking.ts: the command blocks on its keys and is run again when one
// changes. Before blocking, XREAD's `$` ids are rewritten to the ids they meant at block time (as
// Redis rewrites its argv), so the re-run does not re-resolve them. A re-run (a "woken" client)
// follows Redis's serving rules rather than the first call's: it answers for one stream only, with
// COUNT defaulting to 1000, and XREADGROUP fails when its key or group disappeared meanwhile.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { Stream } from "../store/stream.ts";
import { ID_MAX, ID_ZERO, idBytes, type StreamId } from "../store/stream_id.ts";
import { Consumer, type ConsumerGroup } from "../store/stream_groups.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { lookupRead } from "./keys_lookup.ts";
import {
  advanceGroup,
  ascii,
  collectRange,
  cstr,
  idArg,
  int64Arg,
  propagateGroupId,
  propagateXclaim,
  quietEvent,
  replyEntry,
  replyId,
  replyRange,
  SYNTAX,
  WRONGTYPE,
} from "./streams_common.ts";

/** XREAD_BLOCKED_DEFAULT_COUNT: what a woken reader gets without COUNT. */
const BLOCKED_DEFAULT_COUNT = 1000;
/** setTimeout's limit; longer waits are treated as forever (> 24 days). */
const MAX_TIMER_MS = 2147483647;

interface ReadArgs {
  xreadgroup: boolean;
  count: number;
  /** Block timeout in ms (0 = forever), undefined without BLOCK. */
  timeout: number | undefined;
  noack: boolean;
  group: Uint8Array | undefined;
  consumer: Uint8Array | undefined;
  streamsArg: number;
  n: number;
}

/** getTimeoutFromObjectOrReply(…, UNIT_MILLISECONDS), relative. */
function blockTimeout(ctx: Ctx, b: Uint8Array): number | undefined {
  const v = parseInt64(b);
  if (v === undefined) {
    ctx.reply.error("ERR timeout is not an integer or out of range");
    return undefined;
  }
  if (v < 0) {
    ctx.reply.error("ERR timeout is negative");
    return undefined;
  }
  if (v > 0 && BigInt(v) > 9223372036854775807n - BigInt(Date.now())) {
    ctx.reply.error("ERR timeout is out of range");
    return undefined;
  }
  const ms = Number(v);
  return ms > MAX_TIMER_MS ? 0 : ms;
}

function parseRead(ctx: Ctx, args: Uint8Array[]): ReadArgs | undefined {
  const r: ReadArgs = {
    xreadgroup: args[0].length === 10,
    count: 0,
    timeout: undefined,
    noack: false,
    group: undefined,
    consumer: undefined,
    streamsArg: 0,
    n: 0,
  };
  for (let i = 1; i < args.length; i++) {
    const more = args.length - i - 1;
    const o = args[i];
    if (eqi(o, "block") && more) {
      r.timeout = blockTimeout(ctx, args[++i]);
      if (r.timeout === undefined) return undefined;
    } else if (eqi(o, "count") && more) {
      const v = int64Arg(ctx, args[++i]);
      if (v === undefined) return undefined;
      r.count = v < 0 ? 0 : v;
    } else if (eqi(o, "streams") && more) {
      r.streamsArg = i + 1;
      const rest = args.length - r.streamsArg;
      if (rest % 2 !== 0) {
        // Redis 7.0.15 names XREAD and '$' here for XREADGROUP too.
        ctx.reply.error(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
        return undefined;
      }
      r.n = rest / 2;
      break;
    } else if (eqi(o, "group") && more >= 2) {
      if (!r.xreadgroup) {
        ctx.reply.error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return undefined;
      }
      r.group = args[i + 1];
      r.consumer = args[i + 2];
      i += 2;
    } else if (eqi(o, "noack")) {
      if (!r.xreadgroup) {
        ctx.reply.error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return undefined;
      }
      r.noack = true;
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  if (r.streamsArg === 0) {
    ctx.reply.error(SYNTAX);
    return undefined;
  }
  if (r.xreadgroup && !r.group) {
    ctx.reply.error("ERR Missing GROUP option for XREADGROUP");
    return undefined;
  }
  return r;
}

const isWord = (b: Uint8Array, c: number) => b.length === 1 && b[0] === c;

/** The group consumer, created (with Redis's side effects) when missing; its seen-time refreshed. */
function consumerFor(
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
function deliverNew(
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
function replyHistory(ctx: Ctx, s: Stream, c: Consumer, after: StreamId, count: number): void {
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
function replyHeader(ctx: Ctx, n: number): void {
  if (ctx.reply.proto === 2) ctx.reply.array(n);
  else ctx.reply.map(n);
}

function replyStreamKey(ctx: Ctx, keyArg: Uint8Array): void {
  if (ctx.reply.proto === 2) ctx.reply.array(2);
  ctx.reply.bulk(keyArg);
}

function xread(ctx: Ctx, args: Uint8Array[]): void {
  const r = parseRead(ctx, args);
  if (!r) return;
  if (ctx.server.blocking.isWaiting(ctx)) return serveWoken(ctx, args, r);
  const { streamsArg, n } = r;
  const keys: string[] = [];
  const streams: (Stream | undefined)[] = [];
  const groups: ConsumerGroup[] = [];
  /** The id to read after; undefined is XREADGROUP's ">". */
  const after: (StreamId | undefined)[] = [];
  const groupName = r.group ? toKey(r.group) : "";
  for (let i = 0; i < n; i++) {
    const key = toKey(args[streamsArg + i]);
    const v = lookupRead(ctx, key);
    if (v !== undefined && !(v instanceof Stream)) {
      ctx.reply.error(WRONGTYPE);
      return;
    }
    if (r.xreadgroup) {
      const g = v?.groups?.get(groupName);
      if (!g) {
        ctx.reply.error(
          `NOGROUP No such key '${cstr(key)}' or consumer group '${
            cstr(groupName)
          }' in XREADGROUP with GROUP option`,
        );
        return;
      }
      groups.push(g);
    }
    keys.push(key);
    streams.push(v);
    const idb = args[streamsArg + n + i];
    if (isWord(idb, 36)) {
      if (r.xreadgroup) {
        ctx.reply.error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
        return;
      }
      after.push(v ? v.lastId : ID_ZERO);
    } else if (isWord(idb, 62)) {
      if (!r.xreadgroup) {
        ctx.reply.error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
        return;
      }
      after.push(undefined);
    } else {
      const id = idArg(ctx, idb, "zero", true);
      if (!id) return;
      // Redis marks ">" with the maximal id: passing that id reads new entries too.
      after.push(r.xreadgroup && id.isMax() ? undefined : id);
    }
  }

  // Decide which streams can be served now.
  const now = Date.now();
  const served: { i: number; history: boolean; consumer?: Consumer }[] = [];
  for (let i = 0; i < n; i++) {
    // Redis looks each key up again here (a second hit or miss, a second keymiss event).
    const s = lookupRead(ctx, keys[i]) as Stream | undefined;
    if (!s) continue;
    streams[i] = s;
    if (r.xreadgroup) {
      const g = groups[i];
      let serve = false;
      const history = after[i] !== undefined;
      if (history) serve = true;
      else if (s.length > 0 && s.lastLiveId()!.compare(g.lastId) > 0) serve = true;
      // Redis 7.0 creates the consumer only when it serves it (not when it blocks).
      if (serve) {
        served.push({
          i,
          history,
          consumer: consumerFor(ctx, keys[i], args[streamsArg + i], g, r, now),
        });
      }
    } else if (s.length > 0 && s.lastLiveId()!.compare(after[i]!) > 0) {
      served.push({ i, history: false });
    }
  }
  if (served.length > 0) {
    replyHeader(ctx, served.length);
    for (const { i, history, consumer } of served) {
      const s = streams[i]!;
      replyStreamKey(ctx, args[streamsArg + i]);
      if (!r.xreadgroup) {
        replyRange(ctx, s, after[i]!.next() ?? ID_ZERO, ID_MAX, false, r.count);
      } else if (history) replyHistory(ctx, s, consumer!, after[i]!, r.count);
      else deliverNew(ctx, s, args[streamsArg + i], groups[i], consumer!, r, r.count, now);
    }
    return;
  }
  if (r.timeout === undefined) {
    ctx.reply.nilArray();
    return;
  }
  // Resolve `$` now: the re-run must wait for entries after what was last at block time.
  if (!r.xreadgroup && ctx.current) {
    let rewritten: Uint8Array[] | undefined;
    for (let i = 0; i < n; i++) {
      if (!isWord(args[streamsArg + n + i], 36)) continue;
      rewritten ??= [...args];
      rewritten[streamsArg + n + i] = ascii(after[i]!.toString());
    }
    if (rewritten) ctx.current = { cmd: ctx.current.cmd, args: rewritten };
  }
  if (!ctx.block(keys, r.timeout)) ctx.reply.nilArray();
}

/** A blocked reader run again after one of its keys changed (serveClientsBlockedOnStreamKey). */
function serveWoken(ctx: Ctx, args: Uint8Array[], r: ReadArgs): void {
  const { streamsArg, n } = r;
  const count = r.count || BLOCKED_DEFAULT_COUNT;
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(toKey(args[streamsArg + i]));
  const groupName = r.group ? toKey(r.group) : "";
  for (let i = 0; i < n; i++) {
    const v = ctx.db.get(keys[i]);
    const keyArg = args[streamsArg + i];
    if (r.xreadgroup) {
      if (!(v instanceof Stream)) {
        ctx.reply.error("UNBLOCKED the stream key no longer exists");
        return;
      }
      const g = v.groups?.get(groupName);
      if (!g) {
        ctx.reply.error("NOGROUP the consumer group this client was blocked on no longer exists");
        return;
      }
      if (v.lastId.compare(g.lastId) <= 0) continue;
      const now = Date.now();
      const consumer = consumerFor(ctx, keys[i], keyArg, g, r, now);
      replyHeader(ctx, 1);
      replyStreamKey(ctx, keyArg);
      deliverNew(ctx, v, keyArg, g, consumer, r, count, now);
      return;
    }
    if (!(v instanceof Stream)) continue;
    const after = idArg(ctx, args[streamsArg + n + i], "zero", true);
    if (!after) return;
    if (v.lastId.compare(after) <= 0) continue;
    replyHeader(ctx, 1);
    replyStreamKey(ctx, keyArg);
    replyRange(ctx, v, after.next() ?? ID_ZERO, ID_MAX, false, count);
    return;
  }
  ctx.block(keys, r.timeout ?? 0);
}

export const streamReadCommands: CommandDef[] = [
  { name: "xread", run: xread },
  { name: "xreadgroup", run: xread },
];
