// The JSON API (docs/http_api.md): login, INFO as JSON, SCAN-backed key listing, one key's value
// by type (read, replace, delete) and the cluster view. Writes run as Redis commands through a
// client of their own, so they take the one write path (WAL, feed, notifications) like any other.

import type { Server } from "../server/server.ts";
import type { Client } from "../server/client.ts";
import type { Conn } from "./socket.ts";
import { decodeAt, encodeCommand, type RespValue } from "../resp/decoder.ts";
import { binJson, type Json, respJson, valueJson, valueSize } from "../feed/json.ts";
import { typeName } from "../store/types.ts";
import { infoFields, infoSectionNames } from "../server/info.ts";
import { bytesToLatin1 } from "../util/numbers.ts";
import { utf8 } from "../util/bytes.ts";
import { credentialCheck, login, logout, requestToken, SESSION_COOKIE } from "./sessions.ts";

/** Largest value GET /api/keys/<key> returns whole (bytes, or elements for collections). */
const VALUE_LIMIT = 8 * 1024 * 1024;

type Arg = string | Uint8Array;

/**
 * GET /api/cluster: nodes and slot ranges. A single-node answer from server state; the cluster
 * module replaces `clusterView.get` with the real topology.
 */
export const clusterView = {
  get(server: Server): Json {
    const port = server.ports.resp;
    return {
      enabled: server.clusterEnabled,
      nodes: [{
        id: server.runId.slice(0, 40),
        addr: `127.0.0.1:${port}`,
        httpPort: server.ports.http,
        role: "master",
        self: true,
        slots: [[0, 16383]],
      }],
    };
  },
};

export async function handleApi(
  server: Server,
  req: Request,
  url: URL,
  user: string | undefined,
): Promise<Response> {
  const path = url.pathname;
  const method = req.method;
  if (path === "/api/login" && method === "POST") return await apiLogin(server, req);
  if (path === "/api/logout" && method === "POST") {
    const t = requestToken(req.headers);
    if (t) logout(server, t);
    return Response.json({ ok: true }, {
      headers: { "set-cookie": `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` },
    });
  }
  if (path === "/api/session") {
    return Response.json({ required: credentialCheck.required(server), user: user ?? null });
  }
  if (user === undefined) {
    return Response.json({ error: "NOAUTH Authentication required: POST /api/login" }, {
      status: 401,
    });
  }
  if (path === "/api/info" && method === "GET") return apiInfo(server, url);
  if (path === "/api/cluster" && method === "GET") return Response.json(clusterView.get(server));
  if (path === "/api/keys" && method === "GET") return await apiScan(server, user, url);
  if (path.startsWith("/api/keys/")) {
    const key = percentDecodeBytes(path.slice("/api/keys/".length));
    const db = dbParam(server, url);
    if (key === undefined || db === undefined) return bad("bad key or db");
    if (method === "GET") return apiGetKey(server, db, key);
    if (method === "DELETE") {
      const [r] = await runCommands(server, user, db, [["DEL", key]]);
      return replyResponse(r, (n) => ({ deleted: n }));
    }
    if (method === "PUT") return await apiPutKey(server, user, db, key, req);
  }
  return Response.json({ error: "not found" }, { status: 404 });
}

function bad(message: string, status = 400): Response {
  return Response.json({ error: message }, { status });
}

async function apiLogin(server: Server, req: Request): Promise<Response> {
  if (!credentialCheck.required(server)) return Response.json({ required: false, user: "default" });
  let body: { username?: unknown; password?: unknown };
  try {
    body = await req.json();
  } catch {
    return bad('body must be JSON: {"username"?: …, "password": …}');
  }
  if (typeof body.password !== "string") return bad("password must be a string");
  const name = typeof body.username === "string" ? body.username : undefined;
  const s = login(server, name, body.password);
  if (!s) return bad("WRONGPASS invalid username-password pair or user is disabled.", 401);
  return Response.json({ token: s.token, user: s.user }, {
    headers: {
      "set-cookie": `${SESSION_COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Strict`,
    },
  });
}

/** INFO as { section: { field: value } }; numbers as numbers, `a=1,b=2` values as objects. */
function apiInfo(server: Server, url: URL): Response {
  const want = url.searchParams.get("section")?.toLowerCase();
  const out: Record<string, Record<string, Json>> = {};
  for (const name of infoSectionNames()) {
    if (want && want !== name && want !== "all" && want !== "everything") continue;
    const fields: Record<string, Json> = {};
    for (const [k, v] of infoFields(server, name)) fields[k] = infoValue(v);
    out[name] = fields;
  }
  return Response.json(out);
}

function infoValue(v: string | number): Json {
  if (typeof v === "number") return v;
  if (/^-?\d+(\.\d+)?$/.test(v) && v.length < 16) return Number(v);
  if (/^[a-z_0-9]+=[^,]*(,[a-z_0-9]+=[^,]*)+$/.test(v)) {
    const o: Record<string, Json> = {};
    for (const part of v.split(",")) {
      const i = part.indexOf("=");
      o[part.slice(0, i)] = infoValue(part.slice(i + 1));
    }
    return o;
  }
  return v;
}

function dbParam(server: Server, url: URL): number | undefined {
  const s = url.searchParams.get("db") ?? "0";
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 && n < server.dbs.length ? n : undefined;
}

/** GET /api/keys: one SCAN step, each key with its type and TTL. */
async function apiScan(server: Server, user: string, url: URL): Promise<Response> {
  const db = dbParam(server, url);
  if (db === undefined) return bad("bad db");
  const args: Arg[] = ["SCAN", url.searchParams.get("cursor") || "0"];
  const match = url.searchParams.get("match");
  if (match) args.push("MATCH", match);
  args.push("COUNT", url.searchParams.get("count") || "100");
  const type = url.searchParams.get("type");
  if (type) args.push("TYPE", type);
  const [r] = await runCommands(server, user, db, [args]);
  if (!Array.isArray(r)) return replyResponse(r, () => null);
  const [cursor, keys] = r as [string, string[]];
  const d = server.dbs[db];
  return Response.json({
    cursor,
    keys: keys.map((k) => {
      const v = d.dict.get(k);
      const at = d.expires.get(k);
      return {
        key: binJson(k),
        type: v === undefined ? null : typeName(v),
        ttlMs: at === undefined ? null : Math.max(0, at - Date.now()),
      };
    }),
  });
}

/** GET /api/keys/<key>: type, TTL, size and the value (strings, lists, sets, hashes, zsets). */
function apiGetKey(server: Server, dbId: number, key: Uint8Array): Response {
  const d = server.dbs[dbId];
  const k = bytesToLatin1(key);
  const v = d.get(k, false);
  if (v === undefined) return Response.json({ error: "no such key" }, { status: 404 });
  const at = d.getExpire(k);
  const value = valueJson(v, VALUE_LIMIT);
  const out: Record<string, Json> = {
    key: binJson(k),
    db: dbId,
    type: typeName(v),
    ttlMs: at === undefined ? null : Math.max(0, at - Date.now()),
    size: valueSize(v),
    value: value ?? null,
  };
  if (value === undefined) out.truncated = true;
  return Response.json(out);
}

/** PUT /api/keys/<key> {type, value, ttlMs?}: replaces the key atomically (MULTI/EXEC). */
async function apiPutKey(
  server: Server,
  user: string,
  db: number,
  key: Uint8Array,
  req: Request,
): Promise<Response> {
  let body: { type?: unknown; value?: unknown; ttlMs?: unknown };
  try {
    body = await req.json();
  } catch {
    return bad('body must be JSON: {"type": …, "value": …, "ttlMs"?: …}');
  }
  const type = body.type ?? (typeof body.value === "string" ? "string" : undefined);
  let write: Arg[];
  try {
    write = writeCommand(String(type), key, body.value);
  } catch (e) {
    return bad((e as Error).message);
  }
  const ttl = body.ttlMs;
  if (ttl !== undefined && ttl !== null && (!Number.isSafeInteger(ttl) || (ttl as number) <= 0)) {
    return bad("ttlMs must be a positive integer or null");
  }
  const cmds: Arg[][] = [["MULTI"], ["DEL", key]];
  if (write.length > 2) cmds.push(write);
  if (typeof ttl === "number") cmds.push(["PEXPIRE", key, String(ttl)]);
  cmds.push(["EXEC"]);
  const replies = await runCommands(server, user, db, cmds);
  const exec = replies[replies.length - 1];
  if (!Array.isArray(exec)) return replyResponse(exec, () => null);
  const err = exec.find((r) => r !== null && typeof r === "object" && "-" in r);
  if (err) return replyResponse(err, () => null);
  return Response.json({ ok: true });
}

/** The command that stores a JSON value as `type` (the key is deleted first). */
function writeCommand(type: string, key: Uint8Array, value: unknown): Arg[] {
  const bytes = (x: unknown): Uint8Array => {
    if (typeof x === "string") return utf8(x);
    if (typeof x === "number" && Number.isFinite(x)) return utf8(String(x));
    if (x && typeof x === "object" && typeof (x as { base64?: unknown }).base64 === "string") {
      return Uint8Array.from(atob((x as { base64: string }).base64), (c) => c.charCodeAt(0));
    }
    throw new Error('values must be strings, numbers or {"base64": …}');
  };
  switch (type) {
    case "string":
      return ["SET", key, bytes(value)];
    case "list":
    case "set":
      if (!Array.isArray(value)) throw new Error(`a ${type} value is an array`);
      return [type === "list" ? "RPUSH" : "SADD", key, ...value.map(bytes)];
    case "hash": {
      if (!value || typeof value !== "object" || Array.isArray(value)) {
        throw new Error("a hash value is an object");
      }
      const out: Arg[] = ["HSET", key];
      for (const [f, v] of Object.entries(value)) out.push(utf8(f), bytes(v));
      return out;
    }
    case "zset": {
      const pairs: [unknown, unknown][] = Array.isArray(value)
        ? value as [unknown, unknown][]
        : Object.entries((value ?? {}) as object);
      const out: Arg[] = ["ZADD", key];
      for (const p of pairs) {
        if (!Array.isArray(p) || p.length !== 2) {
          throw new Error("a zset value is [[member, score], …]");
        }
        out.push(String(p[1]), bytes(p[0]));
      }
      return out;
    }
    default:
      throw new Error("type must be string, list, set, hash or zset");
  }
}

function replyResponse(r: RespValue, ok: (v: number) => Json): Response {
  if (r !== null && typeof r === "object" && "-" in r) {
    return Response.json({ error: r["-"] }, { status: 400 });
  }
  return Response.json(typeof r === "number" ? ok(r) : respJson(r));
}

/**
 * Runs commands in `db` as `user` on a short-lived client and resolves with their replies. The
 * client has a socket-less connection, so replies wait for durability exactly as a RESP client's.
 */
export function runCommands(
  server: Server,
  user: string,
  db: number,
  cmds: Arg[][],
): Promise<RespValue[]> {
  return new Promise((resolve) => {
    const replies: RespValue[] = [];
    let buf = new Uint8Array(0);
    const expected = cmds.length + 1; // SELECT first
    let client: Client | undefined = undefined;
    const finish = () => {
      if (client && !client.closed) client.kill();
      resolve(replies.slice(1));
    };
    const conn: Conn = {
      remoteAddr: "http",
      localAddr: `api:${server.ports.http}`,
      write(b) {
        const merged = new Uint8Array(buf.length + b.length);
        merged.set(buf);
        merged.set(b, buf.length);
        let pos = 0;
        for (;;) {
          const r = decodeAt(merged, pos);
          if (!r) break;
          replies.push(r[0]);
          pos = r[1];
        }
        buf = merged.slice(pos);
        if (replies.length >= expected) queueMicrotask(finish);
        return true;
      },
      end: () => queueMicrotask(finish),
      destroy: () => queueMicrotask(finish),
      pause() {},
      resume() {},
      pendingBytes: 0,
    };
    client = server.newClient(conn);
    client.setAuthenticated(user);
    const parts = [encodeCommand(["SELECT", String(db)]), ...cmds.map((c) => encodeCommand(c))];
    let n = 0;
    for (const p of parts) n += p.length;
    const all = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    client.onData(all);
  });
}

/** A URL path segment's percent-encoding decoded to raw bytes (keys need not be UTF-8). */
function percentDecodeBytes(s: string): Uint8Array | undefined {
  const out: number[] = [];
  const raw = utf8(s);
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x25) out.push(raw[i]);
    else {
      const h = parseInt(String.fromCharCode(raw[i + 1], raw[i + 2]), 16);
      if (!/^[0-9a-fA-F]{2}$/.test(String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0))) {
        return undefined;
      }
      out.push(h);
      i += 2;
    }
  }
  return out.length > 0 ? Uint8Array.from(out) : undefined;
}
