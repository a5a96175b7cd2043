// Redis data as JSON for the change feed, the WebSocket `command` op and the HTTP API. Binary-safe:
// bytes that are valid UTF-8 become JSON strings, anything else `{"base64":"…"}`.

import { Buffer } from "node:buffer";
import type { RespValue } from "../resp/decoder.ts";
import { stringBytes, type Value } from "../store/types.ts";
import { fromKey } from "../util/bytes.ts";
import type { FeedEntry } from "./groups.ts";

/** A JSON value (what JSON.stringify accepts without surprises). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) return false;
  return true;
}

/** Bytes as a JSON string when they are UTF-8, else as {"base64": …}. */
export function bytesJson(b: Uint8Array): Json {
  if (isAscii(b)) return String.fromCharCode.apply(null, b as unknown as number[]);
  try {
    return utf8Strict.decode(b);
  } catch {
    return { base64: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64") };
  }
}

/** A binary string (one char per byte, as keys and collection elements are kept) as JSON. */
export function binJson(s: string): Json {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return bytesJson(fromKey(s));
  }
  return s;
}

/** A binary string as an object key: UTF-8 text, or "base64:…" when it is not. */
function binKey(s: string): string {
  const j = binJson(s);
  return typeof j === "string" ? j : `base64:${(j as { base64: string }).base64}`;
}

/** Size of a value in bytes (strings) or elements (collections): what the feed's cap compares. */
export function valueSize(v: Value): number {
  const b = stringBytes(v);
  return b !== undefined ? b.length : (v as { size: number }).size;
}

/**
 * A value as JSON, or undefined when it is bigger than `maxBytes` (counted as the sum of element
 * lengths, so a huge collection is rejected after at most `maxBytes` elements are looked at).
 * Strings → string; list/set → array; hash → object; zset → [[member, score], …] in order;
 * streams are not snapshotted (undefined).
 */
export function valueJson(v: Value, maxBytes: number): Json | undefined {
  const b = stringBytes(v);
  if (b !== undefined) return b.length <= maxBytes ? bytesJson(b) : undefined;
  const c = v as unknown as { type: string; size: number };
  if (c.size > maxBytes) return undefined;
  let budget = maxBytes;
  const fits = (s: string) => (budget -= s.length + 1) >= 0;
  switch (c.type) {
    case "list":
    case "set": {
      const out: Json[] = [];
      const items = c.type === "list"
        ? (v as unknown as { values(): Iterable<string> }).values()
        : (v as unknown as { toArray(): string[] }).toArray();
      for (const s of items) {
        if (!fits(s)) return undefined;
        out.push(binJson(s));
      }
      return out;
    }
    case "hash": {
      const out: { [k: string]: Json } = {};
      let ok = true;
      (v as unknown as { forEach(fn: (f: string, x: string) => void): void }).forEach((f, x) => {
        if (ok && fits(f) && fits(x)) out[binKey(f)] = binJson(x);
        else ok = false;
      });
      return ok ? out : undefined;
    }
    case "zset": {
      const out: Json[] = [];
      let ok = true;
      (v as unknown as { forEach(fn: (m: string, s: number) => void): void }).forEach((m, s) => {
        if (ok && fits(m) && (budget -= 8) >= 0) out.push([binJson(m), scoreJson(s)]);
        else ok = false;
      });
      return ok ? out : undefined;
    }
    default:
      return undefined;
  }
}

/** Scores as numbers; ±inf (not JSON numbers) as the strings Redis prints. */
function scoreJson(s: number): Json {
  return Number.isFinite(s) ? s : s > 0 ? "inf" : "-inf";
}

/**
 * A RESP reply as JSON: bulk and simple strings → strings (or {"base64"}), integers and doubles →
 * numbers, nil → null, arrays/sets/pushes → arrays, maps → objects, errors → {"error": "…"},
 * big numbers → strings.
 */
export function respJson(v: RespValue): Json {
  if (v === null || typeof v === "number") return v;
  if (typeof v === "string") return binJson(v);
  if (Array.isArray(v)) return v.map(respJson);
  if ("+" in v) return binJson(v["+"]);
  if ("-" in v) return { error: binJson(v["-"]) as string };
  if ("," in v) {
    const d = Number(v[","]);
    return Number.isFinite(d) ? d : v[","];
  }
  if ("#" in v) return v["#"];
  if ("(" in v) return v["("];
  if ("=" in v) return binJson(v["="].slice(4));
  if ("%" in v) {
    const out: { [k: string]: Json } = {};
    const kv = v["%"];
    for (let i = 0; i + 1 < kv.length; i += 2) {
      const k = respJson(kv[i]);
      out[typeof k === "string" ? k : JSON.stringify(k)] = respJson(kv[i + 1]);
    }
    return out;
  }
  if ("~" in v) return v["~"].map(respJson);
  if (">" in v) return v[">"].map(respJson);
  if ("|" in v) return respJson(v.of);
  return null;
}

/** The event's JSON message, made once and shared by every subscriber. */
export function eventJson(e: FeedEntry): string {
  if (e.json !== undefined) return e.json;
  let s = `{"op":"event","seq":${e.seq},"ts":${e.ts},"db":${e.db},"key":${
    e.key === null ? "null" : JSON.stringify(binJson(e.key))
  },"event":${JSON.stringify(e.event)},"type":${
    e.type === null ? "null" : `"${e.type}"`
  },"ttlMs":${e.ttlMs}`;
  if (e.truncated) s += `,"value":null,"truncated":true`;
  else if (e.raw !== undefined) s += `,"value":${JSON.stringify(bytesJson(e.raw))}`;
  else if (e.value !== undefined) s += `,"value":${JSON.stringify(e.value)}`;
  e.json = s + "}";
  e.raw = undefined;
  return e.json;
}
