// `reredis check-wal <dir> [--fix]`: verifies a WAL directory like redis-check-aof (manifest, every
// file parses as RESP commands, MULTI/EXEC balanced, sealed files match their checksums) and,
// with --fix, truncates a damaged file at its last valid command and reseals the manifest.

import { join } from "node:path";
import { ProtocolError, RequestParser } from "../resp/parser.ts";
import { lowerAscii } from "../util/bytes.ts";
import { Aof } from "./aof.ts";
import { formatManifest, parseManifest, writeDurably } from "./manifest.ts";

export interface FileReport {
  name: string;
  size: number;
  okUpTo: number;
  error?: string;
  checksumOk?: boolean;
}

/** Scans one file: returns how many bytes hold complete, well-formed commands. */
export async function scanFile(path: string): Promise<FileReport> {
  const data = await Deno.readFile(path);
  const parser = new RequestParser({ maxBulkLen: Infinity, authRequired: false });
  parser.feed(data);
  let okUpTo = 0;
  let inMulti = -1;
  let error: string | undefined;
  for (;;) {
    let args: Uint8Array[] | null;
    try {
      args = parser.next();
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      error = `${e.message} at offset ${okUpTo}`;
      break;
    }
    if (args === null) break;
    const name = lowerAscii(args[0]);
    const end = data.length - parser.buffered;
    if (name === "multi") {
      if (inMulti >= 0) {
        error = `Unexpected MULTI at offset ${okUpTo}`;
        break;
      }
      inMulti = okUpTo;
    } else if (name === "exec") {
      if (inMulti < 0) {
        error = `Unexpected EXEC at offset ${okUpTo}`;
        break;
      }
      inMulti = -1;
    }
    if (inMulti < 0) okUpTo = end;
  }
  if (!error && parser.buffered > 0) error = `Truncated record at offset ${okUpTo}`;
  if (!error && inMulti >= 0) error = `Unclosed MULTI at offset ${inMulti}`;
  return { name: path, size: data.length, okUpTo, error };
}

/** Runs the check; returns the process exit code (0 valid or fixed, 1 damaged). */
export async function checkWal(dir: string, fix: boolean, out = console.log): Promise<number> {
  const entries = [...Deno.readDirSync(dir)].map((e) => e.name);
  const manifestName = entries.find((n) => n.endsWith(".manifest"));
  if (!manifestName) {
    out(`No manifest file found in ${dir}`);
    return 1;
  }
  const manifest = parseManifest(await Deno.readTextFile(join(dir, manifestName)));
  out("Start checking Multi Part AOF");
  const files = [...(manifest.base ? [manifest.base] : []), ...manifest.incrs];
  let bad = 0;
  let changed = false;
  for (const f of files) {
    const path = join(dir, f.name);
    const kind = f.type === "b" ? "BASE" : "INCR";
    let r: FileReport;
    try {
      r = await scanFile(path);
    } catch (e) {
      out(`${kind} AOF ${f.name} can't be read: ${(e as Error).message}`);
      bad++;
      continue;
    }
    out(
      `AOF analyzed: filename=${f.name}, size=${r.size}, ok_up_to=${r.okUpTo}, diff=${
        r.size - r.okUpTo
      }`,
    );
    if (f.size !== undefined && f.crc32 !== undefined) {
      const sum = await Aof.checksum(path);
      if (sum.size !== f.size || sum.crc32 !== f.crc32) {
        out(
          `${kind} AOF ${f.name}: checksum mismatch with the manifest (sealed file was modified)`,
        );
        if (!r.error) r.error = "checksum mismatch";
      }
    }
    if (!r.error) {
      out(`${kind} AOF ${f.name} is valid`);
      continue;
    }
    out(`${kind} AOF ${f.name} is not valid: ${r.error}`);
    if (!fix) {
      bad++;
      continue;
    }
    out(
      `This will shrink the AOF ${f.name} from ${r.size} bytes, with ${
        r.size - r.okUpTo
      } bytes, to ${r.okUpTo} bytes`,
    );
    await Deno.truncate(path, r.okUpTo);
    if (f.size !== undefined) {
      const sum = await Aof.checksum(path);
      f.size = sum.size;
      f.crc32 = sum.crc32;
      changed = true;
    }
    out(`Successfully truncated AOF ${f.name}`);
  }
  if (changed) await writeDurably(dir, manifestName, formatManifest(manifest));
  if (bad > 0) {
    out("AOF is not valid. Use the --fix option to try fixing it.");
    return 1;
  }
  out("All AOF files and manifest are valid");
  return 0;
}
