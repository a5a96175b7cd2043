// The RESP listener: accepts connections on the chosen transport and wires each to a Client.

import type { Server } from "../server/server.ts";
import { listen, type Listener, type Transport } from "./socket.ts";

/** Starts accepting RESP connections; resolves once the port is bound. */
export async function startRespServer(
  server: Server,
  hostname: string,
  port: number,
  transport: Transport = "deno",
): Promise<Listener> {
  const listener = await listen(transport, hostname, port, (conn) => {
    if (server.clients.size >= server.config.num("maxclients")) {
      server.stats.rejectedConnections++;
      conn.write(new TextEncoder().encode("-ERR max number of clients reached\r\n"));
      conn.end();
      return { data() {}, drain() {}, close() {} };
    }
    const client = server.newClient(conn);
    return {
      data: (chunk) => client.onData(chunk),
      drain: () => client.onDrain(),
      close: () => {
        if (!client.closed) {
          client.closed = true;
          server.removeClient(client);
        }
      },
    };
  });
  server.ports.resp = listener.port;
  server.shutdownHooks.push(() => listener.close());
  return listener;
}
