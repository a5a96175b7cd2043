// Keyspace notifications (Redis's notify.c): each change record's key events become PUBLISHes to
// `__keyspace@<db>__:<key>` (message: the event) and `__keyevent@<db>__:<event>` (message: the
// key), filtered by the `notify-keyspace-events` classes, which CONFIG SET changes live.

import type { Server } from "../server/server.ts";
import type { ChangeRecord } from "../server/write_path.ts";
import { publish } from "../server/pubsub.ts";
import { parseKeyspaceEvents } from "../config_special.ts";
import { fromKey, utf8 } from "../util/bytes.ts";

const KEYSPACE = parseKeyspaceEvents("K");
const KEYEVENT = parseKeyspaceEvents("E");

/** Class letter → flag bit ("$" → string class, "x" → expired, …), as the config parser reads it. */
const CLASS_BITS = new Map<string, number>(
  [..."g$lshzxetmdn"].map((c) => [c, parseKeyspaceEvents(c)]),
);

/** Cached channel prefixes per db: `__keyspace@3__:` and `__keyevent@3__:`. */
const spacePrefix: Uint8Array[] = [];
const eventPrefix: Uint8Array[] = [];

function prefix(cache: Uint8Array[], kind: string, db: number): Uint8Array {
  return cache[db] ??= utf8(`__${kind}@${db}__:`);
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Event names as bytes, encoded once. */
const eventBytes = new Map<string, Uint8Array>();

/**
 * Publishes keyspace notifications for every change record. Returns a function that detaches it.
 * Costs one flag test per record while notifications are off (the default).
 */
export function installNotifications(server: Server): () => void {
  let flags = 0;
  server.config.watch("notify-keyspace-events", (v) => (flags = parseKeyspaceEvents(String(v))));
  return server.wp.subscribe((rec: ChangeRecord) => {
    if (flags === 0 || (flags & (KEYSPACE | KEYEVENT)) === 0) return;
    for (const ev of rec.events) {
      const bit = CLASS_BITS.get(ev.cls) ?? 0;
      if ((flags & bit) === 0) continue;
      let event = eventBytes.get(ev.event);
      if (event === undefined) eventBytes.set(ev.event, event = utf8(ev.event));
      const key = fromKey(ev.key);
      if (flags & KEYSPACE) {
        publish(server, join(prefix(spacePrefix, "keyspace", ev.db), key), event);
      }
      if (flags & KEYEVENT) {
        publish(server, join(prefix(eventPrefix, "keyevent", ev.db), event), key);
      }
    }
  });
}
