// The stream type (Redis's t_stream.c data layer). Entries live in StreamNodes — one per listpack
// Redis would have — kept in an array sorted by master id; finding an id is a binary search over
// nodes then inside one node (O(log n)), appends go to the tail node, trims drop nodes from the
// head. Node boundaries follow Redis's rules (stream-node-max-entries / -bytes on emulated listpack
// sizes), so `~` trimming removes exactly what Redis removes.
//
// Memory per entry (100k entries of 2 small fields, `deno test --v8-flags=--expose-gc
// tests/streams_test.ts --filter memory`): ~39 bytes — 12 of id + offset, 1+len per value, ~10 of
// node objects (heap) — against ~26 bytes of used_memory in redis-server 7.0 (listpack: ~9 bytes of
// flags, id deltas and lp-count, 2+len per value, integers packed). The node array is O(n/100)
// to splice, which stays a memmove of a few KB even for 10M entries.

import type { Int64 } from "../util/numbers.ts";
import type { RedisCollection } from "./types.ts";
import { ID_MAX, ID_ZERO, StreamId } from "./stream_id.ts";
import { StreamNode } from "./stream_node.ts";
import type { ConsumerGroup } from "./stream_groups.ts";

/** STREAM_LISTPACK_MAX_SIZE: a node never grows past 1 GiB. */
const LISTPACK_MAX = 1 << 30;

/** Counts appends across all streams: the order in which streams were last written. */
let appends = 0;

export interface NodeLimits {
  maxEntries: number;
  maxBytes: number;
}

/** XADD/XTRIM trimming (streamAddTrimArgs). `limit` 0 means unlimited. */
export interface TrimSpec {
  strategy: "maxlen" | "minid";
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  limit: number;
}

/** A live entry's place: node and index inside it. */
export interface EntryRef {
  node: StreamNode;
  i: number;
}

export class Stream implements RedisCollection {
  readonly type = "stream";
  nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamId = ID_ZERO;
  /** recorded-first-entry-id: 0-0 when empty. */
  firstId: StreamId = ID_ZERO;
  maxDeletedId: StreamId = ID_ZERO;
  entriesAdded: Int64 = 0;
  /** Consumer groups by name; created on first use, as Redis's s->cgroups. */
  groups: Map<string, ConsumerGroup> | undefined;
  /** When this stream was last appended to, across all streams (serving woken readers). */
  appendSeq = 0;

  get size(): number {
    return this.length;
  }

  encoding(): string {
    return "stream";
  }

  memoryUsage(): number {
    let m = 128;
    for (const n of this.nodes) m += n.memoryUsage();
    if (this.groups) {
      for (const [name, g] of this.groups) {
        m += 128 + name.length + g.pel.size * 64;
        for (const c of g.consumers.values()) m += 96 + c.name.length + c.pel.size * 24;
      }
    }
    return m;
  }

  /** Groups in Redis's rax order (bytewise by name). */
  sortedGroups(): [string, ConsumerGroup][] {
    if (!this.groups) return [];
    return [...this.groups].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  }

  /** streamNextID: the id `XADD *` would use at `nowMs`; undefined once every id is used. */
  nextAutoId(nowMs: number): StreamId | undefined {
    const last = this.lastId;
    if (nowMs > last.ms || (last.msHi === 0 && nowMs > last.msLo)) return StreamId.of(nowMs, 0);
    return last.next();
  }

  /**
   * streamAppendItem after the id checks: appends `pairs` field/value pairs from argv[from] with
   * `id` (> lastId), starting a new node when the tail is full.
   */
  append(id: StreamId, argv: Uint8Array[], from: number, pairs: number, lim: NodeLimits): void {
    let tail = this.nodes.length > 0 ? this.nodes[this.nodes.length - 1] : undefined;
    if (tail) {
      let maxBytes = lim.maxBytes;
      if (maxBytes === 0 || maxBytes > LISTPACK_MAX) maxBytes = LISTPACK_MAX;
      let total = 0;
      for (let i = 0; i < pairs * 2; i++) total += argv[from + i].length;
      if (
        tail.lpBytes() + total >= maxBytes ||
        (lim.maxEntries > 0 && tail.count + tail.deleted >= lim.maxEntries)
      ) {
        tail.shrink();
        tail = undefined;
      }
    }
    if (!tail) {
      const fields: Uint8Array[] = [];
      for (let i = 0; i < pairs; i++) fields.push(argv[from + 2 * i]);
      tail = new StreamNode(id, fields);
      this.nodes.push(tail);
    }
    tail.append(id, argv, from, pairs);
    this.appendSeq = ++appends;
    this.length++;
    this.entriesAdded = typeof this.entriesAdded === "number" &&
        this.entriesAdded < Number.MAX_SAFE_INTEGER
      ? this.entriesAdded + 1
      : BigInt(this.entriesAdded) + 1n;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the last node whose master id <= id (0 when id precedes every node). */
  #nodeFor(id: StreamId): number {
    const ns = this.nodes;
    let lo = 0, hi = ns.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (ns[mid].master.compare(id) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The live entry with this id, if any. */
  find(id: StreamId): EntryRef | undefined {
    if (this.length === 0) return undefined;
    const node = this.nodes[this.#nodeFor(id)];
    const i = node.lowerBound(id);
    return node.hasAt(i, id) ? { node, i } : undefined;
  }

  /** streamDeleteItem: turns a live entry into a tombstone (dropping the node when it empties). */
  delete(id: StreamId): boolean {
    if (this.length === 0) return false;
    const ni = this.#nodeFor(id);
    const node = this.nodes[ni];
    const i = node.lowerBound(id);
    if (!node.hasAt(i, id)) return false;
    if (node.count === 1) this.nodes.splice(ni, 1);
    else node.removeRange(i, i + 1);
    this.length--;
    return true;
  }

  /** The first / last live entry id (streamGetEdgeID skipping tombstones). */
  firstLiveId(): StreamId | undefined {
    for (const n of this.nodes) if (n.count > 0) return n.idAt(0);
    return undefined;
  }

  lastLiveId(): StreamId | undefined {
    for (let k = this.nodes.length - 1; k >= 0; k--) {
      const n = this.nodes[k];
      if (n.count > 0) return n.idAt(n.count - 1);
    }
    return undefined;
  }

  /** First id counting tombstones (streamGetEdgeID(s,1,0)): the head node's master id. */
  firstEdgeId(): StreamId {
    return this.nodes.length > 0 ? this.nodes[0].master : ID_MAX;
  }

  /** Re-reads recorded-first-entry-id after deletions. */
  refreshFirstId(): void {
    this.firstId = this.length === 0 ? ID_ZERO : this.firstLiveId()!;
  }

  /** streamTrim: removes entries from the head; returns how many. */
  trim(t: TrimSpec): number {
    let deleted = 0;
    let dropped = 0;
    const ns = this.nodes;
    while (dropped < ns.length) {
      if (t.strategy === "maxlen" && this.length <= t.maxlen) break;
      const node = ns[dropped];
      const entries = node.count;
      if (t.limit && deleted + entries > t.limit) break;
      const removeNode = t.strategy === "maxlen"
        ? this.length - entries >= t.maxlen
        : node.lastId.compare(t.minid) < 0;
      if (removeNode) {
        dropped++;
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (t.approx) break;
      // Trim inside this node, then stop: it had enough to reach the target.
      let k = 0;
      if (t.strategy === "maxlen") k = Math.min(node.count, this.length - t.maxlen);
      else k = node.lowerBound(t.minid);
      node.removeRange(0, k);
      this.length -= k;
      deleted += k;
      break;
    }
    if (dropped > 0) ns.splice(0, dropped);
    if (this.length === 0) this.firstId = ID_ZERO;
    else if (deleted) this.firstId = this.firstLiveId()!;
    return deleted;
  }

  /**
   * Calls `fn` for live entries with start <= id <= end, ascending (or descending when `rev`),
   * until it returns false.
   */
  range(
    start: StreamId,
    end: StreamId,
    rev: boolean,
    fn: (node: StreamNode, i: number) => boolean | void,
  ): void {
    const ns = this.nodes;
    if (ns.length === 0 || start.compare(end) > 0) return;
    if (!rev) {
      let k = this.#nodeFor(start);
      let i = ns[k].lowerBound(start);
      for (; k < ns.length; k++, i = 0) {
        const n = ns[k];
        const stop = n.upperBound(end);
        for (; i < stop; i++) if (fn(n, i) === false) return;
        if (stop < n.count) return;
      }
    } else {
      let k = this.#nodeFor(end);
      let i = ns[k].upperBound(end) - 1;
      for (; k >= 0; k--, i = k >= 0 ? ns[k].count - 1 : 0) {
        const n = ns[k];
        const stop = n.lowerBound(start);
        for (; i >= stop; i--) if (fn(n, i) === false) return;
        if (stop > 0) return;
      }
    }
  }

  /** Radix tree node count Redis would report (rax->numnodes) for the node keys held. */
  radixTreeNodes(): number {
    const n = this.nodes.length;
    if (n === 0) return 1;
    const keys = new Uint8Array(n * 16);
    const view = new DataView(keys.buffer);
    for (let k = 0; k < n; k++) {
      const m = this.nodes[k].master;
      view.setUint32(k * 16, m.msHi);
      view.setUint32(k * 16 + 4, m.msLo);
      view.setUint32(k * 16 + 8, m.seqHi);
      view.setUint32(k * 16 + 12, m.seqLo);
    }
    return raxNodes(keys, 0, n, 0);
  }
}

/**
 * Nodes of a compressed radix tree (Redis's rax) holding the sorted 16-byte keys [lo, hi) that
 * share their first `depth` bytes: a compressed node for a shared run, a branching node where
 * they differ, and one leaf per key.
 */
function raxNodes(keys: Uint8Array, lo: number, hi: number, depth: number): number {
  if (depth === 16) return 1;
  let run = 0;
  while (depth + run < 16 && keys[lo * 16 + depth + run] === keys[(hi - 1) * 16 + depth + run]) {
    run++;
  }
  if (run > 0) return 1 + raxNodes(keys, lo, hi, depth + run);
  let total = 1;
  for (let i = lo; i < hi;) {
    const b = keys[i * 16 + depth];
    let j = i + 1;
    while (j < hi && keys[j * 16 + depth] === b) j++;
    total += raxNodes(keys, i, j, depth + 1);
    i = j;
  }
  return total;
}
