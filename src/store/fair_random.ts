// A fairer random member of a ScanIndex-backed collection, like Redis's dictGetFairRandomKey:
// a single random bucket favours members of sparse buckets, so we sample ~20 members from
// consecutive buckets at a random position and pick one of them uniformly.

import type { ScanIndex } from "./scan_index.ts";

const SAMPLE = 20;
const SMALL = 64;

/**
 * A random member. `members` iterates the collection (used as is for small sizes, where a
 * uniform pick by position is cheap); `size` must be > 0.
 */
export function fairRandom(
  index: ScanIndex,
  size: number,
  members: () => Iterable<string>,
): string {
  if (size <= SMALL) {
    let k = Math.floor(Math.random() * size);
    for (const m of members()) if (k-- === 0) return m;
  }
  // Finish a pending shrink first: samples in a sparse old table take many steps.
  index.rehashFor(0);
  const sample: string[] = [];
  // The table has at least `size` buckets, so `size` steps never visit a bucket twice.
  const maxSteps = Math.min(size, SAMPLE * 10);
  let cursor = Math.floor(Math.random() * 0x100000000);
  for (let step = 0; step < maxSteps && sample.length < SAMPLE; step++) {
    cursor = index.scanInto(cursor, sample);
  }
  if (sample.length === 0) return index.random()!;
  return sample[Math.floor(Math.random() * sample.length)];
}
