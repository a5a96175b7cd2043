// The one WebSocket to the server (/ws, protocol in docs/websocket.md): runs commands by id,
// receives change events, reconnects and resumes with `since`, and notices when a login is needed
// (the session is an HttpOnly cookie from POST /api/login, which the socket's upgrade carries).

import { signal } from "@preact/signals";

/** A reply mapped to JSON as the server sends it ({error} for errors, {base64} for binary). */
export type Json = null | boolean | number | string | Json[] | {
  [k: string]: Json;
};

/** One change event from the feed. */
export interface FeedEvent {
  op: "event";
  seq: number;
  ts: number;
  db: number;
  key: string;
  event: string;
  type?: string | null;
  ttlMs?: number | null;
  value?: Json;
  truncated?: boolean;
}

export type Arg = string | number | { base64: string };

/** A Redis error reply, thrown by cmd(). */
export class ReplyError extends Error {
  override name = "ReplyError";
}

export const connState = signal<"connecting" | "open" | "closed" | "auth">(
  "connecting",
);
/** True when the server requires a login (so the UI offers to log out). */
export const loginRequired = signal(false);
/** Set when the server asked for credentials; the Login view shows it. */
export const authError = signal("");

type Pending = { resolve: (v: Json) => void; reject: (e: Error) => void };
type Listener = (e: FeedEvent) => void;

let ws: WebSocket | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();
const queue: string[] = [];
const listeners = new Set<Listener>();
const otherListeners = new Set<(m: Record<string, Json>) => void>();
let lastSeq = 0;
let retryMs = 250;
/** The db the socket's connection has SELECTed, tracked because every view shares it. */
let currentDb = 0;

function wsUrl(): string {
  const u = new URL("/ws", location.href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}

/** Opens the socket (again); called once at start and after a close. */
export function connect(): void {
  if (ws && ws.readyState <= WebSocket.OPEN) return;
  connState.value = connState.value === "auth" ? "auth" : "connecting";
  const sock = new WebSocket(wsUrl());
  ws = sock;
  let opened = false;
  sock.onopen = () => {
    opened = true;
    currentDb = 0;
    retryMs = 250;
    const sub: Record<string, Json> = { op: "subscribe", patterns: ["*"] };
    if (lastSeq) sub.since = lastSeq;
    sock.send(JSON.stringify(sub));
    for (const m of queue.splice(0)) sock.send(m);
    if (connState.value !== "auth") connState.value = "open";
  };
  sock.onmessage = (m) => {
    if (typeof m.data !== "string") return;
    let msg: Record<string, Json>;
    try {
      msg = JSON.parse(m.data);
    } catch {
      return;
    }
    if (msg.op === "event") {
      const e = msg as unknown as FeedEvent;
      if (e.seq > lastSeq) lastSeq = e.seq;
      for (const l of listeners) l(e);
    } else if (msg.op === "reply" || (msg.op === "error" && typeof msg.id === "number")) {
      // A command the server refused before running it (e.g. NOAUTH) answers as an error op.
      const p = pending.get(msg.id as number);
      if (!p) return;
      pending.delete(msg.id as number);
      p.resolve(msg.op === "reply" ? msg.result ?? null : { error: String(msg.message) });
    } else {
      if (msg.op === "error" && /^NOAUTH/.test(String(msg.message))) connState.value = "auth";
      for (const l of otherListeners) l(msg);
    }
  };
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = undefined;
    currentDb = 0;
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(new Error("connection closed"));
    }
    if (!opened) void checkAuthNeeded();
    if (connState.value !== "auth") connState.value = "closed";
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

/** Whether the server wants a login this page does not have (GET /api/session). */
export async function checkAuthNeeded(): Promise<boolean> {
  try {
    const r = await fetch("/api/session", { credentials: "same-origin" });
    if (!r.ok) return false;
    const s = await r.json() as { required?: boolean; user?: string | null };
    loginRequired.value = !!s.required;
    if (s.required && !s.user) {
      connState.value = "auth";
      return true;
    }
  } catch { /* no HTTP API or server down: the socket will tell */ }
  return false;
}

function sendNow(args: Arg[]): Promise<Json> {
  const id = nextId++;
  const text = JSON.stringify({ op: "command", id, args });
  return new Promise<Json>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
    else queue.push(text);
  });
}

/** True when a reply is an error object. */
export function isError(v: Json): v is { error: string } {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    typeof v.error === "string";
}

/** Runs a command; resolves with the reply, errors included as {error}. */
export async function cmdRaw(...args: Arg[]): Promise<Json> {
  const r = await sendNow(args);
  if (
    isError(r) && /^NOAUTH|^WRONGPASS/.test(r.error) &&
    String(args[0]).toUpperCase() !== "AUTH"
  ) {
    connState.value = "auth";
  }
  return r;
}

/** Runs a command; throws ReplyError on an error reply. */
export async function cmd(...args: Arg[]): Promise<Json> {
  const r = await cmdRaw(...args);
  if (isError(r)) throw new ReplyError(r.error);
  return r;
}

/** Runs a command in database `db` (SELECTing first when the shared connection is elsewhere). */
export function dbCmdRaw(db: number, ...args: Arg[]): Promise<Json> {
  if (db !== currentDb) {
    sendNow(["SELECT", db]).catch(() => {});
    currentDb = db;
  }
  return cmdRaw(...args);
}

/** dbCmdRaw that throws ReplyError on an error reply. */
export async function dbCmd(db: number, ...args: Arg[]): Promise<Json> {
  const r = await dbCmdRaw(db, ...args);
  if (isError(r)) throw new ReplyError(r.error);
  return r;
}

/**
 * Logs in through POST /api/login (the server sets an HttpOnly session cookie; the password is
 * kept nowhere) and reloads, so the socket and every view start over authenticated.
 */
export async function login(username: string, password: string): Promise<string | undefined> {
  const body: Record<string, string> = { password };
  if (username) body.username = username;
  const r = await fetch("/api/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const reply = await r.json().catch(() => ({})) as { error?: string };
  if (!r.ok) return reply.error ?? `login failed (${r.status})`;
  location.reload();
  return undefined;
}

/** Ends the session (POST /api/logout) and reloads to the login screen. */
export async function logout(): Promise<void> {
  await fetch("/api/logout", { method: "POST", credentials: "same-origin" }).catch(() => {});
  location.reload();
}

/** Calls `fn` for every change event; returns the unsubscribe function. */
export function onEvent(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Calls `fn` for protocol messages other than events and replies (lagged, resync, error). */
export function onMessage(fn: (m: Record<string, Json>) => void): () => void {
  otherListeners.add(fn);
  return () => otherListeners.delete(fn);
}

/** Sends a raw protocol message (e.g. a profiler op); false when not connected. */
export function sendOp(msg: Record<string, Json>): boolean {
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(msg));
  return true;
}
