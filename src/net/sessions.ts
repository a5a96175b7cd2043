// HTTP/WebSocket logins: when the server requires a password (requirepass; ACL users later), a
// login with the same credentials as AUTH yields a session token, sent back as an HttpOnly cookie
// and in the JSON body (for scripts: `Authorization: Bearer <token>`). Credentials never travel in
// URLs and are never logged.

import type { Server } from "../server/server.ts";

/** How long a session lives without use. */
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const SESSION_COOKIE = "reredis_session";

/**
 * The credential check behind /api/login and the WebSocket `auth` op: returns the user name on
 * success. Replace `credentialCheck.check` when ACL users exist (src/server has no ACL yet), so
 * HTTP follows AUTH exactly.
 */
export const credentialCheck = {
  check(server: Server, username: string | undefined, password: string): string | undefined {
    const pass = server.config.str("requirepass");
    if ((username === undefined || username === "default") && pass !== "" && password === pass) {
      return "default";
    }
    return undefined;
  },
  /** True when HTTP and WebSocket clients must log in (the server has a password / users). */
  required(server: Server): boolean {
    return server.authRequired();
  },
};

interface Session {
  user: string;
  lastUsed: number;
}

const stores = new WeakMap<Server, Map<string, Session>>();

function store(server: Server): Map<string, Session> {
  let s = stores.get(server);
  if (!s) stores.set(server, s = new Map());
  return s;
}

/** Checks credentials; a new session token on success. */
export function login(server: Server, username: string | undefined, password: string): {
  token: string;
  user: string;
} | undefined {
  const user = credentialCheck.check(server, username, password);
  if (user === undefined) return undefined;
  const token = [...crypto.getRandomValues(new Uint8Array(24))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const sessions = store(server);
  sessions.set(token, { user, lastUsed: Date.now() });
  if (sessions.size > 10_000) expire(sessions);
  return { token, user };
}

export function logout(server: Server, token: string): void {
  store(server).delete(token);
}

function expire(sessions: Map<string, Session>): void {
  const limit = Date.now() - SESSION_IDLE_MS;
  for (const [t, s] of sessions) if (s.lastUsed < limit) sessions.delete(t);
}

/** The user a token belongs to (refreshing it), or undefined. */
export function sessionUser(server: Server, token: string | undefined): string | undefined {
  if (!token) return undefined;
  const s = store(server).get(token);
  if (!s) return undefined;
  if (Date.now() - s.lastUsed > SESSION_IDLE_MS) {
    store(server).delete(token);
    return undefined;
  }
  s.lastUsed = Date.now();
  return s.user;
}

/** The session token a request carries: `Authorization: Bearer …` or the session cookie. */
export function requestToken(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) return auth.slice(7).trim();
  const cookie = headers.get("cookie");
  if (!cookie) return undefined;
  for (const part of cookie.split(";")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === SESSION_COOKIE) return v;
  }
  return undefined;
}

/**
 * Who is making this request: the user name, "default" when no login is required, or undefined
 * when a login is required and the request has no valid session.
 */
export function requestUser(server: Server, headers: Headers): string | undefined {
  if (!credentialCheck.required(server)) return "default";
  return sessionUser(server, requestToken(headers));
}
