// The Keys view's model: keys loaded incrementally by SCAN (never KEYS), row details fetched only
// for visible rows, and live adds/changes/removals from the change feed, applied in batches.

import { signal } from "@preact/signals";
import {
  type Arg,
  dbCmd,
  dbCmdRaw,
  type FeedEvent,
  isError,
  type Json,
  onEvent,
  onMessage,
} from "../lib/conn.ts";
import { bytesOf, escapeBytes, globToRegExp, isBinary } from "../lib/format.ts";

export const db = signal(0);
export const pattern = signal("");
export const typeFilter = signal("");
export const viewMode = signal<"list" | "tree">(
  localStorage.getItem("reredis.keys.view") === "tree" ? "tree" : "list",
);
export const selected = signal<string | null>(null);
/** Bumped when the key array changes (renders read getKeys()). */
export const keysVersion = signal(0);
/** Bumped when row details or flashes change. */
export const metaVersion = signal(0);
export const scan = signal({
  scanning: false,
  done: false,
  dbsize: null as number | null,
});

export interface KeyMeta {
  type?: string;
  /** PTTL at `at` (ms), -1 for no expiry. */
  ttlMs?: number;
  size?: number | null;
  sizeIsCount?: boolean;
  at: number;
  loading?: boolean;
}

let keys: string[] = [];
const present = new Set<string>();
export const meta = new Map<string, KeyMeta>();
/** Key → time it last changed live (rows flash briefly). */
export const flashes = new Map<string, number>();
/** Binary keys (not valid UTF-8) by their display id, so commands get the exact bytes back. */
const binaryKeys = new Map<string, { base64: string }>();

let session = 0;
let cursor = "0";
let limit = 0;
const PAGE = 10_000;
let memoryUsage: boolean | undefined;

export function getKeys(): string[] {
  return keys;
}

/** The key argument for a display id (the original bytes for binary keys). */
export function keyArg(id: string): Arg {
  return binaryKeys.get(id) ?? id;
}

/** The display id of a key as it arrives in a reply or event. */
export function keyId(k: Json): string {
  if (isBinary(k)) {
    const id = escapeBytes(bytesOf(k));
    binaryKeys.set(id, k);
    return id;
  }
  return String(k);
}

/** Starts over: new filters or db. */
export function rescan(): void {
  session++;
  keys = [];
  present.clear();
  meta.clear();
  cursor = "0";
  limit = PAGE;
  scan.value = { scanning: false, done: false, dbsize: scan.value.dbsize };
  keysVersion.value++;
  void scanMore(session);
  void refreshDbsize();
}

/** Loads the next page of keys (the list calls this when scrolled near the end). */
export function loadMore(): void {
  if (scan.value.done || scan.value.scanning) return;
  limit = keys.length + PAGE;
  void scanMore(session);
}

async function refreshDbsize(): Promise<void> {
  const r = await dbCmdRaw(db.value, "DBSIZE");
  if (typeof r === "number") scan.value = { ...scan.value, dbsize: r };
}

async function scanMore(s: number): Promise<void> {
  if (scan.value.scanning) return;
  scan.value = { ...scan.value, scanning: true };
  try {
    while (s === session && keys.length < limit) {
      const args: Arg[] = ["SCAN", cursor, "COUNT", 500];
      if (pattern.value) args.push("MATCH", pattern.value);
      if (typeFilter.value) args.push("TYPE", typeFilter.value);
      const r = await dbCmd(db.value, ...args) as [string, Json[]];
      if (s !== session) return;
      cursor = String(r[0]);
      const fresh: string[] = [];
      for (const k of r[1]) {
        const id = keyId(k);
        if (!present.has(id)) {
          present.add(id);
          fresh.push(id);
        }
      }
      if (fresh.length) {
        keys = keys.concat(fresh);
        keysVersion.value++;
      }
      if (cursor === "0") {
        scan.value = { ...scan.value, done: true };
        break;
      }
    }
  } catch (e) {
    console.warn("SCAN failed:", e);
  } finally {
    if (s === session) scan.value = { ...scan.value, scanning: false };
  }
}

/** Fetches TYPE, PTTL and size for the given rows that lack them (the visible ones). */
export function ensureMeta(ids: string[]): void {
  const s = session;
  const d = db.value;
  for (const id of ids) {
    const m = meta.get(id);
    if (m && (m.loading || m.size !== undefined)) continue;
    const entry: KeyMeta = { ...m, at: m?.at ?? Date.now(), loading: true };
    meta.set(id, entry);
    void loadMeta(id, entry, d, s);
  }
}

const LENGTH_CMD: Record<string, string> = {
  string: "STRLEN",
  list: "LLEN",
  hash: "HLEN",
  set: "SCARD",
  zset: "ZCARD",
  stream: "XLEN",
};

async function loadMeta(
  id: string,
  m: KeyMeta,
  d: number,
  s: number,
): Promise<void> {
  const k = keyArg(id);
  const [type, ttl] = await Promise.all([
    dbCmdRaw(d, "TYPE", k),
    dbCmdRaw(d, "PTTL", k),
  ]);
  let size: Json = null;
  let sizeIsCount = false;
  if (memoryUsage !== false) {
    size = await dbCmdRaw(d, "MEMORY", "USAGE", k, "SAMPLES", 5);
    if (isError(size)) {
      memoryUsage = !/unknown command|unknown subcommand/i.test(size.error);
      size = null;
    } else memoryUsage = true;
  }
  if (memoryUsage === false && typeof type === "string" && LENGTH_CMD[type]) {
    size = await dbCmdRaw(d, LENGTH_CMD[type], k);
    sizeIsCount = type !== "string";
  }
  if (s !== session) return;
  m.type = typeof type === "string" ? type : undefined;
  m.ttlMs = typeof ttl === "number" ? ttl : undefined;
  m.size = typeof size === "number" ? size : null;
  m.sizeIsCount = sizeIsCount;
  m.at = Date.now();
  m.loading = false;
  if (m.type === "none") removeKeys([id]);
  bumpMeta();
}

let metaQueued = false;

/** One re-render per frame however many row details arrive in it. */
function bumpMeta(): void {
  if (metaQueued) return;
  metaQueued = true;
  requestAnimationFrame(() => {
    metaQueued = false;
    metaVersion.value++;
  });
}

/** Removes keys from the list (after a delete or an expiry). */
export function removeKeys(ids: string[]): void {
  let any = false;
  for (const id of ids) {
    if (present.delete(id)) any = true;
    meta.delete(id);
  }
  if (!any) return;
  keys = keys.filter((k) => present.has(k));
  if (
    selected.value && !present.has(selected.value) &&
    ids.includes(selected.value)
  ) {
    // Keep the value panel open: it shows that the key is gone.
  }
  keysVersion.value++;
}

/** Adds a key created from the UI or seen in the feed, at the top. */
export function addKey(id: string): void {
  if (present.has(id)) return;
  present.add(id);
  keys = [id].concat(keys);
  keysVersion.value++;
}

// Live updates: events are collected and applied at most every 100 ms, so a write storm costs
// one list rebuild per batch rather than one per event.
const REMOVING = new Set([
  "del",
  "expired",
  "evicted",
  "rename_from",
  "unlink",
]);
let pendingAdd: string[] = [];
let pendingDel: string[] = [];
let flushTimer = 0;
let patternRe: RegExp | null = null;
let patternFor = "";

function matches(id: string): boolean {
  const p = pattern.value || "*";
  if (p !== patternFor) {
    patternRe = p === "*" ? null : globToRegExp(p);
    patternFor = p;
  }
  return !patternRe || patternRe.test(id);
}

/** Listeners for changes to one key (the value panel reloads on them). */
export const keyListeners = new Set<(id: string, e: FeedEvent) => void>();

function onFeed(e: FeedEvent): void {
  if (e.db !== db.value) return;
  const id = keyId(e.key as Json);
  for (const l of keyListeners) l(id, e);
  if (!matches(id)) return;
  const now = Date.now();
  if (REMOVING.has(e.event)) {
    pendingDel.push(id);
    flashes.set(id, now);
  } else {
    if (typeFilter.value && e.type && e.type !== typeFilter.value) return;
    const m = meta.get(id);
    if (m) {
      if (e.type) m.type = e.type;
      if (e.ttlMs !== undefined) {
        m.ttlMs = e.ttlMs === null ? -1 : e.ttlMs;
        m.at = now;
      }
      m.size = m.loading ? m.size : undefined; // refetch the size lazily
    } else if (e.type) {
      meta.set(id, { type: e.type, ttlMs: e.ttlMs ?? -1, at: now });
    }
    if (!present.has(id)) pendingAdd.push(id);
    flashes.set(id, now);
  }
  if (!flushTimer) flushTimer = setTimeout(flush, 100);
}

function flush(): void {
  flushTimer = 0;
  const add = pendingAdd;
  const del = new Set(pendingDel);
  pendingAdd = [];
  pendingDel = [];
  const fresh: string[] = [];
  for (const id of add) {
    if (del.has(id) || present.has(id)) continue;
    present.add(id);
    fresh.push(id);
  }
  let removed = false;
  for (const id of del) {
    if (present.delete(id)) removed = true;
    meta.delete(id);
  }
  if (fresh.length || removed) {
    keys = fresh.reverse().concat(
      removed ? keys.filter((k) => present.has(k)) : keys,
    );
    keysVersion.value++;
  }
  metaVersion.value++;
  void refreshDbsize();
  // Flashes fade after 1.2 s; drop old ones so the map stays small.
  const cutoff = Date.now() - 1500;
  for (const [k, t] of flashes) if (t < cutoff) flashes.delete(k);
}

onEvent(onFeed);

// Events were dropped (slow consumer) or are gone from the server's ring after a reconnect: the
// list may be stale, so scan again once things settle.
let resyncTimer = 0;
onMessage((m) => {
  if ((m.op !== "lagged" && m.op !== "resync") || !keysVersion.peek()) return;
  clearTimeout(resyncTimer);
  resyncTimer = setTimeout(rescan, 1000);
});

export interface TreeRow {
  folder: boolean;
  /** Folder prefix ("user:") or key id. */
  id: string;
  name: string;
  depth: number;
  count: number;
}

interface Node {
  children: Map<string, Node>;
  count: number;
  keys: string[];
}

const SEP = ":";

/** Groups the loaded keys by `:` into folders; returns the rows for the expanded folders. */
export function treeRows(all: string[], expanded: Set<string>): TreeRow[] {
  const root: Node = { children: new Map(), count: 0, keys: [] };
  for (const k of all) {
    let n = root;
    n.count++;
    let from = 0;
    for (let at = k.indexOf(SEP); at >= 0; at = k.indexOf(SEP, from)) {
      const part = k.slice(from, at);
      let c = n.children.get(part);
      if (!c) {
        c = { children: new Map(), count: 0, keys: [] };
        n.children.set(part, c);
      }
      c.count++;
      n = c;
      from = at + 1;
    }
    n.keys.push(k);
  }
  const rows: TreeRow[] = [];
  const walk = (n: Node, prefix: string, depth: number) => {
    const names = [...n.children.keys()].sort();
    for (const name of names) {
      const c = n.children.get(name)!;
      const id = prefix + name + SEP;
      rows.push({ folder: true, id, name: name + SEP, depth, count: c.count });
      if (expanded.has(id)) walk(c, id, depth + 1);
    }
    const leaves = n.keys.length < 5000 ? n.keys.slice().sort() : n.keys;
    for (const k of leaves) {
      rows.push({
        folder: false,
        id: k,
        name: k.slice(prefix.length),
        depth,
        count: 1,
      });
    }
  };
  walk(root, "", 0);
  return rows;
}
