// PUBLISH reaches subscribers on every node of a cluster (Redis's clusterPropagatePublish): the
// command runs as usual here, then the message travels on the bus and each node delivers it to
// its own subscribers. Keyspace notifications and SPUBLISH stay local, as in Redis.

import { publish } from "../server/pubsub.ts";
import { fromKey, toKey } from "../util/bytes.ts";
import type { Cluster } from "./cluster.ts";

export function bridgePublish(cl: Cluster): void {
  const cmd = cl.server.table.get("publish");
  if (!cmd) return;
  const run = cmd.run;
  cmd.run = (ctx, args) => {
    run(ctx, args);
    cl.gossip.broadcastPublish(toKey(args[1]), toKey(args[2]));
  };
  cl.gossip.onPublish = (channel, message) => {
    publish(cl.server, fromKey(channel), fromKey(message));
  };
}
