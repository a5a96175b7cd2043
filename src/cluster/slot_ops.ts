// Key deletions the cluster makes on its own (a migrated key leaves, a lost slot is emptied). They
// go through the write path like any DEL, so the WAL records the keys this node loses.

import type { Server } from "../server/server.ts";
import type { Db } from "../store/db.ts";
import { fromKey } from "../util/bytes.ts";
import type { Cluster } from "./cluster.ts";

/** Deletes keys as one write unit: a DEL per key for the WAL, events for the feed and WATCH. */
export function deleteKeys(server: Server, db: Db, keys: string[]): number {
  const wp = server.wp;
  let n = 0;
  wp.begin();
  try {
    for (const k of keys) {
      server.rewrite?.beforeWrite(db.id, k);
      if (!db.delete(k)) continue;
      n++;
      wp.propagate(db.id, ["DEL", fromKey(k)]);
      server.keyChanged(db, k, "del", "g");
    }
  } finally {
    wp.end();
  }
  return n;
}

/** Keys deleted per step when emptying a slot, so the loop is never held for long. */
const DELETE_BATCH = 1000;

/** Empties a slot this node no longer serves (Redis's delKeysInSlot), in small steps. */
export function deleteKeysInSlot(cluster: Cluster, slot: number): void {
  const step = () => {
    if (cluster.state.owners[slot] === cluster.myself) return; // it came back: keep the rest
    const keys = cluster.keys.keys(slot, DELETE_BATCH);
    if (keys.length === 0) return;
    deleteKeys(cluster.server, cluster.server.dbs[0], keys);
    setTimeout(step, 0);
  };
  step();
}
