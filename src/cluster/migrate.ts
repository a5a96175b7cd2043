// MIGRATE (single key or KEYS, COPY, REPLACE, AUTH/AUTH2, timeout) over DUMP/RESTORE, as Redis's
// migrateCommand but without blocking the loop: the client waits while payloads are built in
// slices of a few ms and sent, other clients keep being served, and writes to the keys in flight
// wait (routing parks them) until the target has them and they are deleted here.

import type { Ctx } from "../server/client.ts";
import type { Client } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import type { Db } from "../store/db.ts";
import type { Command } from "../commands/table.ts";
import { encodeCommand, type RespValue } from "../resp/decoder.ts";
import { createDumpPayload } from "../store/dump.ts";
import { eqi, fromKey, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { deleteKeys } from "./slot_ops.ts";
import { MigrateIoError, targetConn } from "./migrate_conn.ts";
import { keyArgs } from "./key_args.ts";
import { F } from "../commands/table.ts";

/** Payload building yields to the loop after this many ms. */
const SLICE_MS = 2;

/** Keys being sent by a running MIGRATE, and the clients whose writes wait for them. */
export class MigrationLocks {
  readonly #held = new Map<string, number>();
  readonly #waiting = new Set<Client>();
  #ownGate = false;

  constructor(private server: Server) {}

  get size(): number {
    return this.#held.size;
  }

  has(key: string): boolean {
    return this.#held.has(key);
  }

  lock(keys: string[]): void {
    for (const k of keys) this.#held.set(k, (this.#held.get(k) ?? 0) + 1);
    // Outside cluster mode nothing routes commands: install a gate that only checks the locks.
    if (!this.server.keyGate) {
      this.server.keyGate = (c, cmd, args) => this.#gate(c, cmd, args);
      this.#ownGate = true;
    }
  }

  unlock(keys: string[]): void {
    for (const k of keys) {
      const n = (this.#held.get(k) ?? 1) - 1;
      if (n <= 0) this.#held.delete(k);
      else this.#held.set(k, n);
    }
    if (this.#held.size === 0 && this.#ownGate) {
      this.server.keyGate = undefined;
      this.#ownGate = false;
    }
    // Everyone parked tries again: those still touching a held key park again.
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const c of waiting) {
      c.blocked = false;
      if (!c.closed) c.process();
    }
  }

  /** Holds a client's command until the keys it writes are no longer in flight. */
  park(c: Client): void {
    c.blocked = true;
    this.#waiting.add(c);
    if (this.#waiting.size === 1) {
      this.server.clientCloseHooks.push((gone) => this.#waiting.delete(gone));
    }
  }

  #gate(c: Client, cmd: Command, args: Uint8Array[]): boolean {
    if (!(cmd.flags & F.write) || c.multi || !c.conn) return true;
    for (const pos of keyArgs(cmd, args)) {
      if (this.#held.has(toKey(args[pos]))) {
        this.park(c);
        return false;
      }
    }
    return true;
  }
}

const locksByServer = new WeakMap<Server, MigrationLocks>();

export function migrationLocks(server: Server): MigrationLocks {
  let l = locksByServer.get(server);
  if (!l) locksByServer.set(server, l = new MigrationLocks(server));
  return l;
}

const SYNTAX = "ERR syntax error";
const NOT_INT = "ERR value is not an integer or out of range";

interface MigrateArgs {
  host: string;
  port: number;
  db: number;
  timeout: number;
  copy: boolean;
  replace: boolean;
  auth: Uint8Array[] | undefined;
  keys: Uint8Array[];
}

function parse(ctx: Ctx, args: Uint8Array[]): MigrateArgs | undefined {
  const m: MigrateArgs = {
    host: new TextDecoder().decode(args[1]),
    port: 0,
    db: 0,
    timeout: 0,
    copy: false,
    replace: false,
    auth: undefined,
    keys: [args[3]],
  };
  for (let j = 6; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (eqi(args[j], "copy")) m.copy = true;
    else if (eqi(args[j], "replace")) m.replace = true;
    else if (eqi(args[j], "auth") && more >= 1) m.auth = [args[++j]];
    else if (eqi(args[j], "auth2") && more >= 2) m.auth = [args[++j], args[++j]];
    else if (eqi(args[j], "keys")) {
      if (args[3].length !== 0) {
        ctx.reply.error(
          "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
        );
        return undefined;
      }
      m.keys = args.slice(j + 1);
      break;
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  const timeout = parseInt64(args[5]);
  const db = parseInt64(args[4]);
  if (timeout === undefined || db === undefined) {
    ctx.reply.error(NOT_INT);
    return undefined;
  }
  m.timeout = Number(timeout) <= 0 ? 1000 : Number(timeout);
  m.db = Number(db);
  m.port = atoi(args[2]);
  return m;
}

/** C's atoi: leading digits (after an optional sign), 0 when there are none. */
function atoi(b: Uint8Array): number {
  let i = 0;
  let sign = 1;
  if (b[0] === 45 || b[0] === 43) {
    sign = b[0] === 45 ? -1 : 1;
    i++;
  }
  let n = 0;
  for (; i < b.length && b[i] >= 48 && b[i] <= 57; i++) n = n * 10 + b[i] - 48;
  return sign * n;
}

function migrate(ctx: Ctx, args: Uint8Array[]): void {
  const m = parse(ctx, args);
  if (!m) return;
  const db = ctx.db;
  const keys: string[] = [];
  for (const k of m.keys) {
    const key = toKey(k);
    if (db.get(key) !== undefined) keys.push(key);
  }
  if (keys.length === 0) {
    ctx.reply.simple("NOKEY");
    return;
  }
  if (ctx.inExec || !ctx.conn) {
    ctx.reply.error(
      "ERR MIGRATE cannot run inside MULTI/EXEC or a script in Reredis (it waits for the target)",
    );
    return;
  }
  const locks = migrationLocks(ctx.server);
  locks.lock(keys);
  ctx.blocked = true;
  run(ctx, m, keys).then((reply) => {
    if (reply === "OK") ctx.reply.ok();
    else ctx.reply.error(reply);
  }, (e) => ctx.reply.error(`ERR ${(e as Error).message}`)).finally(() => {
    locks.unlock(keys);
    ctx.blocked = false;
    if (!ctx.closed) {
      ctx.flush();
      ctx.process();
    }
  });
}

/** Sends the keys and deletes (unless COPY) those the target accepted; returns the reply. */
async function run(ctx: Ctx, m: MigrateArgs, keys: string[]): Promise<string> {
  const server = ctx.server;
  const db = ctx.db;
  let conn;
  try {
    conn = await targetConn(m.host, m.port, m.timeout);
  } catch (e) {
    return ioError(e);
  }
  const prev = conn.queue;
  let release!: () => void;
  conn.queue = new Promise<void>((r) => (release = r));
  await prev;
  try {
    const restore = server.clusterEnabled ? "RESTORE-ASKING" : "RESTORE";
    const select = conn.lastDb !== m.db;
    const sent: string[] = [];
    const chunks = await buildRestores(db, keys, m, restore, select, sent);
    const expected = (m.auth ? 1 : 0) + (select ? 1 : 0) + sent.length;
    let replies: RespValue[];
    try {
      replies = await conn.request(chunks, expected, m.timeout);
    } catch (e) {
      conn.close();
      return ioError(e);
    }
    let i = 0;
    let error: string | undefined;
    const errOf = (r: RespValue) =>
      r && typeof r === "object" && "-" in r ? (r as { "-": string })["-"] : undefined;
    if (m.auth) error ??= errOf(replies[i++]);
    if (select) {
      const e = errOf(replies[i++]);
      error ??= e;
      if (!e) conn.lastDb = m.db;
    }
    const moved: string[] = [];
    for (const key of sent) {
      const e = errOf(replies[i++]);
      if (e) error ??= e;
      else if (!m.copy) moved.push(key);
    }
    if (error) conn.lastDb = -1;
    if (moved.length) deleteKeys(server, db, moved);
    return error ? `ERR Target instance replied with error: ${error}` : "OK";
  } finally {
    release();
  }
}

/**
 * AUTH, SELECT and one RESTORE per live key, built in slices of a few ms. The keys actually sent
 * go to `sent` (a key may expire meanwhile: the number of replies is known only at the end).
 */
async function buildRestores(
  db: Db,
  keys: string[],
  m: MigrateArgs,
  restore: string,
  select: boolean,
  sent: string[],
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  if (m.auth) out.push(encodeCommand(["AUTH", ...m.auth]));
  if (select) out.push(encodeCommand(["SELECT", String(m.db)]));
  let t0 = performance.now();
  for (const key of keys) {
    const v = db.get(key, false);
    if (v === undefined) continue;
    const at = db.getExpire(key);
    let ttl = 0;
    if (at !== undefined) {
      ttl = at - Date.now();
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    const argv: (string | Uint8Array)[] = [restore, fromKey(key), String(ttl)];
    argv.push(createDumpPayload(v));
    if (m.replace) argv.push("REPLACE");
    sent.push(key);
    out.push(encodeCommand(argv));
    if (performance.now() - t0 > SLICE_MS) {
      await new Promise((r) => setTimeout(r, 0));
      t0 = performance.now();
    }
  }
  return out;
}

function ioError(e: unknown): string {
  if (e instanceof MigrateIoError) {
    return e.phase === "connecting"
      ? "IOERR error or timeout connecting to the client"
      : `IOERR error or timeout ${e.phase} to target instance`;
  }
  throw e;
}

/** RESTORE-ASKING: RESTORE that a node importing the slot accepts (routing reads its flag). */
function restoreAsking(ctx: Ctx, args: Uint8Array[]): void {
  const restore = ctx.server.table.get("restore")!;
  // Recorded in the WAL as a plain RESTORE: replay must not depend on cluster state.
  args[0] = RESTORE;
  restore.run(ctx, args);
}

const RESTORE = new TextEncoder().encode("RESTORE");

export const migrateCommands = [
  { name: "migrate", run: migrate },
  { name: "restore-asking", run: restoreAsking },
];
