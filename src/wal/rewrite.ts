// Compaction without fork and without stopping the loop. At one synchronous instant T the WAL
// switches to a new incremental file and copy-on-write starts: from then on, before any command
// (or expiry) mutates a key the rewrite has not visited yet, the key is captured as it was at T
// (or noted absent). The scan captures every other key as it finds it. Small keys are encoded
// at once; big collections are captured as cheap copies of references (element strings are
// immutable) and encoded later, all in slices of ≤ 2 ms. So the base holds exactly the dataset at T, and base + new incremental replays to the
// live state: no write is applied twice (a later INCR or APPEND lands only in the incremental
// file) and none is lost. Old files are deleted only after the new manifest is durable.
// Anything that cannot be copy-on-written cheaply (FLUSHALL, SWAPDB) aborts the rewrite, which is
// always safe: the manifest still lists the old base, the old and the new incremental files.

import { join } from "node:path";
import { crc32 } from "node:zlib";
import { ReplyWriter } from "../resp/writer.ts";
import type { Server } from "../server/server.ts";
import type { Db } from "../store/db.ts";
import { ScanIndex } from "../store/scan_index.ts";
import type { Aof } from "./aof.ts";
import { type Arg, captureKey } from "./rewrite_value.ts";
import { syncDir } from "./manifest.ts";
import { yieldToLoop } from "./replay.ts";

const SLICE_MS = 2;
/** Commands encoded per step, and steps (a batch, or one scanned bucket) per look at the clock. */
const ENCODE_BATCH = 16;
const STEPS_PER_CLOCK = 16;
const WRITE_CHUNK = 1 << 20;

export class RewriteAborted extends Error {}

/**
 * State outside the keyspace that a new base must recreate (function libraries): producers of
 * commands, called at the rewrite's instant T and written before any key.
 */
export const rewriteExtras: ((server: Server) => Uint8Array[][])[] = [];

interface Capture {
  db: number;
  commands: Iterator<Arg[]>;
}

export class AofRewrite {
  /**
   * Keys captured (or seen absent) per db. Not JS Sets: a Set of thousands of keys reallocates its
   * table in one piece when it grows, and at a million keys in all such growths triggered
   * 75-110 ms collector pauses mid-slice; a ScanIndex grows in typed arrays, rehashing in steps.
   */
  #visited: ScanIndex[];
  /** Captured keys whose commands are not all encoded yet, oldest first (from #head). */
  #captures: Capture[] = [];
  #head = 0;
  #enc = new ReplyWriter();
  #lastDb = -1;
  #aborted: string | undefined;
  #file: Deno.FsFile | undefined;
  #size = 0;
  #crc = 0;
  keysWritten = 0;
  /** Longest time one slice, or one copy-on-write capture, kept the loop (ms). */
  longestSliceMs = 0;
  longestCaptureMs = 0;
  readonly startedAt = Date.now();

  constructor(readonly server: Server, readonly aof: Aof) {
    this.#visited = server.dbs.map(() => new ScanIndex());
  }

  /** Called before a write touches `key` in db `dbId` (and for every db when `dbId` is -1). */
  beforeWrite(dbId: number, key: string): void {
    const t0 = performance.now();
    if (dbId < 0) {
      for (const db of this.server.dbs) this.#visit(db, key);
    } else this.#visit(this.server.dbs[dbId], key);
    const ms = performance.now() - t0;
    if (ms > this.longestCaptureMs) this.longestCaptureMs = ms;
  }

  /** A change that can't be copied key by key (FLUSHALL, SWAPDB…): give up this rewrite. */
  abort(reason: string): void {
    this.#aborted ??= reason;
  }

  #visit(db: Db, key: string): void {
    if (!this.#visited[db.id].addIfAbsent(key)) return;
    const v = db.dict.get(key);
    if (v === undefined) return;
    const at = db.expires.size === 0 ? undefined : db.expires.get(key);
    // Logically gone already; replay gets the DEL from the incremental file if it happens.
    if (at !== undefined && at <= Date.now()) return;
    const cmds = captureKey(key, v, at);
    if (Array.isArray(cmds)) { for (const argv of cmds) this.#encode(db.id, argv); }
    else this.#captures.push({ db: db.id, commands: cmds });
    this.keysWritten++;
  }

  /** Encodes up to `max` captured commands; false when no capture is left. */
  #encodeSome(max: number): boolean {
    const caps = this.#captures;
    let n = 0;
    while (this.#head < caps.length && n < max) {
      const cap = caps[this.#head];
      for (; n < max; n++) {
        const r = cap.commands.next();
        if (r.done) {
          caps[this.#head++] = undefined as unknown as Capture;
          break;
        }
        this.#encode(cap.db, r.value);
      }
    }
    if (this.#head === caps.length) {
      caps.length = 0;
      this.#head = 0;
      return false;
    }
    if (this.#head > 4096 && this.#head * 2 > caps.length) {
      this.#captures = caps.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }

  #encode(db: number, argv: Arg[]): void {
    const enc = this.#enc;
    if (db !== this.#lastDb) {
      enc.array(2);
      enc.bulkBinary("SELECT");
      enc.bulkBinary(String(db));
      this.#lastDb = db;
    }
    enc.array(argv.length);
    for (const a of argv) typeof a === "string" ? enc.bulkBinary(a) : enc.bulk(a);
  }

  /** Runs the whole rewrite; resolves when the new base is in the manifest. */
  async run(): Promise<void> {
    const server = this.server;
    const aof = this.aof;
    const seq = aof.nextBaseSeq();
    const baseName = `${aof.baseName}.${seq}.base.aof`;
    const tmpPath = join(aof.dir, `temp-rewriteaof-${Deno.pid}.aof`);
    this.#file = await Deno.open(tmpPath, { write: true, create: true, truncate: true });
    const t0 = performance.now();
    try {
      await aof.switchIncr(() => {
        server.rewrite = this;
        for (const extra of rewriteExtras) {
          for (const argv of extra(server)) {
            this.#enc.array(argv.length);
            for (const a of argv) this.#enc.bulk(a);
          }
        }
      });
      let dbIndex = 0;
      let cursor = 0;
      let scanning = true;
      const visit = (key: string) => this.#visit(server.dbs[dbIndex], key);
      for (let busy = true; busy;) {
        const start = performance.now();
        const deadline = start + SLICE_MS;
        do {
          // Work in small steps between looks at the clock (reading it costs ~0.1 µs).
          for (let i = 0; i < STEPS_PER_CLOCK && busy; i++) {
            if (this.#encodeSome(ENCODE_BATCH)) continue;
            if (!scanning) busy = false;
            else {
              cursor = server.dbs[dbIndex].index.scan(cursor, visit);
              if (cursor === 0 && ++dbIndex === server.dbs.length) {
                // Every key that existed at T is captured: later writes need only the new incr.
                scanning = false;
                server.rewrite = undefined;
              }
            }
          }
        } while (busy && performance.now() < deadline);
        this.longestSliceMs = Math.max(this.longestSliceMs, performance.now() - start);
        if (this.#aborted) throw new RewriteAborted(this.#aborted);
        if (this.#enc.len >= WRITE_CHUNK) await this.#writeOut();
        else if (busy) await yieldToLoop();
      }
      await this.#writeOut();
      await this.#file.sync();
      this.#file.close();
      this.#file = undefined;
      await Deno.rename(tmpPath, join(aof.dir, baseName));
      await syncDir(aof.dir);
      await aof.installBase({ name: baseName, seq, type: "b", size: this.#size, crc32: this.#crc });
      server.log.notice(
        `Background AOF rewrite finished successfully: ${this.keysWritten} keys in ${
          ((performance.now() - t0) / 1000).toFixed(3)
        } s (longest slice ${this.longestSliceMs.toFixed(2)} ms, longest capture ${
          this.longestCaptureMs.toFixed(2)
        } ms)`,
      );
    } catch (e) {
      if (server.rewrite === this) server.rewrite = undefined;
      this.#file?.close();
      await Deno.remove(tmpPath).catch(() => {});
      throw e;
    }
  }

  async #writeOut(): Promise<void> {
    if (this.#enc.len === 0) return;
    let b = this.#enc.take();
    this.#crc = crc32(b, this.#crc);
    this.#size += b.length;
    while (b.length) b = b.subarray(await this.#file!.write(b));
  }
}
