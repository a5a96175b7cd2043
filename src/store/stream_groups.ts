// Consumer groups of a stream (Redis's streamCG / streamConsumer / streamNACK). A group has a
// last-delivered id, a logical read counter and a pending entries list (PEL); each consumer has
// its own PEL sharing the same NACK objects, so an entry's owner, delivery time and count are one
// record reachable from both. PELs are sorted by id (IdMap: chunked sorted arrays, O(log n)
// lookups and range seeks, as Redis's rax).

import type { Int64 } from "../util/numbers.ts";
import type { StreamId } from "./stream_id.ts";

/** A pending entry: delivered to `consumer`, not acknowledged yet. */
export interface Nack {
  /** Unix ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
  /** Undefined only for an instant while XCLAIM … FORCE creates it. */
  consumer: Consumer | undefined;
}

export class Consumer {
  readonly pel = new IdMap<Nack>();
  #nameBytes: Uint8Array | undefined;
  constructor(readonly name: string, public seenTime: number) {}

  /** The name as bytes, for the commands propagated on its behalf. */
  get nameBytes(): Uint8Array {
    if (!this.#nameBytes) {
      const b = new Uint8Array(this.name.length);
      for (let i = 0; i < b.length; i++) b[i] = this.name.charCodeAt(i);
      this.#nameBytes = b;
    }
    return this.#nameBytes;
  }
}

/** Redis's SCG_INVALID_ENTRIES_READ: the read counter is unknown. */
export const INVALID_ENTRIES_READ = -1;

export class ConsumerGroup {
  readonly pel = new IdMap<Nack>();
  readonly consumers = new Map<string, Consumer>();
  constructor(public lastId: StreamId, public entriesRead: Int64) {}

  /** Consumers in Redis's rax order (bytewise by name). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  }

  /** Drops a consumer and its pending entries (streamDelConsumer). Returns how many it had. */
  deleteConsumer(c: Consumer): number {
    const pending = c.pel.size;
    for (const [id] of c.pel.entries()) this.pel.delete(id);
    this.consumers.delete(c.name);
    return pending;
  }

  /** XACK of one id: removes it from the group's and its owner's PEL. */
  ack(id: StreamId): boolean {
    const nack = this.pel.get(id);
    if (!nack) return false;
    this.pel.delete(id);
    nack.consumer?.pel.delete(id);
    return true;
  }
}

const CHUNK = 128;

interface Chunk<V> {
  keys: StreamId[];
  vals: V[];
}

/** A map from stream ids to values kept in id order: sorted chunks of at most 128 keys. */
export class IdMap<V> {
  #chunks: Chunk<V>[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Index of the chunk that holds (or would hold) `id`. */
  #chunkFor(id: StreamId): number {
    const cs = this.#chunks;
    let lo = 0, hi = cs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const keys = cs[mid].keys;
      if (keys[keys.length - 1].compare(id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of the first key >= id in chunk `c`. */
  static #lower(keys: StreamId[], id: StreamId): number {
    let lo = 0, hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid].compare(id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(id: StreamId): V | undefined {
    if (this.#size === 0) return undefined;
    const c = this.#chunks[this.#chunkFor(id)];
    const i = IdMap.#lower(c.keys, id);
    return i < c.keys.length && c.keys[i].equals(id) ? c.vals[i] : undefined;
  }

  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  /** Inserts or replaces; returns true when the key is new. */
  set(id: StreamId, v: V): boolean {
    const cs = this.#chunks;
    if (cs.length === 0) {
      cs.push({ keys: [id], vals: [v] });
      this.#size = 1;
      return true;
    }
    const ci = this.#chunkFor(id);
    const c = cs[ci];
    const i = IdMap.#lower(c.keys, id);
    if (i < c.keys.length && c.keys[i].equals(id)) {
      c.vals[i] = v;
      return false;
    }
    if (i === c.keys.length) {
      c.keys.push(id);
      c.vals.push(v);
    } else {
      c.keys.splice(i, 0, id);
      c.vals.splice(i, 0, v);
    }
    this.#size++;
    if (c.keys.length > CHUNK) {
      const half = c.keys.length >> 1;
      cs.splice(ci + 1, 0, { keys: c.keys.splice(half), vals: c.vals.splice(half) });
    }
    return true;
  }

  delete(id: StreamId): boolean {
    if (this.#size === 0) return false;
    const ci = this.#chunkFor(id);
    const c = this.#chunks[ci];
    const i = IdMap.#lower(c.keys, id);
    if (i >= c.keys.length || !c.keys[i].equals(id)) return false;
    c.keys.splice(i, 1);
    c.vals.splice(i, 1);
    this.#size--;
    if (c.keys.length === 0) this.#chunks.splice(ci, 1);
    return true;
  }

  first(): [StreamId, V] | undefined {
    const c = this.#chunks[0];
    return c ? [c.keys[0], c.vals[0]] : undefined;
  }

  last(): [StreamId, V] | undefined {
    const c = this.#chunks[this.#chunks.length - 1];
    return c ? [c.keys[c.keys.length - 1], c.vals[c.vals.length - 1]] : undefined;
  }

  /** The first entry with key >= id (raxSeek ">="). */
  ceiling(id: StreamId): [StreamId, V] | undefined {
    if (this.#size === 0) return undefined;
    let ci = this.#chunkFor(id);
    let c = this.#chunks[ci];
    let i = IdMap.#lower(c.keys, id);
    if (i === c.keys.length) {
      if (++ci >= this.#chunks.length) return undefined;
      c = this.#chunks[ci];
      i = 0;
    }
    return [c.keys[i], c.vals[i]];
  }

  /** Entries with key >= `from` in order (all when omitted). Do not mutate while iterating. */
  *entries(from?: StreamId): Generator<[StreamId, V]> {
    const cs = this.#chunks;
    let ci = 0, i = 0;
    if (from && cs.length > 0) {
      ci = this.#chunkFor(from);
      i = IdMap.#lower(cs[ci].keys, from);
    }
    for (; ci < cs.length; ci++, i = 0) {
      const c = cs[ci];
      for (; i < c.keys.length; i++) yield [c.keys[i], c.vals[i]];
    }
  }
}
