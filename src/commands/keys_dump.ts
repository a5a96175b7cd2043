// DUMP and RESTORE (REPLACE ABSTTL IDLETIME FREQ), as Redis's cluster.c. The payload format is
// ours (src/store/dump.ts), so payloads do not travel between Reredis and Redis.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { Value } from "../store/types.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import {
  createDumpPayload,
  DumpFormatError,
  loadDumpPayload,
  verifyDumpPayload,
} from "../store/dump.ts";
import { lookupRead, NOT_INT, SYNTAX } from "./keys_lookup.ts";
import { lfuPolicy, setIdleTime, setLfuFreq } from "./keys_object.ts";

function dump(ctx: Ctx, args: Uint8Array[]): void {
  const v = lookupRead(ctx, toKey(args[1]));
  if (v === undefined) ctx.reply.nil();
  else ctx.reply.bulk(createDumpPayload(v));
}

/** getLongLongFromObjectOrReply. */
function int64Arg(ctx: Ctx, b: Uint8Array): number | bigint | undefined {
  const v = parseInt64(b);
  if (v === undefined) ctx.reply.error(NOT_INT);
  return v;
}

function restore(ctx: Ctx, args: Uint8Array[]): void {
  let replace = false;
  let absttl = false;
  let idle: number | bigint = -1;
  let freq: number | bigint = -1;
  for (let j = 4; j < args.length; j++) {
    const more = args.length - j - 1;
    if (eqi(args[j], "replace")) replace = true;
    else if (eqi(args[j], "absttl")) absttl = true;
    else if (eqi(args[j], "idletime") && more >= 1 && freq === -1) {
      const v = int64Arg(ctx, args[++j]);
      if (v === undefined) return;
      if (v < 0) {
        ctx.reply.error("ERR Invalid IDLETIME value, must be >= 0");
        return;
      }
      idle = v;
    } else if (eqi(args[j], "freq") && more >= 1 && idle === -1) {
      const v = int64Arg(ctx, args[++j]);
      if (v === undefined) return;
      if (v < 0 || v > 255) {
        ctx.reply.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return;
      }
      freq = v;
    } else {
      ctx.reply.error(SYNTAX);
      return;
    }
  }
  const db = ctx.db;
  const key = toKey(args[1]);
  if (!replace && db.get(key) !== undefined) {
    ctx.reply.error("BUSYKEY Target key name already exists.");
    return;
  }
  const ttlArg = int64Arg(ctx, args[2]);
  if (ttlArg === undefined) return;
  if (ttlArg < 0) {
    ctx.reply.error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  if (!verifyDumpPayload(args[3])) {
    ctx.reply.error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  let value: Value;
  try {
    value = loadDumpPayload(args[3]);
  } catch (e) {
    if (!(e instanceof DumpFormatError)) throw e;
    ctx.reply.error("ERR Bad data format");
    return;
  }
  const deleted = replace && db.delete(key);
  let ttl = ttlArg;
  if (ttl && !absttl) ttl = typeof ttl === "number" ? ttl + Date.now() : ttl + BigInt(Date.now());
  const ttlMs = Number(ttl);
  if (ttl && ttlMs <= Date.now() && !ctx.server.loading) {
    // Restored already expired: nothing is created; a replaced key is propagated as deleted.
    if (deleted) {
      ctx.propagate(["DEL", args[1]]);
      ctx.changed(key, "del", "g");
    }
    ctx.reply.ok();
    return;
  }
  db.set(key, value);
  if (ttl) {
    db.setExpire(key, ttlMs);
    if (!absttl) {
      // Propagate the TTL as an absolute time, as Redis rewrites argv[2] and appends ABSTTL.
      ctx.propagate(["RESTORE", args[1], String(ttl), ...args.slice(3), "ABSTTL"]);
    }
  }
  if (lfuPolicy(ctx)) {
    if (freq !== -1) setLfuFreq(value, Number(freq));
  } else if (idle !== -1) setIdleTime(ctx.server, db, key, Number(idle));
  ctx.changed(key, "restore", "g");
  ctx.reply.ok();
}

export const dumpCommands: CommandDef[] = [
  { name: "dump", run: dump },
  { name: "restore", run: restore },
];
