// The multi-part AOF manifest, in Redis 7's format ("file <name> seq <n> type b|h|i") so that
// redis-server and redis-check-aof read our directory. Sealed files also carry "size" and "crc32"
// pairs (Redis ignores keys it does not know), which Reredis verifies on load.

import { join } from "node:path";

/** The log can't be loaded as it is: start-up stops with this message (exit code 1). */
export class AofLoadError extends Error {}

export interface AofFileInfo {
  name: string;
  seq: number;
  type: "b" | "h" | "i";
  /** Set once the file is sealed (no more appends). */
  size?: number;
  crc32?: number;
}

export interface Manifest {
  base: AofFileInfo | undefined;
  incrs: AofFileInfo[];
  history: AofFileInfo[];
}

export const MANIFEST_SUFFIX = ".manifest";

export function parseManifest(text: string): Manifest {
  const m: Manifest = { base: undefined, incrs: [], history: [] };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const words = line.split(/\s+/);
    if (words.length % 2 !== 0) throw new Error(`Invalid AOF manifest line: ${line}`);
    const kv = new Map<string, string>();
    for (let i = 0; i < words.length; i += 2) kv.set(words[i], words[i + 1]);
    const name = kv.get("file");
    const seq = Number(kv.get("seq"));
    const type = kv.get("type");
    if (!name || !Number.isInteger(seq) || (type !== "b" && type !== "h" && type !== "i")) {
      throw new Error(`Invalid AOF manifest line: ${line}`);
    }
    const info: AofFileInfo = { name, seq, type };
    if (kv.has("size")) info.size = Number(kv.get("size"));
    if (kv.has("crc32")) info.crc32 = parseInt(kv.get("crc32")!, 16);
    if (type === "b") {
      if (m.base) throw new Error("Found duplicate base file information");
      m.base = info;
    } else if (type === "i") m.incrs.push(info);
    else m.history.push(info);
  }
  return m;
}

export function formatManifest(m: Manifest): string {
  const line = (f: AofFileInfo) => {
    let s = `file ${f.name} seq ${f.seq} type ${f.type}`;
    if (f.size !== undefined && f.crc32 !== undefined) {
      s += ` size ${f.size} crc32 ${f.crc32.toString(16).padStart(8, "0")}`;
    }
    return s + "\n";
  };
  let out = "";
  if (m.base) out += line(m.base);
  for (const h of m.history) out += line(h);
  for (const i of m.incrs) out += line(i);
  return out;
}

/** Writes a file durably: temp file, fsync, rename over the target, fsync the directory. */
export async function writeDurably(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `temp-${name}`);
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    let b = new TextEncoder().encode(text);
    while (b.length) b = b.subarray(await f.write(b));
    await f.sync();
  } finally {
    f.close();
  }
  await Deno.rename(tmp, join(dir, name));
  await syncDir(dir);
}

export async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } finally {
    d.close();
  }
}
