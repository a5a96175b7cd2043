// `reredis check-wal <dir> [--fix]`: verifies a WAL directory like redis-check-aof (manifest, every
// file parses as RESP commands, MULTI/EXEC balanced, sealed files match their checksums) and,
// with --fix, truncates a damaged file at its last valid command and reseals the manifest.

import { dirname, join } from "node:path";
import { lowerAscii } from "../util/bytes.ts";
import { Aof } from "./aof.ts";
import { formatManifest, MANIFEST_SUFFIX, parseManifest, writeDurably } from "./manifest.ts";
import { RecordFormatError, RecordReader } from "./record_reader.ts";

export interface FileReport {
  name: string;
  size: number;
  okUpTo: number;
  error?: string;
  checksumOk?: boolean;
}

/** Scans one file: how many bytes hold complete, well-formed commands (MULTI/EXEC balanced). */
export async function scanFile(path: string): Promise<FileReport> {
  const f = await Deno.open(path, { read: true });
  const reader = new RecordReader();
  let size = 0;
  let okUpTo = 0;
  let inMulti = -1;
  let error: string | undefined;
  try {
    read: for (;;) {
      const chunk = new Uint8Array(1 << 20);
      const n = await f.read(chunk);
      if (n === null) break;
      reader.feed(chunk.subarray(0, n));
      size += n;
      for (;;) {
        const at = reader.offset;
        let args: Uint8Array[] | null;
        try {
          args = reader.next();
        } catch (e) {
          if (!(e instanceof RecordFormatError)) throw e;
          error = e.message;
          break read;
        }
        if (args === null) break;
        const name = lowerAscii(args[0]);
        if (name === "multi") {
          if (inMulti >= 0) {
            error = `Unexpected MULTI at offset ${at}`;
            break read;
          }
          inMulti = at;
        } else if (name === "exec") {
          if (inMulti < 0) {
            error = `Unexpected EXEC at offset ${at}`;
            break read;
          }
          inMulti = -1;
        }
        if (inMulti < 0) okUpTo = reader.offset;
      }
    }
    if (error) size = (await f.stat()).size;
  } finally {
    f.close();
  }
  if (!error && reader.pending > 0) error = `Truncated record at offset ${reader.offset}`;
  if (!error && inMulti >= 0) error = `Unclosed MULTI at offset ${inMulti}`;
  return { name: path, size, okUpTo, error };
}

/** Runs the check; returns the process exit code (0 valid or fixed, 1 damaged). */
export async function checkWal(path: string, fix: boolean, out = console.log): Promise<number> {
  // Like redis-check-aof, accept the manifest's path as well as its directory.
  const dir = path.endsWith(MANIFEST_SUFFIX) && Deno.statSync(path).isFile ? dirname(path) : path;
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
  for (const [i, f] of files.entries()) {
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
    if (i !== files.length - 1 && r.okUpTo < r.size) {
      // Cutting a file that later files build on would replay them on the wrong data.
      out(`${kind} AOF ${f.name} is not the last file: only the last file can be truncated`);
      bad++;
      continue;
    }
    if (r.okUpTo === r.size) out(`Resealing ${f.name} with its current content in the manifest`);
    else {
      out(
        `This will shrink the AOF ${f.name} from ${r.size} bytes, with ${
          r.size - r.okUpTo
        } bytes, to ${r.okUpTo} bytes`,
      );
      await Deno.truncate(path, r.okUpTo);
    }
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
