// Serves the embedded web UI (src/net/ui_bundle.gen.ts, built by `deno task build:web`): brotli
// or gzip as the client accepts, ETags and 304s, immutable caching for hashed asset names, and
// index.html for `/` and the UI's client-side routes. Nothing is read from disk at run time.

import { gunzipSync } from "node:zlib";
import { UI_ASSETS, type UiBundleAsset } from "./ui_bundle.gen.ts";

/** Top-level paths the single-page app routes itself (history API); they all get index.html. */
const SPA_ROUTES = new Set([
  "keys",
  "feed",
  "analysis",
  "transfer",
  "console",
  "server",
  "cluster",
  "login",
]);

interface Decoded {
  gzip: Uint8Array<ArrayBuffer>;
  br: Uint8Array<ArrayBuffer>;
  identity?: Uint8Array<ArrayBuffer>;
}

const decoded = new Map<string, Decoded>();

function bytesOf(path: string, asset: UiBundleAsset): Decoded {
  let d = decoded.get(path);
  if (!d) {
    d = { gzip: fromBase64(asset.gzip), br: fromBase64(asset.br) };
    decoded.set(path, d);
  }
  return d;
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Which asset a request path names: exact assets, else index.html for `/` and SPA routes. */
function assetPath(pathname: string): string | undefined {
  if (pathname !== "/index.html" && UI_ASSETS[pathname]) return pathname;
  if (pathname === "/" || pathname === "/index.html") return "/index.html";
  const first = pathname.split("/")[1];
  return SPA_ROUTES.has(first) ? "/index.html" : undefined;
}

/** Picks br, then gzip, by the request's Accept-Encoding (q=0 excludes). */
function pickEncoding(
  acceptEncoding: string | null,
): "br" | "gzip" | "identity" {
  if (!acceptEncoding) return "identity";
  const accepted = new Set<string>();
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q && Number(q.slice(2)) === 0) continue;
    accepted.add(name.trim());
  }
  if (accepted.has("br")) return "br";
  if (accepted.has("gzip") || accepted.has("*")) return "gzip";
  return "identity";
}

const INDEX_CSP = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/**
 * The web UI's response for `req`, or undefined when the path is not the UI's (the HTTP server
 * then tries its API routes or answers 404). Only GET and HEAD are answered.
 */
export function serveUi(req: Request): Response | undefined {
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  const path = assetPath(new URL(req.url).pathname);
  if (!path) return undefined;
  const asset = UI_ASSETS[path];
  const headers = new Headers({
    "content-type": asset.type,
    "etag": asset.etag,
    "vary": "accept-encoding",
    "x-content-type-options": "nosniff",
    "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
  });
  if (path === "/index.html") {
    headers.set("content-security-policy", INDEX_CSP);
    headers.set("referrer-policy", "no-referrer");
  }
  const inm = req.headers.get("if-none-match");
  if (
    inm &&
    inm.split(",").some((t) => t.trim().replace(/^W\//, "") === asset.etag)
  ) {
    return new Response(null, { status: 304, headers });
  }
  const encoding = pickEncoding(req.headers.get("accept-encoding"));
  const d = bytesOf(path, asset);
  let body: Uint8Array<ArrayBuffer>;
  if (encoding === "identity") {
    d.identity ??= new Uint8Array(gunzipSync(d.gzip));
    body = d.identity;
  } else {
    headers.set("content-encoding", encoding);
    body = encoding === "br" ? d.br : d.gzip;
  }
  headers.set("content-length", String(body.length));
  return new Response(req.method === "HEAD" ? null : body, { headers });
}
