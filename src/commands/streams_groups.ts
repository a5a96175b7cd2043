// Consumer group commands (t_stream.c): XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER/
// HELP, XACK, XPENDING. XCLAIM and XAUTOCLAIM live in streams_claim.ts. Group changes are not
// key modifications in Redis (no signalModifiedKey): they raise their keyspace event and are
// propagated, but WATCH stays valid.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { Stream } from "../store/stream.ts";
import { ID_ZERO, type StreamId } from "../store/stream_id.ts";
import { Consumer, ConsumerGroup, INVALID_ENTRIES_READ } from "../store/stream_groups.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { replyHelp } from "./help_reply.ts";
import {
  cstr,
  idArg,
  int64Arg,
  intervalArg,
  quietEvent,
  replyId,
  streamForRead,
  streamForWrite,
  subcommandSyntaxError,
  SYNTAX,
} from "./streams_common.ts";
import { streamClaimCommands } from "./streams_claim.ts";

const XGROUP_HELP = [
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
];

const isDollar = (b: Uint8Array) => b.length === 1 && b[0] === 36;

/** xgroupCommand: every subcommand shares the argument checks, as in Redis. */
function xgroup(ctx: Ctx, args: Uint8Array[]): void {
  const opt = args[1];
  const argc = args.length;
  let mkstream = false;
  let entriesRead: number | bigint = INVALID_ENTRIES_READ;
  let s: Stream | undefined;
  let groupName = "";
  let key = "";
  if (argc >= 4) {
    const create = eqi(opt, "create");
    const setid = eqi(opt, "setid");
    for (let i = 5; i < argc;) {
      if (create && eqi(args[i], "mkstream")) {
        mkstream = true;
        i++;
      } else if ((create || setid) && eqi(args[i], "entriesread") && i + 1 < argc) {
        const v = parseInt64(args[i + 1]);
        if (v === undefined) {
          ctx.reply.error("ERR value is not an integer or out of range");
          return;
        }
        if (v < 0 && v !== INVALID_ENTRIES_READ) {
          ctx.reply.error("ERR value for ENTRIESREAD must be positive or -1");
          return;
        }
        entriesRead = v;
        i += 2;
      } else {
        subcommandSyntaxError(ctx, args);
        return;
      }
    }
    key = toKey(args[2]);
    const found = streamForWrite(ctx, key);
    if (found === null) return;
    s = found;
    groupName = toKey(args[3]);
  }
  let g: ConsumerGroup | undefined;
  if (argc >= 4 && !mkstream) {
    if (!s) {
      ctx.reply.error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
      return;
    }
    g = s.groups?.get(groupName);
    if (!g && (eqi(opt, "setid") || eqi(opt, "createconsumer") || eqi(opt, "delconsumer"))) {
      ctx.reply.error(
        `NOGROUP No such consumer group '${cstr(groupName)}' for key name '${cstr(key)}'`,
      );
      return;
    }
  }

  if (argc === 2 && eqi(opt, "help")) {
    replyHelp(ctx, args, XGROUP_HELP);
  } else if (eqi(opt, "create") && argc >= 5 && argc <= 8) {
    let id: StreamId | undefined;
    if (isDollar(args[4])) id = s ? s.lastId : ID_ZERO;
    else if (!(id = idArg(ctx, args[4], "zero", true))) return;
    if (!s) {
      s = new Stream();
      ctx.db.set(key, s);
      // Creating the key is a modification (WATCH); the group itself raises xgroup-create.
      ctx.server.keyChanged(ctx.db, key, "xgroup-create", "t");
    } else if (s.groups?.has(groupName)) {
      ctx.reply.error("BUSYGROUP Consumer Group name already exists");
      return;
    } else quietEvent(ctx, key, "xgroup-create");
    (s.groups ??= new Map()).set(groupName, new ConsumerGroup(id, entriesRead));
    ctx.reply.ok();
    ctx.propagate(args);
  } else if (eqi(opt, "setid") && (argc === 5 || argc === 7)) {
    let id: StreamId | undefined;
    if (isDollar(args[4])) id = s!.lastId;
    else if (!(id = idArg(ctx, args[4], "zero", false))) return;
    g!.lastId = id;
    g!.entriesRead = entriesRead;
    ctx.reply.ok();
    quietEvent(ctx, key, "xgroup-setid");
    ctx.propagate(args);
  } else if (eqi(opt, "destroy") && argc === 4) {
    if (!g) {
      ctx.reply.int(0);
      return;
    }
    s!.groups!.delete(groupName);
    ctx.reply.int(1);
    quietEvent(ctx, key, "xgroup-destroy");
    ctx.propagate(args);
    // Readers blocked on this group must learn it is gone (signalKeyAsReady).
    if (ctx.server.blocking.count !== 0) ctx.server.blocking.signal(ctx.db.id, key);
  } else if (eqi(opt, "createconsumer") && argc === 5) {
    const name = toKey(args[4]);
    if (g!.consumers.has(name)) {
      ctx.reply.int(0);
      return;
    }
    g!.consumers.set(name, new Consumer(name, Date.now()));
    ctx.reply.int(1);
    quietEvent(ctx, key, "xgroup-createconsumer");
    ctx.propagate(args);
  } else if (eqi(opt, "delconsumer") && argc === 5) {
    const c = g!.consumers.get(toKey(args[4]));
    let pending = 0;
    if (c) {
      pending = g!.deleteConsumer(c);
      quietEvent(ctx, key, "xgroup-delconsumer");
      ctx.propagate(args);
    }
    ctx.reply.int(pending);
  } else {
    subcommandSyntaxError(ctx, args);
  }
}

/** XACK key group id [id …]: all ids are parsed before any is acknowledged. */
function xack(ctx: Ctx, args: Uint8Array[]): void {
  const s = streamForRead(ctx, toKey(args[1]));
  if (s === null) return;
  const g = s?.groups?.get(toKey(args[2]));
  if (!g) {
    ctx.reply.int(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 3; j < args.length; j++) {
    const id = idArg(ctx, args[j], "zero", true);
    if (!id) return;
    ids.push(id);
  }
  let acked = 0;
  for (const id of ids) if (g.ack(id)) acked++;
  if (acked) {
    ctx.server.wp.dirty += acked;
    ctx.propagate(args);
  }
  ctx.reply.int(acked);
}

/** XPENDING key group [[IDLE min-idle] start end count [consumer]] */
function xpending(ctx: Ctx, args: Uint8Array[]): void {
  const argc = args.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    ctx.reply.error(SYNTAX);
    return;
  }
  let start = ID_ZERO, end = ID_ZERO;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | undefined;
  if (argc >= 6) {
    let at = 3;
    if (eqi(args[3], "idle")) {
      const v = int64Arg(ctx, args[4]);
      if (v === undefined) return;
      minIdle = v;
      if (argc < 8) {
        ctx.reply.error(SYNTAX);
        return;
      }
      at += 2;
    }
    const c = int64Arg(ctx, args[at + 2]);
    if (c === undefined) return;
    count = c < 0 ? 0 : c;
    const st = intervalArg(ctx, args[at], "zero", false);
    if (!st) return;
    const en = intervalArg(ctx, args[at + 1], "max", true);
    if (!en) return;
    start = st;
    end = en;
    if (at + 3 < argc) consumerName = toKey(args[at + 3]);
  }
  const key = toKey(args[1]);
  const s = streamForRead(ctx, key);
  if (s === null) return;
  const groupName = toKey(args[2]);
  const g = s?.groups?.get(groupName);
  if (!g) {
    ctx.reply.error(
      `NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(groupName)}'`,
    );
    return;
  }
  const r = ctx.reply;
  if (argc === 3) {
    r.array(4);
    r.int(g.pel.size);
    if (g.pel.size === 0) {
      r.nil();
      r.nil();
      r.nilArray();
      return;
    }
    replyId(ctx, g.pel.first()![0]);
    replyId(ctx, g.pel.last()![0]);
    const owners = g.sortedConsumers().filter((c) => c.pel.size > 0);
    r.array(owners.length);
    for (const c of owners) {
      r.array(2);
      r.bulkBinary(c.name);
      r.bulkBinary(String(c.pel.size));
    }
    return;
  }
  let pel = g.pel;
  if (consumerName !== undefined) {
    const c = g.consumers.get(consumerName);
    if (!c) {
      r.array(0);
      return;
    }
    pel = c.pel;
  }
  const now = Date.now();
  const rows: [StreamId, number, number, string][] = [];
  if (count > 0) {
    for (const [id, nack] of pel.entries(start)) {
      if (id.compare(end) > 0) break;
      if (minIdle && now - nack.deliveryTime < minIdle) continue;
      rows.push([
        id,
        Math.max(0, now - nack.deliveryTime),
        nack.deliveryCount,
        nack.consumer!.name,
      ]);
      if (--count === 0) break;
    }
  }
  r.array(rows.length);
  for (const [id, idle, deliveries, owner] of rows) {
    r.array(4);
    replyId(ctx, id);
    r.bulkBinary(owner);
    r.int(idle);
    r.int(deliveries);
  }
}

export const streamGroupCommands: CommandDef[] = [
  { name: "xgroup|create", run: xgroup },
  { name: "xgroup|setid", run: xgroup },
  { name: "xgroup|destroy", run: xgroup },
  { name: "xgroup|createconsumer", run: xgroup },
  { name: "xgroup|delconsumer", run: xgroup },
  { name: "xgroup|help", run: xgroup },
  { name: "xack", run: xack },
  { name: "xpending", run: xpending },
  ...streamClaimCommands,
];
