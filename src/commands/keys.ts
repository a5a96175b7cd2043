// Keyspace (generic) commands, as Redis's db.c: DEL UNLINK EXISTS TYPE RENAME RENAMENX MOVE COPY.
// The other generic commands live beside it (expiry, OBJECT/TOUCH, DUMP/RESTORE, SCAN/KEYS) and
// are gathered into `keysCommands` here.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { typeName } from "../store/types.ts";
import { cloneValue } from "../store/dump.ts";
import { dbIndexArg } from "./connection.ts";
import { lookupRead, SYNTAX } from "./keys_lookup.ts";
import { expireCommands } from "./keys_expire.ts";
import { markUnshared, objectCommands } from "./keys_object.ts";
import { dumpCommands } from "./keys_dump.ts";
import { scanCommands } from "./keys_scan.ts";

const SAME_OBJECT = "ERR source and destination objects are the same";

/** DEL and UNLINK: values are dropped by reference and freed by the GC, so both are "lazy". */
function del(ctx: Ctx, args: Uint8Array[]): void {
  const db = ctx.db;
  let n = 0;
  for (let i = 1; i < args.length; i++) {
    const key = toKey(args[i]);
    db.get(key, false); // expireIfNeeded: an expired key is reported as expired, not deleted
    if (db.delete(key)) {
      ctx.changed(key, "del", "g");
      n++;
    }
  }
  ctx.reply.int(n);
}

function exists(ctx: Ctx, args: Uint8Array[]): void {
  let n = 0;
  for (let i = 1; i < args.length; i++) {
    if (lookupRead(ctx, toKey(args[i]), { noTouch: true }) !== undefined) n++;
  }
  ctx.reply.int(n);
}

function type(ctx: Ctx, args: Uint8Array[]): void {
  const v = lookupRead(ctx, toKey(args[1]), { noTouch: true });
  ctx.reply.simple(v === undefined ? "none" : typeName(v));
}

function renameGeneric(ctx: Ctx, args: Uint8Array[], nx: boolean): void {
  const db = ctx.db;
  const src = toKey(args[1]);
  const dst = toKey(args[2]);
  const v = db.get(src);
  if (v === undefined) {
    ctx.reply.error("ERR no such key");
    return;
  }
  if (src === dst) {
    nx ? ctx.reply.int(0) : ctx.reply.ok();
    return;
  }
  const expire = db.getExpire(src);
  if (db.get(dst) !== undefined) {
    if (nx) {
      ctx.reply.int(0);
      return;
    }
    db.delete(dst); // overwrite: the old value and its TTL go
  }
  db.set(dst, v);
  if (expire !== undefined) db.setExpire(dst, expire);
  db.delete(src);
  ctx.changed(src, "rename_from", "g");
  ctx.changed(dst, "rename_to", "g");
  nx ? ctx.reply.int(1) : ctx.reply.ok();
}

function rename(ctx: Ctx, args: Uint8Array[]): void {
  renameGeneric(ctx, args, false);
}

function renamenx(ctx: Ctx, args: Uint8Array[]): void {
  renameGeneric(ctx, args, true);
}

/** MOVE hands the value object itself to the other db: the source entry is gone in the same step. */
function move(ctx: Ctx, args: Uint8Array[]): void {
  const s = ctx.server;
  if (s.clusterEnabled) {
    ctx.reply.error("ERR MOVE is not allowed in cluster mode");
    return;
  }
  const id = dbIndexArg(ctx, args[2]);
  if (id === undefined) return;
  const src = ctx.db;
  const dst = s.dbs[id];
  if (src === dst) {
    ctx.reply.error(SAME_OBJECT);
    return;
  }
  const key = toKey(args[1]);
  const v = src.get(key);
  if (v === undefined || dst.get(key) !== undefined) {
    ctx.reply.int(0);
    return;
  }
  const expire = src.getExpire(key);
  dst.set(key, v);
  if (expire !== undefined) dst.setExpire(key, expire);
  src.delete(key);
  ctx.changed(key, "move_from", "g", src);
  ctx.changed(key, "move_to", "g", dst);
  ctx.reply.int(1);
}

function copy(ctx: Ctx, args: Uint8Array[]): void {
  const s = ctx.server;
  const src = ctx.db;
  let dst = ctx.db;
  let replace = false;
  for (let j = 3; j < args.length; j++) {
    if (eqi(args[j], "replace")) replace = true;
    else if (eqi(args[j], "db") && j + 1 < args.length) {
      const id = dbIndexArg(ctx, args[++j]);
      if (id === undefined) return;
      dst = s.dbs[id];
    } else {
      ctx.reply.error(SYNTAX);
      return;
    }
  }
  if (s.clusterEnabled && (src.id !== 0 || dst.id !== 0)) {
    ctx.reply.error("ERR Copying to another database is not allowed in cluster mode");
    return;
  }
  const key = toKey(args[1]);
  const newKey = toKey(args[2]);
  if (src === dst && key === newKey) {
    ctx.reply.error(SAME_OBJECT);
    return;
  }
  const v = lookupRead(ctx, key);
  if (v === undefined) {
    ctx.reply.int(0);
    return;
  }
  const expire = src.getExpire(key);
  const exists = dst.get(newKey) !== undefined;
  if (exists && !replace) {
    ctx.reply.int(0);
    return;
  }
  // Redis's dupStringObject makes even a shared integer a private object (REFCOUNT 1).
  const dup = v instanceof Uint8Array && v.length <= 4 ? markUnshared(v.slice()) : cloneValue(v);
  if (exists) dst.delete(newKey);
  dst.set(newKey, dup);
  if (expire !== undefined) dst.setExpire(newKey, expire);
  ctx.changed(newKey, "copy_to", "g", dst);
  ctx.reply.int(1);
}

export const keysCommands: CommandDef[] = [
  { name: "del", run: del },
  { name: "unlink", run: del },
  { name: "exists", run: exists },
  { name: "type", run: type },
  { name: "rename", run: rename },
  { name: "renamenx", run: renamenx },
  { name: "move", run: move },
  { name: "copy", run: copy },
  ...expireCommands,
  ...objectCommands,
  ...dumpCommands,
  ...scanCommands,
];
