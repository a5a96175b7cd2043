// Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB introspection.
// The registry and message delivery live in src/server/pubsub.ts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import {
  CHANNEL,
  type Kind,
  PATTERN,
  pubsubOf,
  SHARD,
  subscriptionReply,
} from "../server/pubsub.ts";
import { toKey } from "../util/bytes.ts";
import { globMatch } from "../util/glob.ts";
import { bytesToLatin1 } from "../util/numbers.ts";

function subscribeGeneric(ctx: Ctx, args: Uint8Array[], kind: Kind): void {
  const ps = pubsubOf(ctx.server);
  for (let j = 1; j < args.length; j++) {
    const name = toKey(args[j]);
    ps.add(kind, ctx, name);
    subscriptionReply(ctx, kind.subscribe, name, kind.count(ctx));
  }
}

function unsubscribeGeneric(ctx: Ctx, args: Uint8Array[], kind: Kind): void {
  const ps = pubsubOf(ctx.server);
  if (args.length === 1) return ps.unsubscribeAll(ctx, true, kind);
  for (let j = 1; j < args.length; j++) {
    const name = toKey(args[j]);
    ps.remove(kind, ctx, name);
    subscriptionReply(ctx, kind.unsubscribe, name, kind.count(ctx));
  }
}

function subscribe(ctx: Ctx, args: Uint8Array[]): void {
  subscribeGeneric(ctx, args, CHANNEL);
}

function unsubscribe(ctx: Ctx, args: Uint8Array[]): void {
  unsubscribeGeneric(ctx, args, CHANNEL);
}

function psubscribe(ctx: Ctx, args: Uint8Array[]): void {
  subscribeGeneric(ctx, args, PATTERN);
}

function punsubscribe(ctx: Ctx, args: Uint8Array[]): void {
  unsubscribeGeneric(ctx, args, PATTERN);
}

function ssubscribe(ctx: Ctx, args: Uint8Array[]): void {
  // Unlike SUBSCRIBE, Redis 7.0 refuses SSUBSCRIBE inside EXEC (a "deny blocking" context).
  if (ctx.inExec) {
    return ctx.reply.error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  }
  subscribeGeneric(ctx, args, SHARD);
}

function sunsubscribe(ctx: Ctx, args: Uint8Array[]): void {
  unsubscribeGeneric(ctx, args, SHARD);
}

function publishCmd(ctx: Ctx, args: Uint8Array[]): void {
  ctx.reply.int(pubsubOf(ctx.server).publish(args[1], args[2]));
}

function spublish(ctx: Ctx, args: Uint8Array[]): void {
  ctx.reply.int(pubsubOf(ctx.server).spublish(args[1], args[2]));
}

function syntaxHelp(ctx: Ctx, args: Uint8Array[]): void {
  ctx.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${
      bytesToLatin1(args[1])
    }'. Try PUBSUB HELP.`,
  );
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern]: active names, optionally glob-filtered. */
function listChannels(ctx: Ctx, args: Uint8Array[], reg: Map<string, unknown>): void {
  if (args.length > 3) return syntaxHelp(ctx, args);
  const pat = args.length === 3 ? toKey(args[2]) : undefined;
  const names = [...reg.keys()].filter((n) => pat === undefined || globMatch(pat, n));
  ctx.reply.array(names.length);
  for (const n of names) ctx.reply.bulkBinary(n);
}

/** PUBSUB NUMSUB / SHARDNUMSUB: flat [name, count, …] (an array even in RESP3, as Redis 7.0). */
function numsub(ctx: Ctx, args: Uint8Array[], reg: Map<string, Set<unknown>>): void {
  ctx.reply.array((args.length - 2) * 2);
  for (let j = 2; j < args.length; j++) {
    ctx.reply.bulk(args[j]);
    ctx.reply.int(reg.get(toKey(args[j]))?.size ?? 0);
  }
}

function pubsubChannels(ctx: Ctx, args: Uint8Array[]): void {
  listChannels(ctx, args, pubsubOf(ctx.server).channels);
}

function pubsubShardChannels(ctx: Ctx, args: Uint8Array[]): void {
  listChannels(ctx, args, pubsubOf(ctx.server).shardChannels);
}

function pubsubNumsub(ctx: Ctx, args: Uint8Array[]): void {
  numsub(ctx, args, pubsubOf(ctx.server).channels);
}

function pubsubShardNumsub(ctx: Ctx, args: Uint8Array[]): void {
  numsub(ctx, args, pubsubOf(ctx.server).shardChannels);
}

function pubsubNumpat(ctx: Ctx): void {
  ctx.reply.int(pubsubOf(ctx.server).patterns.size);
}

const HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
];

function pubsubHelp(ctx: Ctx): void {
  ctx.reply.array(HELP.length);
  for (const line of HELP) ctx.reply.simple(line);
}

export const pubsubCommands: CommandDef[] = [
  { name: "subscribe", run: subscribe },
  { name: "unsubscribe", run: unsubscribe },
  { name: "psubscribe", run: psubscribe },
  { name: "punsubscribe", run: punsubscribe },
  { name: "ssubscribe", run: ssubscribe },
  { name: "sunsubscribe", run: sunsubscribe },
  { name: "publish", run: publishCmd },
  { name: "spublish", run: spublish },
  { name: "pubsub|channels", run: pubsubChannels },
  { name: "pubsub|shardchannels", run: pubsubShardChannels },
  { name: "pubsub|numsub", run: pubsubNumsub },
  { name: "pubsub|shardnumsub", run: pubsubShardNumsub },
  { name: "pubsub|numpat", run: pubsubNumpat },
  { name: "pubsub|help", run: pubsubHelp },
];
