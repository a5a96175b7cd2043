// Keys by hash slot (Redis's slot_to_keys), for COUNTKEYSINSLOT, GETKEYSINSLOT and migration.
// It rides on db 0's ScanIndex, which the keyspace already updates exactly when a key appears or
// disappears, so no command has to know about slots.

import { ScanIndex } from "../store/scan_index.ts";
import type { Db } from "../store/db.ts";
import { slotOfKey, SLOTS } from "./slots.ts";

/** A ScanIndex that also files each key under its slot. */
export class SlotKeyIndex extends ScanIndex {
  readonly bySlot: (Set<string> | undefined)[] = new Array(SLOTS).fill(undefined);

  override add(key: string): void {
    super.add(key);
    const s = slotOfKey(key);
    const set = this.bySlot[s];
    if (set) set.add(key);
    else this.bySlot[s] = new Set([key]);
  }

  override remove(key: string): boolean {
    if (!super.remove(key)) return false;
    this.bySlot[slotOfKey(key)]?.delete(key);
    return true;
  }

  override clear(): void {
    super.clear();
    this.bySlot.fill(undefined);
  }

  count(slot: number): number {
    return this.bySlot[slot]?.size ?? 0;
  }

  /** Up to `max` keys of a slot (in insertion order). */
  keys(slot: number, max: number): string[] {
    const out: string[] = [];
    const set = this.bySlot[slot];
    if (!set || max <= 0) return out;
    for (const k of set) {
      out.push(k);
      if (out.length >= max) break;
    }
    return out;
  }
}

/** Installs the slot index on a db (cluster mode uses db 0 only); keys already there are filed. */
export function installSlotIndex(db: Db): SlotKeyIndex {
  if (db.index instanceof SlotKeyIndex) return db.index;
  const idx = new SlotKeyIndex();
  for (const k of db.dict.keys()) idx.add(k);
  db.index = idx;
  return idx;
}
