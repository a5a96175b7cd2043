// The HTTP side: /healthz, /metrics, the JSON API (api.ts), the WebSocket change feed (/ws, ws.ts)
// and the web UI (ui_assets.ts). node:http rather than Deno.serve: its `upgrade` event hands over
// the raw socket, which the feed needs for batched, shared WebSocket frames (see ws.ts). Handlers
// are fetch-style (Request → Response); this file adapts them.

import http from "node:http";
import type { Duplex } from "node:stream";
import type { Server } from "../server/server.ts";
import { feedOf } from "../feed/feed.ts";
import { acceptKey, WsSession } from "./ws.ts";
import { handleApi } from "./api.ts";
import { metricsText, startLoopLagSampler } from "./metrics.ts";
import { serveUi } from "./ui_assets.ts";
import { credentialCheck, requestToken, requestUser, sessionUser } from "./sessions.ts";

/** Routes one request (everything but the WebSocket upgrade). */
export async function handleHttp(server: Server, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  if (path === "/healthz") return Response.json({ ok: true, loading: server.loading });
  if (path === "/metrics" || path.startsWith("/api/")) {
    const user = requestUser(server, req.headers);
    if (path === "/metrics") {
      if (user === undefined) return unauthorized();
      return new Response(metricsText(server), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    return await handleApi(server, req, url, user);
  }
  const ui = serveUi(req);
  if (ui) return ui;
  return Response.json({ error: "not found" }, { status: 404 });
}

export function unauthorized(): Response {
  return Response.json({ error: "NOAUTH Authentication required: POST /api/login" }, {
    status: 401,
  });
}

/** Largest request body read (PUT /api/keys values, login). */
function bodyLimit(server: Server): number {
  return server.config.num("http-max-body-size");
}

export function startHttpServer(server: Server, hostname: string, port: number): Promise<void> {
  const feed = feedOf(server);
  const stopLagSampler = startLoopLagSampler(server);
  const sockets = new Set<Duplex>();
  const srv = http.createServer((req, res) => {
    toRequest(server, req, hostname).then(
      (request) => request ? handleHttp(server, request) : tooLarge(),
    ).catch((e) => {
      server.log.warning(`HTTP ${req.method} ${req.url}: ${e instanceof Error ? e.stack : e}`);
      return Response.json({ error: "internal error" }, { status: 500 });
    }).then((response) => writeResponse(res, response, req.method === "HEAD"))
      .catch(() => res.destroy());
  });
  srv.on("upgrade", (req: http.IncomingMessage, sock: Duplex, head: Uint8Array) => {
    const h = toHeaders(req);
    const key = h.get("sec-websocket-key");
    const path = (req.url ?? "").split("?")[0];
    if (
      path !== "/ws" || !key || h.get("upgrade")?.toLowerCase() !== "websocket" ||
      h.get("sec-websocket-version") !== "13"
    ) {
      sock.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    sock.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
    );
    (sock as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    const s = sock as Duplex & {
      remoteAddress?: string;
      remotePort?: number;
      writableLength: number;
    };
    const session = new WsSession(
      server,
      feed,
      s,
      wsUser(server, h),
      `${s.remoteAddress ?? "?"}:${s.remotePort ?? 0}`,
      `${hostname}:${server.ports.http}`,
    );
    if (head && head.length > 0) s.emit("data", head);
    void session;
  });
  return new Promise((resolve, reject) => {
    srv.once("error", reject);
    srv.listen({ host: hostname, port }, () => {
      srv.off("error", reject);
      const addr = srv.address();
      server.ports.http = typeof addr === "object" && addr ? addr.port : port;
      resolve();
    });
    server.shutdownHooks.push(() => {
      stopLagSampler();
      for (const s of sockets) s.destroy();
      feed.stop();
      return new Promise<void>((r) => {
        srv.close(() => r());
        (srv as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    });
  });
}

/**
 * The user a WebSocket starts as: its session (cookie or Bearer) or "default" when no login is
 * needed. A cookie only counts for same-origin pages (a page elsewhere cannot ride the session).
 */
function wsUser(server: Server, h: Headers): string | undefined {
  if (!credentialCheck.required(server)) return "default";
  const origin = h.get("origin");
  if (origin && !h.get("authorization")) {
    try {
      if (new URL(origin).host !== h.get("host")) return undefined;
    } catch {
      return undefined;
    }
  }
  return sessionUser(server, requestToken(h));
}

function toHeaders(req: http.IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) { for (const x of v) h.append(k, x); }
    else h.set(k, v);
  }
  return h;
}

/** The fetch Request for a node request; undefined when the body is over the limit. */
async function toRequest(
  server: Server,
  req: http.IncomingMessage,
  hostname: string,
): Promise<Request | undefined> {
  const headers = toHeaders(req);
  const host = headers.get("host") ?? `${hostname}:${server.ports.http}`;
  const url = `http://${host}${req.url ?? "/"}`;
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers });
  const limit = bodyLimit(server);
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > limit) return undefined;
    chunks.push(c);
  }
  const body = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    body.set(c, o);
    o += c.length;
  }
  return new Request(url, { method, headers, body });
}

function tooLarge(): Response {
  return Response.json({ error: "request body too large" }, { status: 413 });
}

async function writeResponse(
  res: http.ServerResponse,
  r: Response,
  head: boolean,
): Promise<void> {
  const cookies = r.headers.getSetCookie();
  r.headers.forEach((v, k) => {
    if (k !== "set-cookie") res.setHeader(k, v);
  });
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  res.statusCode = r.status;
  const body = r.body && !head ? new Uint8Array(await r.arrayBuffer()) : undefined;
  if (body && !res.hasHeader("content-length")) res.setHeader("content-length", body.length);
  res.end(body);
}
