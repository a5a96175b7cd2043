// COMMAND [COUNT|INFO|DOCS|LIST|GETKEYS|GETKEYSANDFLAGS|HELP] and INFO, answered from the one
// command table (so COMMAND COUNT is the number of commands Reredis actually implements).

import type { Command, CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import { eqi, lowerAscii } from "../util/bytes.ts";
import { bytesToLatin1 } from "../util/numbers.ts";
import { globMatchNocase } from "../util/glob.ts";
import { commandHasKeys, keysWithFlags } from "./key_specs.ts";
import { replyHelp } from "./help_reply.ts";
import { infoText } from "../server/info.ts";

const HELP = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
];

function writeInfo(r: ReplyWriter, c: Command): void {
  r.array(10);
  r.bulkStr(c.fullName);
  r.int(c.arity);
  r.set(c.flagNames.length);
  for (const f of c.flagNames) r.simple(f);
  r.int(c.firstKey);
  r.int(c.lastKey);
  r.int(c.step);
  r.set(c.acl.length);
  for (const a of c.acl) r.simple(a);
  r.set(c.tips.length);
  for (const t of c.tips) r.bulkStr(t);
  r.array(c.keySpecs.length);
  for (const k of c.keySpecs) r.value(k);
  const subs = c.subcommands ? [...c.subcommands.values()] : [];
  r.array(subs.length);
  for (const s of subs) writeInfo(r, s);
}

/** A command or `parent|sub` by name, as lookupCommandBySds. */
function byName(ctx: Ctx, name: string): Command | undefined {
  const bar = name.indexOf("|");
  if (bar < 0) return ctx.server.table.get(name);
  return ctx.server.table.get(name.slice(0, bar))?.subcommands?.get(name.slice(bar + 1));
}

function command(ctx: Ctx): void {
  const all = [...ctx.server.table.commands.values()];
  ctx.reply.array(all.length);
  for (const c of all) writeInfo(ctx.reply, c);
}

function count(ctx: Ctx): void {
  ctx.reply.int(ctx.server.table.commands.size);
}

function info(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length === 2) return command(ctx);
  ctx.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const c = byName(ctx, lowerAscii(args[i]));
    if (c) writeInfo(ctx.reply, c);
    else ctx.reply.nil();
  }
}

/** Docs map for one command, with only the subcommands Reredis implements. */
function writeDocs(r: ReplyWriter, c: Command): void {
  const docs = c.docs as { "%": unknown[] };
  const pairs = docs["%"] ?? [];
  const out: unknown[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    if (pairs[i] === "subcommands") continue;
    out.push(pairs[i], pairs[i + 1]);
  }
  const subs = c.subcommands ? [...c.subcommands.values()] : [];
  r.map(out.length / 2 + (subs.length ? 1 : 0));
  for (const v of out) r.value(v as never);
  if (subs.length) {
    r.bulkStr("subcommands");
    r.map(subs.length);
    for (const s of subs) {
      r.bulkStr(s.fullName);
      writeDocs(r, s);
    }
  }
}

function docs(ctx: Ctx, args: Uint8Array[]): void {
  const r = ctx.reply;
  let list: Command[];
  if (args.length === 2) list = [...ctx.server.table.commands.values()];
  else {
    list = [];
    for (let i = 2; i < args.length; i++) {
      const c = byName(ctx, lowerAscii(args[i]));
      if (c) list.push(c);
    }
  }
  r.map(list.length);
  for (const c of list) {
    r.bulkStr(c.fullName);
    writeDocs(r, c);
  }
}

function list(ctx: Ctx, args: Uint8Array[]): void {
  let filter: (c: Command) => boolean = () => true;
  if (args.length === 5 && eqi(args[2], "filterby")) {
    const v = bytesToLatin1(args[4]);
    if (eqi(args[3], "module")) filter = () => false;
    else if (eqi(args[3], "aclcat")) {
      const cat = "@" + v.toLowerCase();
      filter = (c) => c.acl.includes(cat);
    } else if (eqi(args[3], "pattern")) filter = (c) => globMatchNocase(v, c.fullName);
    else return ctx.reply.error("ERR syntax error");
  } else if (args.length !== 2) return ctx.reply.error("ERR syntax error");
  const names = [...ctx.server.table.all()].filter(filter).map((c) => c.fullName);
  ctx.reply.array(names.length);
  for (const n of names) ctx.reply.bulkStr(n);
}

function getkeys(ctx: Ctx, args: Uint8Array[], withFlags: boolean): void {
  const sub = args.slice(2);
  let cmd = ctx.server.table.get(lowerAscii(sub[0]));
  if (cmd?.subcommands && sub.length >= 2) cmd = cmd.subcommands.get(lowerAscii(sub[1]));
  if (!cmd) return ctx.reply.error("ERR Invalid command specified");
  if (!commandHasKeys(cmd)) return ctx.reply.error("ERR The command has no key arguments");
  if ((cmd.arity > 0 && cmd.arity !== sub.length) || sub.length < -cmd.arity) {
    return ctx.reply.error("ERR Invalid number of arguments specified for command");
  }
  const keys = keysWithFlags(cmd, sub);
  if (keys === undefined) {
    if (cmd.flagNames.includes("no_mandatory_keys")) return ctx.reply.emptyArray();
    return ctx.reply.error("ERR Invalid arguments specified for command");
  }
  const r = ctx.reply;
  r.array(keys.length);
  for (const k of keys) {
    if (!withFlags) {
      r.bulk(sub[k.pos]);
      continue;
    }
    r.array(2);
    r.bulk(sub[k.pos]);
    r.set(k.flags.length);
    for (const f of k.flags) r.simple(f);
  }
}

function infoCmd(ctx: Ctx, args: Uint8Array[]): void {
  const names = args.slice(1).map((a) => lowerAscii(a));
  ctx.reply.verbatim(infoText(ctx.server, names));
}

export const commandCommands: CommandDef[] = [
  { name: "command", run: command },
  { name: "command|count", run: count },
  { name: "command|info", run: info },
  { name: "command|docs", run: docs },
  { name: "command|list", run: list },
  { name: "command|getkeys", run: (ctx, args) => getkeys(ctx, args, false) },
  { name: "command|getkeysandflags", run: (ctx, args) => getkeys(ctx, args, true) },
  { name: "command|help", run: (ctx, args) => replyHelp(ctx, args, HELP) },
  { name: "info", run: infoCmd },
];
