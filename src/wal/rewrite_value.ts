// How one key is written into a compacted base file: the fewest plain Redis commands that rebuild
// it (SET, RPUSH, HSET, SADD, ZADD …, then PEXPIREAT), as Redis's rewriteAppendOnlyFile does, so
// the base stays a valid AOF that redis-server can load. Collection types register their writer.

import { MutableString, type RedisCollection, type Value } from "../store/types.ts";
import { utf8 } from "../util/bytes.ts";

export type Emit = (argv: Uint8Array[]) => void;
export type CollectionRewriter = (key: Uint8Array, value: RedisCollection, emit: Emit) => void;

const rewriters = new Map<string, CollectionRewriter>();

/** Redis batches collection elements 64 per command (AOF_REWRITE_ITEMS_PER_CMD). */
export const ITEMS_PER_CMD = 64;

export function registerRewriter(type: RedisCollection["type"], fn: CollectionRewriter): void {
  rewriters.set(type, fn);
}

const SET = utf8("SET");
const PEXPIREAT = utf8("PEXPIREAT");

/** Emits the commands that recreate `key` with `value` and its expire time. */
export function rewriteKey(
  key: Uint8Array,
  value: Value,
  expireAt: number | undefined,
  emit: Emit,
): void {
  if (value instanceof Uint8Array) emit([SET, key, value]);
  else if (value instanceof MutableString) emit([SET, key, value.bytes()]);
  else {
    const fn = rewriters.get(value.type);
    if (!fn) throw new Error(`no AOF rewriter registered for type ${value.type}`);
    fn(key, value, emit);
  }
  if (expireAt !== undefined) emit([PEXPIREAT, key, utf8(String(expireAt))]);
}

/**
 * Emits `head…` commands with `items` appended in batches of ITEMS_PER_CMD (each item may be
 * several arguments, e.g. a field and its value).
 */
export function emitBatched(head: Uint8Array[], items: Iterable<Uint8Array[]>, emit: Emit): void {
  let batch: Uint8Array[] = [...head];
  let n = 0;
  for (const item of items) {
    for (const a of item) batch.push(a);
    if (++n === ITEMS_PER_CMD) {
      emit(batch);
      batch = [...head];
      n = 0;
    }
  }
  if (n > 0) emit(batch);
}
