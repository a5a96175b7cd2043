// Active expiry, as Redis's activeExpireCycle: each tick walks the keys with a TTL in every db,
// 20 at a time, deleting expired ones; it repeats while more than 25 % of a sample had expired,
// and stops when its time slice (25 % of the tick, at most a few ms) is used up.

import type { Server } from "./server.ts";

const KEYS_PER_LOOP = 20;
const ACCEPTABLE_STALE = 25; // percent
const SLICE_MS = 5;

export function activeExpireCycle(server: Server): void {
  if (server.loading) return;
  const start = performance.now();
  const now = Date.now();
  let sampledTotal = 0;
  let expiredTotal = 0;
  for (const db of server.dbs) {
    if (db.expires.size === 0) continue;
    for (;;) {
      let sampled = 0;
      let expired = 0;
      let ttlSum = 0;
      let ttlSamples = 0;
      db.expireCursor ??= db.expires.entries();
      while (sampled < KEYS_PER_LOOP) {
        const next = db.expireCursor.next();
        if (next.done) {
          db.expireCursor = undefined;
          break;
        }
        const [key, at] = next.value;
        sampled++;
        if (at <= now) {
          server.expireKey(db, key);
          expired++;
        } else {
          ttlSum += at - now;
          ttlSamples++;
        }
      }
      if (ttlSamples > 0) {
        const avg = ttlSum / ttlSamples;
        db.avgTtl = db.avgTtl ? (db.avgTtl / 50) * 49 + avg / 50 : avg;
      }
      sampledTotal += sampled;
      expiredTotal += expired;
      if (performance.now() - start > SLICE_MS) {
        server.stats.expiredTimeCapReachedCount++;
        break;
      }
      if (sampled === 0 || expired * 100 <= sampled * ACCEPTABLE_STALE) break;
    }
    if (performance.now() - start > SLICE_MS) break;
  }
  const perc = sampledTotal ? expiredTotal / sampledTotal : 0;
  server.stats.expiredStalePerc = perc * 0.05 + server.stats.expiredStalePerc * 0.95;
}
