// XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS / HELP, with Redis 7.0's fields
// (entries-read, lag, max-deleted-entry-id, entries-added, recorded-first-entry-id).

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { Stream } from "../store/stream.ts";
import { ID_MAX, ID_ZERO } from "../store/stream_id.ts";
import type { ConsumerGroup } from "../store/stream_groups.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { replyHelp } from "./help_reply.ts";
import {
  cstr,
  groupLag,
  replyEntry,
  replyId,
  replyRange,
  streamForRead,
  subcommandSyntaxError,
} from "./streams_common.ts";

const XINFO_HELP = [
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
];

function field(ctx: Ctx, name: string): void {
  ctx.reply.bulkBinary(name);
}

function replyLag(ctx: Ctx, s: Stream, g: ConsumerGroup): void {
  const lag = groupLag(s, g);
  if (lag === undefined) ctx.reply.nil();
  else ctx.reply.int(lag);
}

function replyEntriesRead(ctx: Ctx, g: ConsumerGroup): void {
  if (g.entriesRead === -1) ctx.reply.nil();
  else ctx.reply.int(g.entriesRead);
}

/** xinfoReplyWithStreamInfo. */
function streamInfo(ctx: Ctx, args: Uint8Array[], s: Stream): void {
  let full = false;
  let count = 10;
  const optc = args.length - 3;
  if (optc > 0) {
    if ((optc !== 1 && optc !== 3) || !eqi(args[3], "full")) {
      subcommandSyntaxError(ctx, args);
      return;
    }
    if (optc === 3) {
      if (!eqi(args[4], "count")) {
        subcommandSyntaxError(ctx, args);
        return;
      }
      const v = parseInt64(args[5]);
      if (v === undefined) {
        ctx.reply.error("ERR value is not an integer or out of range");
        return;
      }
      count = v < 0 ? 10 : Number(v);
    }
    full = true;
  }
  const r = ctx.reply;
  r.map(full ? 9 : 10);
  field(ctx, "length");
  r.int(s.length);
  field(ctx, "radix-tree-keys");
  r.int(s.nodes.length);
  field(ctx, "radix-tree-nodes");
  r.int(s.radixTreeNodes());
  field(ctx, "last-generated-id");
  replyId(ctx, s.lastId);
  field(ctx, "max-deleted-entry-id");
  replyId(ctx, s.maxDeletedId);
  field(ctx, "entries-added");
  r.int(s.entriesAdded);
  field(ctx, "recorded-first-entry-id");
  replyId(ctx, s.firstId);
  const groups = s.sortedGroups();
  if (!full) {
    field(ctx, "groups");
    r.int(groups.length);
    for (const [name, rev] of [["first-entry", false], ["last-entry", true]] as const) {
      field(ctx, name);
      let done = false;
      s.range(ID_ZERO, ID_MAX, rev, (n, i) => {
        replyEntry(ctx, n, i);
        done = true;
        return false;
      });
      if (!done) r.nil();
    }
    return;
  }
  field(ctx, "entries");
  replyRange(ctx, s, ID_ZERO, ID_MAX, false, count);
  field(ctx, "groups");
  r.array(groups.length);
  for (const [name, g] of groups) {
    r.map(7);
    field(ctx, "name");
    r.bulkBinary(name);
    field(ctx, "last-delivered-id");
    replyId(ctx, g.lastId);
    field(ctx, "entries-read");
    replyEntriesRead(ctx, g);
    field(ctx, "lag");
    replyLag(ctx, s, g);
    field(ctx, "pel-count");
    r.int(g.pel.size);
    field(ctx, "pending");
    const pel = [...limited(g.pel.entries(), count)];
    r.array(pel.length);
    for (const [id, nack] of pel) {
      r.array(4);
      replyId(ctx, id);
      r.bulkBinary(nack.consumer!.name);
      r.int(nack.deliveryTime);
      r.int(nack.deliveryCount);
    }
    field(ctx, "consumers");
    const consumers = g.sortedConsumers();
    r.array(consumers.length);
    for (const c of consumers) {
      r.map(4);
      field(ctx, "name");
      r.bulkBinary(c.name);
      field(ctx, "seen-time");
      r.int(c.seenTime);
      field(ctx, "pel-count");
      r.int(c.pel.size);
      field(ctx, "pending");
      const own = [...limited(c.pel.entries(), count)];
      r.array(own.length);
      for (const [id, nack] of own) {
        r.array(3);
        replyId(ctx, id);
        r.int(nack.deliveryTime);
        r.int(nack.deliveryCount);
      }
    }
  }
}

/** The first `count` items (all when count is 0). */
function* limited<T>(it: Iterable<T>, count: number): Generator<T> {
  let n = 0;
  for (const x of it) {
    if (count && n++ >= count) return;
    yield x;
  }
}

function xinfo(ctx: Ctx, args: Uint8Array[]): void {
  const opt = args[1];
  if (eqi(opt, "help")) {
    replyHelp(ctx, args, XINFO_HELP);
    return;
  }
  const key = toKey(args[2]);
  const s = streamForRead(ctx, key);
  if (s === null) return;
  if (!s) {
    ctx.reply.error("ERR no such key");
    return;
  }
  const r = ctx.reply;
  if (eqi(opt, "consumers") && args.length === 4) {
    const groupName = toKey(args[3]);
    const g = s.groups?.get(groupName);
    if (!g) {
      r.error(`NOGROUP No such consumer group '${cstr(groupName)}' for key name '${cstr(key)}'`);
      return;
    }
    const now = Date.now();
    const consumers = g.sortedConsumers();
    r.array(consumers.length);
    for (const c of consumers) {
      r.map(3);
      field(ctx, "name");
      r.bulkBinary(c.name);
      field(ctx, "pending");
      r.int(c.pel.size);
      field(ctx, "idle");
      r.int(Math.max(0, now - c.seenTime));
    }
  } else if (eqi(opt, "groups") && args.length === 3) {
    const groups = s.sortedGroups();
    r.array(groups.length);
    for (const [name, g] of groups) {
      r.map(6);
      field(ctx, "name");
      r.bulkBinary(name);
      field(ctx, "consumers");
      r.int(g.consumers.size);
      field(ctx, "pending");
      r.int(g.pel.size);
      field(ctx, "last-delivered-id");
      replyId(ctx, g.lastId);
      field(ctx, "entries-read");
      replyEntriesRead(ctx, g);
      field(ctx, "lag");
      replyLag(ctx, s, g);
    }
  } else if (eqi(opt, "stream")) {
    streamInfo(ctx, args, s);
  } else {
    subcommandSyntaxError(ctx, args);
  }
}

export const streamInfoCommands: CommandDef[] = [
  { name: "xinfo|stream", run: xinfo },
  { name: "xinfo|groups", run: xinfo },
  { name: "xinfo|consumers", run: xinfo },
  { name: "xinfo|help", run: xinfo },
];
