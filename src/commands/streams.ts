// Stream commands (Redis's t_stream.c): XADD XTRIM XDEL XLEN XRANGE XREVRANGE XSETID. Reading with
// blocking lives in streams_read.ts, consumer groups in streams_groups.ts, XINFO in streams_info.ts;
// `streamCommands` gathers them all for the command table.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { Stream } from "../store/stream.ts";
import { ID_ZERO, idBytes, type StreamId } from "../store/stream_id.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import {
  idArg,
  intervalArg,
  quietEvent,
  replyRange,
  streamForRead,
  streamForWrite,
  SYNTAX,
} from "./streams_common.ts";
import { nodeLimits, parseAddTrim, rewriteTrim } from "./streams_trim.ts";
import { streamReadCommands } from "./streams_read.ts";
import { streamGroupCommands } from "./streams_groups.ts";
import { streamInfoCommands } from "./streams_info.ts";

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT n]] *|id field value … */
function xadd(ctx: Ctx, args: Uint8Array[]): void {
  const p = parseAddTrim(ctx, args, true);
  if (!p) return;
  const fieldPos = p.idPos + 1;
  const n = args.length - fieldPos;
  if (n < 2 || n % 2 === 1) {
    ctx.reply.error("ERR wrong number of arguments for 'xadd' command");
    return;
  }
  if (p.idGiven && p.seqGiven && p.id.isZero()) {
    ctx.reply.error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  const key = toKey(args[1]);
  let s = streamForWrite(ctx, key);
  if (s === null) return;
  const created = s === undefined;
  if (!s) {
    if (p.noMkStream) {
      ctx.reply.nil();
      return;
    }
    s = new Stream();
  }
  const last = s.lastId;
  if (last.isMax()) {
    ctx.reply.error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  let id: StreamId | undefined;
  if (!p.idGiven) id = s.nextAutoId(Date.now());
  else if (!p.seqGiven && p.id.msHi === last.msHi && p.id.msLo === last.msLo) {
    id = last.next();
    if (id && id.seqHi === 0 && id.seqLo === 0) {
      // ms-* after ms-18446744073709551615: Redis 7.0 fails without naming the cause.
      ctx.reply.error("ERR Elements are too large to be stored");
      return;
    }
  } else id = p.id;
  if (!id || id.compare(last) <= 0) {
    ctx.reply.error(
      "ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    return;
  }
  let total = 0;
  for (let j = fieldPos; j < args.length; j++) total += args[j].length;
  if (total > 1 << 30) {
    ctx.reply.error("ERR Elements are too large to be stored");
    return;
  }
  s.append(id, args, fieldPos, n / 2, nodeLimits(ctx));
  if (created) ctx.db.set(key, s);
  const idText = idBytes(id);
  ctx.reply.bulk(idText);
  ctx.changed(key, "xadd", "t");
  let argv: (Uint8Array | string)[] | undefined;
  if (p.trim) {
    if (s.trim(p.trim)) ctx.changed(key, "xtrim", "t");
    if (p.trim.approx) rewriteTrim(argv = [...args], s, p);
  }
  if (!p.idGiven || !p.seqGiven) (argv ??= [...args])[p.idPos] = idText;
  if (argv) ctx.propagate(argv);
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT n] */
function xtrim(ctx: Ctx, args: Uint8Array[]): void {
  const p = parseAddTrim(ctx, args, false);
  if (!p) return;
  const key = toKey(args[1]);
  const s = streamForWrite(ctx, key);
  if (s === null) return;
  if (!s) {
    ctx.reply.int(0);
    return;
  }
  const deleted = s.trim(p.trim!);
  if (deleted) {
    ctx.changed(key, "xtrim", "t");
    if (p.trim!.approx) {
      const argv: (Uint8Array | string)[] = [...args];
      rewriteTrim(argv, s, p);
      ctx.propagate(argv);
    }
  }
  ctx.reply.int(deleted);
}

/** XDEL key id [id …] */
function xdel(ctx: Ctx, args: Uint8Array[]): void {
  const key = toKey(args[1]);
  const s = streamForWrite(ctx, key);
  if (s === null) return;
  if (!s) {
    ctx.reply.int(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 2; j < args.length; j++) {
    const id = idArg(ctx, args[j], "zero", true);
    if (!id) return;
    ids.push(id);
  }
  let deleted = 0;
  let firstGone = false;
  for (const id of ids) {
    if (!s.delete(id)) continue;
    if (id.equals(s.firstId)) firstGone = true;
    if (id.compare(s.maxDeletedId) > 0) s.maxDeletedId = id;
    deleted++;
  }
  if (deleted) {
    if (s.length === 0 || firstGone) s.refreshFirstId();
    ctx.changed(key, "xdel", "t");
  }
  ctx.reply.int(deleted);
}

function xlen(ctx: Ctx, args: Uint8Array[]): void {
  const s = streamForRead(ctx, toKey(args[1]));
  if (s === null) return;
  ctx.reply.int(s ? s.length : 0);
}

/** XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n] */
function xrangeGeneric(ctx: Ctx, args: Uint8Array[], rev: boolean): void {
  const start = intervalArg(ctx, rev ? args[3] : args[2], "zero", false);
  if (!start) return;
  const end = intervalArg(ctx, rev ? args[2] : args[3], "max", true);
  if (!end) return;
  let count = -1;
  for (let j = 4; j < args.length; j++) {
    if (eqi(args[j], "count") && j + 1 < args.length) {
      const v = parseInt64(args[j + 1]);
      if (v === undefined) {
        ctx.reply.error("ERR value is not an integer or out of range");
        return;
      }
      count = v < 0 ? 0 : Number(v);
      j++;
    } else {
      ctx.reply.error(SYNTAX);
      return;
    }
  }
  const s = streamForRead(ctx, toKey(args[1]));
  if (s === null) return;
  if (!s) {
    ctx.reply.emptyArray();
    return;
  }
  if (count === 0) ctx.reply.nilArray();
  else replyRange(ctx, s, start, end, rev, count === -1 ? 0 : count);
}

/** XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id] */
function xsetid(ctx: Ctx, args: Uint8Array[]): void {
  const id = idArg(ctx, args[2], "zero", true);
  if (!id) return;
  let entriesAdded: number | bigint = -1;
  let maxDel = ID_ZERO;
  for (let i = 3; i < args.length; i++) {
    const more = args.length - 1 - i;
    if (eqi(args[i], "entriesadded") && more) {
      const v = parseInt64(args[i + 1]);
      if (v === undefined) {
        ctx.reply.error("ERR value is not an integer or out of range");
        return;
      }
      if (v < 0) {
        ctx.reply.error("ERR entries_added must be positive");
        return;
      }
      entriesAdded = v;
      i++;
    } else if (eqi(args[i], "maxdeletedid") && more) {
      const m = idArg(ctx, args[i + 1], "zero", true);
      if (!m) return;
      if (id.compare(m) < 0) {
        ctx.reply.error(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
        return;
      }
      maxDel = m;
      i++;
    } else {
      ctx.reply.error(SYNTAX);
      return;
    }
  }
  const key = toKey(args[1]);
  const s = streamForWrite(ctx, key);
  if (s === null) return;
  if (!s) {
    ctx.reply.error("ERR no such key");
    return;
  }
  if (id.compare(s.maxDeletedId) < 0) {
    ctx.reply.error("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id");
    return;
  }
  if (s.length > 0) {
    if (id.compare(s.lastLiveId()!) < 0) {
      ctx.reply.error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      ctx.reply.error(
        "ERR The entries_added specified in XSETID is smaller than the target stream length",
      );
      return;
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (!maxDel.isZero()) s.maxDeletedId = maxDel;
  ctx.reply.ok();
  quietEvent(ctx, key, "xsetid");
  ctx.propagate(args);
}

export const streamCommands: CommandDef[] = [
  { name: "xadd", run: xadd },
  { name: "xtrim", run: xtrim },
  { name: "xdel", run: xdel },
  { name: "xlen", run: xlen },
  { name: "xrange", run: (c, a) => xrangeGeneric(c, a, false) },
  { name: "xrevrange", run: (c, a) => xrangeGeneric(c, a, true) },
  { name: "xsetid", run: xsetid },
  ...streamReadCommands,
  ...streamGroupCommands,
  ...streamInfoCommands,
];
