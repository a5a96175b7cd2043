// The HTTP side (Deno.serve): health check for now; the change feed, API and web UI attach here.

import type { Server } from "../server/server.ts";

export function startHttpServer(server: Server, hostname: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const http = Deno.serve({
      hostname,
      port,
      onListen: ({ port }) => {
        server.ports.http = port;
        resolve();
      },
    }, (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/healthz") {
        return Response.json({ ok: true, loading: server.loading });
      }
      return new Response(
        "Reredis: the web UI is not built yet. RESP is on port " + server.ports.resp,
        {
          status: url.pathname === "/" ? 200 : 404,
          headers: { "content-type": "text/plain; charset=utf-8" },
        },
      );
    });
    server.shutdownHooks.push(() => http.shutdown());
  });
}
