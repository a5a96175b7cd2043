// Starts one Reredis node from a Config: the server, its RESP listener, HTTP, and periodic tasks.

import type { Config } from "./config.ts";
import { Server } from "./server/server.ts";
import { ALL_COMMANDS } from "./commands/index.ts";
import { startRespServer } from "./net/resp_server.ts";
import { startHttpServer } from "./net/http.ts";
import type { Transport } from "./net/socket.ts";
import { REDIS_VERSION } from "./commands/table.ts";
import { startWal } from "./wal/lifecycle.ts";
import { Cluster } from "./cluster/cluster.ts";
import { installObservers } from "./feed/observers.ts";

export const REREDIS_VERSION = "0.1.0";

export interface NodeOptions {
  /** Socket implementation for the RESP port (see docs/performance.md). */
  transport?: Transport;
}

export async function startNode(config: Config, opts: NodeOptions = {}): Promise<Server> {
  const server = new Server(config, ALL_COMMANDS);
  const log = server.log;
  installObservers(server);
  log.notice(
    `Reredis ${REREDIS_VERSION} (Redis ${REDIS_VERSION} compatible), pid=${Deno.pid}, just started`,
  );
  const binds = config.str("bind").split(" ").filter((b) => b !== "");
  const host = binds[0]?.replace(/^-/, "") ?? "127.0.0.1";
  // Nothing may be written before the WAL has replayed and is logging: clients get -LOADING.
  if (config.bool("appendonly")) server.loading = true;
  const transport = opts.transport ??
    (Deno.env.get("REREDIS_TRANSPORT") === "node" ? "node" : "deno");
  await startRespServer(server, host, config.num("port"), transport);
  const httpPort = config.num("http-port");
  if (httpPort !== 0 || Deno.env.get("REREDIS_HTTP_EPHEMERAL")) {
    await startHttpServer(server, host, httpPort);
  }
  if (config.bool("cluster-enabled")) await Cluster.start(server, host); // before keys load
  await startWal(server);
  server.startCron();
  log.notice(`Ready to accept connections tcp on ${host}:${server.ports.resp}`);
  if (server.ports.http) log.notice(`HTTP and web UI on http://${host}:${server.ports.http}/`);
  return server;
}
