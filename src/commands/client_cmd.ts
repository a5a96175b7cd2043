// CLIENT ID/SETNAME/GETNAME/LIST/INFO/KILL/NO-EVICT/REPLY/PAUSE/UNPAUSE/HELP, as Redis 7.0's
// networking.c (clientCommand). TRACKING/CACHING/GETREDIR/TRACKINGINFO are in client_tracking.ts;
// CLIENT UNBLOCK lives with the blocking commands.

import type { CommandDef } from "./table.ts";
import type { Client, Ctx } from "../server/client.ts";
import { bytesToLatin1, parseInt64 } from "../util/numbers.ts";
import { eqi } from "../util/bytes.ts";
import { validClientName } from "./connection.ts";
import { replyHelp } from "./help_reply.ts";
import { clientTrackingCommands } from "./client_tracking.ts";

const SYNTAX = "ERR syntax error";

type ClientType = "normal" | "replica" | "pubsub" | "master";

/** getClientTypeByName: client classes as CLIENT KILL/LIST TYPE name them. */
function clientTypeByName(b: Uint8Array): ClientType | undefined {
  const n = bytesToLatin1(b).toLowerCase();
  if (n === "normal" || n === "pubsub" || n === "master") return n;
  if (n === "slave" || n === "replica") return "replica";
  return undefined;
}

/** getClientType: replicas and masters are marked by their CLIENT LIST flag letters. */
function clientType(c: Client): ClientType {
  if (c.flagLetters.includes("M")) return "master";
  if (c.flagLetters.includes("S")) return "replica";
  if (c.channels.size + c.patterns.size + c.shardChannels.size > 0) return "pubsub";
  return "normal";
}

/** The clients CLIENT LIST shows: connected ones (internal clients have no socket). */
function connectedClients(ctx: Ctx): Client[] {
  return [...ctx.server.clients.values()].filter((c) => c.conn !== undefined);
}

function clientId(ctx: Ctx): void {
  ctx.reply.int(ctx.id);
}

function clientSetname(ctx: Ctx, args: Uint8Array[]): void {
  if (!validClientName(args[2])) {
    ctx.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  ctx.name = bytesToLatin1(args[2]);
  ctx.reply.ok();
}

function clientGetname(ctx: Ctx): void {
  if (ctx.name === "") ctx.reply.nil();
  else ctx.reply.bulkBinary(ctx.name);
}

function clientList(ctx: Ctx, args: Uint8Array[]): void {
  let out = "";
  if (args.length === 4 && eqi(args[2], "type")) {
    const type = clientTypeByName(args[3]);
    if (type === undefined) {
      ctx.reply.error(`ERR Unknown client type '${bytesToLatin1(args[3])}'`);
      return;
    }
    for (const c of connectedClients(ctx)) if (clientType(c) === type) out += c.describe() + "\n";
  } else if (args.length > 3 && eqi(args[2], "id")) {
    for (let i = 3; i < args.length; i++) {
      const id = parseInt64(args[i]);
      if (id === undefined) {
        ctx.reply.error("ERR Invalid client ID");
        return;
      }
      const c = ctx.server.clients.get(Number(id));
      if (c?.conn) out += c.describe() + "\n";
    }
  } else if (args.length !== 2) {
    ctx.reply.error(SYNTAX);
    return;
  } else {
    for (const c of connectedClients(ctx)) out += c.describe() + "\n";
  }
  ctx.reply.verbatim(out);
}

function clientInfo(ctx: Ctx): void {
  ctx.reply.verbatim(ctx.describe() + "\n");
}

interface KillFilter {
  id?: number;
  type?: ClientType;
  addr?: string;
  laddr?: string;
  user?: string;
  skipme: boolean;
}

/** Parses CLIENT KILL's filter form; replies with the error and returns undefined when invalid. */
function killFilter(ctx: Ctx, args: Uint8Array[]): KillFilter | undefined {
  const f: KillFilter = { skipme: true };
  for (let i = 2; i < args.length; i += 2) {
    const more = args.length > i + 1;
    const opt = args[i];
    const val = args[i + 1];
    if (eqi(opt, "id") && more) {
      const id = parseInt64(val);
      if (id === undefined || typeof id === "bigint" || id < 1) {
        ctx.reply.error("ERR client-id should be greater than 0");
        return undefined;
      }
      f.id = id;
    } else if (eqi(opt, "type") && more) {
      f.type = clientTypeByName(val);
      if (f.type === undefined) {
        ctx.reply.error(`ERR Unknown client type '${bytesToLatin1(val)}'`);
        return undefined;
      }
    } else if (eqi(opt, "addr") && more) f.addr = bytesToLatin1(val);
    else if (eqi(opt, "laddr") && more) f.laddr = bytesToLatin1(val);
    else if (eqi(opt, "user") && more) {
      // Only the default user exists until ACL users do.
      f.user = bytesToLatin1(val);
      if (f.user !== "default") {
        ctx.reply.error(`ERR No such user '${f.user}'`);
        return undefined;
      }
    } else if (eqi(opt, "skipme") && more) {
      if (eqi(val, "yes")) f.skipme = true;
      else if (eqi(val, "no")) f.skipme = false;
      else {
        ctx.reply.error(SYNTAX);
        return undefined;
      }
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  return f;
}

function clientKill(ctx: Ctx, args: Uint8Array[]): void {
  // The old form CLIENT KILL <addr> may kill the caller itself.
  const f = args.length === 3
    ? { addr: bytesToLatin1(args[2]), skipme: false } as KillFilter
    : killFilter(ctx, args);
  if (!f) return;
  let killed = 0;
  let self = false;
  for (const c of connectedClients(ctx)) {
    if (f.addr !== undefined && c.addr !== f.addr) continue;
    if (f.laddr !== undefined && c.laddr !== f.laddr) continue;
    if (f.type !== undefined && clientType(c) !== f.type) continue;
    if (f.id !== undefined && c.id !== f.id) continue;
    if (f.user !== undefined && c.user !== f.user) continue;
    if (c === ctx && f.skipme) continue;
    if (c === ctx) self = true;
    else c.kill();
    killed++;
  }
  if (args.length === 3) {
    if (killed === 0) ctx.reply.error("ERR No such client");
    else ctx.reply.ok();
  } else ctx.reply.int(killed);
  // Our own connection closes once this reply is out.
  if (self) ctx.closeAfterReply = true;
}

function clientNoEvict(ctx: Ctx, args: Uint8Array[]): void {
  if (eqi(args[2], "on")) ctx.noEvict = true;
  else if (eqi(args[2], "off")) ctx.noEvict = false;
  else {
    ctx.reply.error(SYNTAX);
    return;
  }
  ctx.reply.ok();
}

/** ON replies OK; OFF and SKIP reply nothing (SKIP also silences the next command's reply). */
function clientReply(ctx: Ctx, args: Uint8Array[]): void {
  if (eqi(args[2], "on")) {
    ctx.replyMode = "on";
    ctx.skipNext = false;
    ctx.reply.enabled = true;
    ctx.reply.ok();
  } else if (eqi(args[2], "off")) {
    ctx.replyMode = "off";
    ctx.reply.enabled = false;
  } else if (eqi(args[2], "skip")) {
    if (ctx.replyMode !== "off") ctx.skipNext = true;
  } else ctx.reply.error(SYNTAX);
}

function clientPause(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length > 4) {
    ctx.reply.error(
      "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
    );
    return;
  }
  let writesOnly = false;
  if (args.length === 4) {
    if (eqi(args[3], "write")) writesOnly = true;
    else if (!eqi(args[3], "all")) {
      ctx.reply.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  const ms = parseInt64(args[2]);
  if (ms === undefined) {
    ctx.reply.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (ms < 0) {
    ctx.reply.error("ERR timeout is negative");
    return;
  }
  if (Number(ms) > 8640000000000000 - Date.now()) {
    ctx.reply.error("ERR timeout is out of range");
    return;
  }
  ctx.server.pause(Number(ms), writesOnly);
  ctx.reply.ok();
}

function clientUnpause(ctx: Ctx): void {
  ctx.server.unpause();
  ctx.reply.ok();
}

const HELP = [
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
];

export const clientCommands: CommandDef[] = [
  { name: "client|id", run: clientId },
  { name: "client|setname", run: clientSetname },
  { name: "client|getname", run: clientGetname },
  { name: "client|list", run: clientList },
  { name: "client|info", run: clientInfo },
  { name: "client|kill", run: clientKill },
  { name: "client|no-evict", run: clientNoEvict },
  { name: "client|reply", run: clientReply },
  { name: "client|pause", run: clientPause },
  { name: "client|unpause", run: clientUnpause },
  ...clientTrackingCommands,
  { name: "client|help", run: (ctx, args) => replyHelp(ctx, args, HELP) },
];
