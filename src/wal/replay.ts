// Start-up replay: reads the base and incremental files in manifest order through the ordinary
// command dispatcher, in slices so the server keeps answering (-LOADING) meanwhile. A torn last
// record is truncated (aof-load-truncated yes); damage anywhere else stops start-up.

import { join } from "node:path";
import type { Server } from "../server/server.ts";
import { bytesToLatin1 } from "../util/numbers.ts";
import { Aof } from "./aof.ts";
import { type AofFileInfo, AofLoadError } from "./manifest.ts";
import { RecordFormatError, RecordReader } from "./record_reader.ts";

export { AofLoadError };

/** Longest stretch of replay between two turns of the loop (clients get -LOADING meanwhile). */
const SLICE_MS = 20;
const CHUNK = 4 << 20;

export interface LoadStats {
  commands: number;
  bytes: number;
  ms: number;
}

/**
 * Replays every file of the manifest into the server (the caller holds `server.loading`, so
 * clients get -LOADING meanwhile). Throws AofLoadError on fatal damage.
 */
export async function replayAof(server: Server, aof: Aof): Promise<LoadStats> {
  const log = server.log;
  const t0 = performance.now();
  const total: LoadStats = { commands: 0, bytes: 0, ms: 0 };
  const files = aof.files();
  server.wp.muted = true;
  server.loadingProgress = { startedAt: Date.now(), loadedBytes: 0, totalBytes: 0 };
  for (const f of files) {
    try {
      server.loadingProgress.totalBytes += (await Deno.stat(join(aof.dir, f.name))).size;
    } catch { /* missing files are reported below */ }
  }
  try {
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      const isLast = i === files.length - 1;
      const st = await replayFile(server, aof, f, isLast, total);
      log.notice(
        `DB loaded from ${f.type === "b" ? "base" : "incr"} file ${f.name}: ${
          (st.ms / 1000).toFixed(3)
        } seconds`,
      );
    }
  } finally {
    server.wp.muted = false;
    server.loadingProgress = undefined;
  }
  total.ms = performance.now() - t0;
  log.notice(`DB loaded from append only file: ${(total.ms / 1000).toFixed(3)} seconds`);
  return total;
}

async function replayFile(
  server: Server,
  aof: Aof,
  info: AofFileInfo,
  isLast: boolean,
  total: LoadStats,
): Promise<LoadStats> {
  const path = join(aof.dir, info.name);
  const log = server.log;
  const t0 = performance.now();
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && info.type === "i" && isLast) {
      return { commands: 0, bytes: 0, ms: 0 }; // the newest incr file may not exist yet
    }
    throw new AofLoadError(
      `Fatal error: can't open the append log file ${info.name} for reading: ${
        (e as Error).message
      }`,
    );
  }
  if (info.size !== undefined && info.crc32 !== undefined) {
    const sum = await Aof.checksum(path);
    if (sum.size !== info.size || sum.crc32 !== info.crc32) {
      file.close();
      throw new AofLoadError(
        `Checksum mismatch in sealed AOF file ${info.name} (manifest size ${info.size} crc32 ${
          info.crc32.toString(16)
        }, file size ${sum.size} crc32 ${
          sum.crc32.toString(16)
        }): the file is damaged. Use 'reredis check-wal ${aof.dir}' to inspect it.`,
      );
    }
  }
  const client = server.internalClient();
  client.loader = true;
  client.reply.enabled = false;
  const reader = new RecordReader();
  let fed = 0;
  let multiStart = -1;
  let commands = 0;
  let lastLog = Date.now();
  let sliceStart = performance.now();
  // Commands time each other, as in a client's input loop: one clock read per command.
  server.clockChain = 0;
  try {
    for (;;) {
      // A fresh chunk each time: commands may keep views into what they were given.
      const chunk = new Uint8Array(CHUNK);
      const n = await file.read(chunk);
      if (n === null) break;
      if (fed === 0 && isRdbPreamble(chunk.subarray(0, n))) {
        throw new AofLoadError(
          `The AOF file ${info.name} starts with an RDB preamble (written by redis-server with aof-use-rdb-preamble yes): Reredis reads RESP AOF files only. Rewrite it with aof-use-rdb-preamble no first.`,
        );
      }
      reader.feed(chunk.subarray(0, n));
      fed += n;
      for (;;) {
        const at = reader.offset;
        let args: Uint8Array[] | null;
        try {
          args = reader.next();
        } catch (e) {
          if (!(e instanceof RecordFormatError)) throw e;
          throw new AofLoadError(
            `Bad file format reading the append only file ${info.name} at offset ${e.offset} (${e.reason}): make a backup of your AOF file, then use 'reredis check-wal --fix ${aof.dir}'`,
          );
        }
        if (args === null) break;
        const cmd = server.table.lookup(args[0]);
        if (cmd === undefined) {
          throw new AofLoadError(
            `Unknown command '${
              bytesToLatin1(args[0])
            }' reading the append only file ${info.name} at offset ${at}`,
          );
        }
        if (cmd.name === "multi") multiStart = at;
        server.execute(client, args);
        if (cmd.name === "exec") multiStart = -1;
        commands++;
        if ((commands & 63) === 0 && performance.now() - sliceStart > SLICE_MS) {
          const offset = reader.offset;
          server.loadingProgress!.loadedBytes = total.bytes + offset;
          if (Date.now() - lastLog >= 1000) {
            lastLog = Date.now();
            const mb = (total.bytes + offset) / 1048576;
            const secs = (Date.now() - server.loadingProgress!.startedAt) / 1000;
            log.notice(
              `Loading AOF: ${total.commands + commands} commands, ${
                server.dbs.reduce((a, d) => a + d.size, 0)
              } keys, ${mb.toFixed(1)} MB read (${(mb / secs).toFixed(1)} MB/s)`,
            );
          }
          server.clockChain = undefined;
          await yieldToLoop();
          server.clockChain = 0;
          sliceStart = performance.now();
        }
      }
    }
  } finally {
    server.clockChain = undefined;
    file.close();
    server.removeClient(client);
  }
  const torn = reader.pending > 0 || multiStart >= 0;
  if (torn) {
    const cut = multiStart >= 0 ? multiStart : reader.offset;
    if (multiStart >= 0 && client.multi) client.multi = undefined;
    if (!isLast || info.type !== "i" || !server.config.bool("aof-load-truncated")) {
      throw new AofLoadError(
        `Unexpected end of file reading the append only file ${info.name} at offset ${cut}. You can: 1) Make a backup of your AOF file, then use 'reredis check-wal --fix ${aof.dir}'. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
      );
    }
    log.warning(`!!! Warning: short read while loading the AOF file ${info.name}!!!`);
    log.warning(`!!! Truncating the AOF ${info.name} at offset ${cut} !!!`);
    await Deno.truncate(path, cut);
    log.warning(`AOF ${info.name} loaded anyway because aof-load-truncated is enabled`);
  }
  total.commands += commands;
  total.bytes += fed;
  return { commands, bytes: fed, ms: performance.now() - t0 };
}

const RDB_MAGIC = [82, 69, 68, 73, 83]; // "REDIS"

function isRdbPreamble(b: Uint8Array): boolean {
  return b.length >= 5 && RDB_MAGIC.every((c, i) => b[i] === c);
}

/**
 * Lets sockets and timers run. A timer, not setImmediate: chained immediates run before Deno
 * polls sockets again, so clients would starve (measured: PING p50 276 ms vs 0.02 ms). The timer
 * costs ~1 ms per turn, hence slices of a few ms rather than tiny ones.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
