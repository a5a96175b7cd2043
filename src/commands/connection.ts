// Connection commands: PING ECHO QUIT RESET HELLO AUTH SELECT SWAPDB.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { bytesToLatin1, parseInt64 } from "../util/numbers.ts";
import { eqi } from "../util/bytes.ts";
import { Db } from "../store/db.ts";
import { REDIS_VERSION } from "./table.ts";

const NOT_INT = "ERR value is not an integer or out of range";
const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

function ping(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length > 2) {
    ctx.reply.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (ctx.subscribedMode) {
    ctx.reply.array(2);
    ctx.reply.bulkStr("pong");
    ctx.reply.bulk(args[1] ?? new Uint8Array(0));
  } else if (args.length === 2) ctx.reply.bulk(args[1]);
  else ctx.reply.simple("PONG");
}

function echo(ctx: Ctx, args: Uint8Array[]): void {
  ctx.reply.bulk(args[1]);
}

function quit(ctx: Ctx): void {
  ctx.reply.ok();
  ctx.closeAfterReply = true;
}

function reset(ctx: Ctx): void {
  const s = ctx.server;
  ctx.multi = undefined;
  ctx.multiError = false;
  s.unwatchAll(ctx);
  for (const fn of s.clientResetHooks) fn(ctx);
  ctx.db = s.dbs[0];
  ctx.reply.proto = 2;
  ctx.name = "";
  ctx.noEvict = false;
  ctx.replyMode = "on";
  ctx.reply.enabled = true;
  if (s.authRequired()) {
    ctx.authenticated = false;
    ctx.parser.limits.authRequired = true;
  }
  ctx.user = "default";
  ctx.reply.simple("RESET");
}

/** Checks a password for the default user (ACL users come later). */
function checkAuth(ctx: Ctx, user: string, pass: Uint8Array): boolean {
  const required = ctx.server.config.str("requirepass");
  if (user !== "default") return false;
  if (required === "") return true; // the default user has nopass
  return bytesToLatin1(pass) === required;
}

function auth(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length > 3) {
    ctx.reply.error("ERR syntax error");
    return;
  }
  if (args.length === 2 && !ctx.server.authRequired()) {
    ctx.reply.error(
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    return;
  }
  const user = args.length === 3 ? bytesToLatin1(args[1]) : "default";
  const pass = args[args.length - 1];
  if (checkAuth(ctx, user, pass)) {
    ctx.setAuthenticated(user);
    ctx.reply.ok();
  } else {
    ctx.server.log.verbose(`Wrong password for user '${user}'`);
    ctx.reply.error(WRONGPASS);
  }
}

/** Validates CLIENT SETNAME / HELLO SETNAME names: printable ASCII, no spaces. */
export function validClientName(b: Uint8Array): boolean {
  for (const c of b) if (c < 33 || c > 126) return false;
  return true;
}

function hello(ctx: Ctx, args: Uint8Array[]): void {
  let proto: number = ctx.reply.proto;
  let i = 1;
  if (args.length >= 2) {
    const v = parseInt64(args[1]);
    if (v === undefined) {
      ctx.reply.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (v !== 2 && v !== 3) {
      ctx.reply.error("NOPROTO unsupported protocol version");
      return;
    }
    proto = v;
    i = 2;
  }
  let name: Uint8Array | undefined;
  for (; i < args.length; i++) {
    const more = args.length - i - 1;
    if (eqi(args[i], "auth") && more >= 2) {
      const user = bytesToLatin1(args[i + 1]);
      if (!checkAuth(ctx, user, args[i + 2])) {
        ctx.reply.error(WRONGPASS);
        return;
      }
      ctx.setAuthenticated(user);
      i += 2;
    } else if (eqi(args[i], "setname") && more >= 1) {
      name = args[i + 1];
      if (!validClientName(name)) {
        ctx.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
      i += 1;
    } else {
      ctx.reply.error(`ERR Syntax error in HELLO option '${bytesToLatin1(args[i])}'`);
      return;
    }
  }
  if (!ctx.authenticated) {
    ctx.reply.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
    return;
  }
  if (name) ctx.name = bytesToLatin1(name);
  ctx.reply.proto = proto as 2 | 3;
  const r = ctx.reply;
  r.map(7);
  r.bulkStr("server");
  r.bulkStr("redis");
  r.bulkStr("version");
  r.bulkStr(REDIS_VERSION);
  r.bulkStr("proto");
  r.int(proto);
  r.bulkStr("id");
  r.int(ctx.id);
  r.bulkStr("mode");
  r.bulkStr(ctx.server.clusterEnabled ? "cluster" : "standalone");
  r.bulkStr("role");
  r.bulkStr("master");
  r.bulkStr("modules");
  r.emptyArray();
}

/** Parses a db index argument; replies with Redis's error and returns undefined when invalid. */
export function dbIndexArg(ctx: Ctx, b: Uint8Array, invalid = NOT_INT): number | undefined {
  const v = parseInt64(b);
  if (v === undefined) {
    ctx.reply.error(invalid);
    return undefined;
  }
  if (typeof v === "bigint" || v < -2147483648 || v > 2147483647) {
    // Redis's getIntFromObjectOrReply: a custom message covers both cases, the default does not.
    ctx.reply.error(
      invalid === NOT_INT
        ? "ERR value is out of range, value must between -2147483648 and 2147483647"
        : invalid,
    );
    return undefined;
  }
  if (v < 0 || v >= ctx.server.dbs.length) {
    ctx.reply.error("ERR DB index is out of range");
    return undefined;
  }
  return v;
}

function select(ctx: Ctx, args: Uint8Array[]): void {
  if (ctx.server.clusterEnabled) {
    const v = parseInt64(args[1]);
    if (v !== 0) {
      ctx.reply.error("ERR SELECT is not allowed in cluster mode");
      return;
    }
  }
  const id = dbIndexArg(ctx, args[1]);
  if (id === undefined) return;
  ctx.db = ctx.server.dbs[id];
  ctx.reply.ok();
}

function swapdb(ctx: Ctx, args: Uint8Array[]): void {
  const s = ctx.server;
  if (s.clusterEnabled) {
    ctx.reply.error("ERR SWAPDB is not allowed in cluster mode");
    return;
  }
  const a = dbIndexArg(ctx, args[1], "ERR invalid first DB index");
  if (a === undefined) return;
  const b = dbIndexArg(ctx, args[2], "ERR invalid second DB index");
  if (b === undefined) return;
  const da = s.dbs[a];
  const db = s.dbs[b];
  if (a !== b) {
    s.touchAllWatched(da, db);
    s.touchAllWatched(db, da);
    Db.swap(da, db);
    s.wp.propagate(a, ["SWAPDB", String(a), String(b)]);
  }
  ctx.reply.ok();
}

export const connectionCommands: CommandDef[] = [
  { name: "ping", run: ping },
  { name: "echo", run: echo },
  { name: "quit", run: quit },
  { name: "reset", run: reset },
  { name: "auth", run: auth },
  { name: "hello", run: hello },
  { name: "select", run: select },
  { name: "swapdb", run: swapdb },
];
