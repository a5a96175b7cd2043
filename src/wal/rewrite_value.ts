// How one key is written into a compacted base file: the fewest plain Redis commands that rebuild
// it (SET, RPUSH, HSET, SADD, ZADD …, then PEXPIREAT), as Redis's rewriteAppendOnlyFile does, so
// the base stays a valid AOF that redis-server can load.
//
// A key is *captured* at one instant (its elements copied by reference: element strings are
// immutable) and *encoded* later, possibly over several slices of the loop: so a big collection
// neither stalls the loop nor needs locking against the writes that come after its capture.

import { ListValue } from "../store/list.ts";
import { RedisHash } from "../store/hash.ts";
import { RedisSet } from "../store/set.ts";
import { ZSet } from "../store/zset.ts";
import { MutableString, type RedisCollection, type Value } from "../store/types.ts";
import { formatDouble } from "../util/numbers.ts";
import { fromKey, utf8 } from "../util/bytes.ts";

/** A command argument: bytes, or a latin1 binary string (one char per byte, as keys are held). */
export type Arg = Uint8Array | string;
export type Emit = (argv: Uint8Array[]) => void;
/**
 * A rewriter for a type without a built-in one (streams): emits every command synchronously.
 * Arguments are encoded at once, so they may be views.
 */
export type CollectionRewriter = (key: Uint8Array, value: RedisCollection, emit: Emit) => void;

const rewriters = new Map<string, CollectionRewriter>();

/** Redis batches collection elements 64 per command (AOF_REWRITE_ITEMS_PER_CMD). */
export const ITEMS_PER_CMD = 64;

/** Lets a type module (src/store/stream_codec.ts) say how its values are rewritten. */
export function registerRewriter(type: RedisCollection["type"], fn: CollectionRewriter): void {
  rewriters.set(type, fn);
}

const SET = utf8("SET");
const RPUSH = utf8("RPUSH");
const HSET = utf8("HSET");
const SADD = utf8("SADD");
const ZADD = utf8("ZADD");
const PEXPIREAT = utf8("PEXPIREAT");

/**
 * Captures `key` (a binary string) as it is now and returns the commands that recreate it, to be
 * consumed at any later time. `expireAt` is its absolute expire time in ms, if any. Small values
 * come back as a finished list; collections past SMALL items as a lazy sequence over a copy.
 */
export function captureKey(
  key: string,
  value: Value,
  expireAt: number | undefined,
): Arg[][] | Iterator<Arg[]> {
  const ttl: Arg[][] = expireAt === undefined ? [] : [[PEXPIREAT, key, String(expireAt)]];
  if (value instanceof Uint8Array) return [[SET, key, value], ...ttl]; // stored strings never change
  if (value instanceof MutableString) return [[SET, key, value.bytes().slice()], ...ttl];
  let head: Arg[], flat: (string | number)[], width = 1;
  if (value instanceof ListValue) [head, flat] = [[RPUSH, key], listElements(value)];
  else if (value instanceof RedisSet) [head, flat] = [[SADD, key], value.toArray()];
  else if (value instanceof RedisHash) {
    [head, flat, width] = [[HSET, key], [], 2];
    value.forEach((f, v) => flat.push(f, v));
  } else if (value instanceof ZSet) {
    [head, flat, width] = [[ZADD, key], [], 2];
    value.forEach((m, sc) => flat.push(sc, m));
  } else {
    const fn = rewriters.get(value.type);
    if (!fn) throw new Error(`no AOF rewriter registered for type ${value.type}`);
    const cmds: Arg[][] = [];
    // Copied: a registered rewriter may emit views into the live value.
    fn(fromKey(key), value, (argv) => cmds.push(argv.map((a) => a.slice())));
    return [...cmds, ...ttl];
  }
  const body = batched(head, flat, width);
  return flat.length <= SMALL * width ? [...body, ...ttl] : concat(body, ttl);
}

/** Collections up to this many items are encoded at once; bigger ones over several slices. */
const SMALL = 256;

function* concat(body: Iterable<Arg[]>, tail: Arg[][]): Iterator<Arg[]> {
  yield* body;
  yield* tail;
}

/** The elements by index: much faster than the list's generator for big lists. */
function listElements(list: ListValue): string[] {
  const n = list.size;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = list.get(i)!;
  return out;
}

/**
 * `head…` commands with `flat` appended ITEMS_PER_CMD items at a time; an item is `width`
 * consecutive entries (a field and its value; a score and its member). Numbers are scores.
 */
function* batched(head: Arg[], flat: (string | number)[], width: number): Iterable<Arg[]> {
  const step = ITEMS_PER_CMD * width;
  for (let i = 0; i < flat.length; i += step) {
    const end = Math.min(flat.length, i + step);
    const argv: Arg[] = head.slice();
    for (let j = i; j < end; j++) {
      const a = flat[j];
      argv.push(typeof a === "number" ? formatDouble(a) : a);
    }
    yield argv;
  }
}
