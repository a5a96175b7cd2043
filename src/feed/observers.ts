// Everything that watches the server from the side, installed once per node at start-up:
// keyspace notifications, the slow log and latency monitoring/tracking. (The change feed starts
// with the HTTP server; CLIENT TRACKING on its first use.)

import type { Server } from "../server/server.ts";
import { installNotifications } from "./notifications.ts";
import { installSlowlog } from "../commands/slowlog.ts";
import { installLatency } from "../commands/latency.ts";

export function installObservers(server: Server): void {
  installNotifications(server);
  installSlowlog(server);
  installLatency(server);
}
