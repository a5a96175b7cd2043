// The write-ahead log: a subscriber of the write path that appends every change record, RESP-encoded,
// to the current incremental file of a Redis 7 style multi-part AOF directory. With
// appendfsync=always, replies wait until their records are fdatasync'ed: one write + one fsync
// covers everything that arrived meanwhile (group commit).

import { join, resolve } from "node:path";
import { setImmediate } from "node:timers";
import { crc32 } from "node:zlib";
import { ReplyWriter } from "../resp/writer.ts";
import type { ChangeRecord } from "../server/write_path.ts";
import type { Server } from "../server/server.ts";
import type { Client } from "../server/client.ts";
import {
  type AofFileInfo,
  AofLoadError,
  formatManifest,
  type Manifest,
  parseManifest,
  syncDir,
  writeDurably,
} from "./manifest.ts";

export type FsyncPolicy = "always" | "everysec" | "no";

const MULTI = new TextEncoder().encode("*1\r\n$5\r\nMULTI\r\n");
const EXEC = new TextEncoder().encode("*1\r\n$4\r\nEXEC\r\n");
/** Fsync latency histogram bucket bounds in seconds (for /metrics). */
export const FSYNC_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5];

/** The durability gate after a final close: whatever replies come now wait for the exit. */
const HOLD_FOREVER = { requiredEpoch: () => Number.MAX_SAFE_INTEGER, wait: () => {} };

export class Aof {
  readonly dir: string;
  manifest: Manifest = { base: undefined, incrs: [], history: [] };
  #policy: FsyncPolicy = "always";
  /** An fsync is owed even with nothing new to write (switching to appendfsync always). */
  #needSync = false;
  #file: Deno.FsFile | undefined;
  #enc = new ReplyWriter();
  #lastDb = -1;
  /** Records appended now belong to `#epoch`; `durable` is the last epoch known on disk. */
  #epoch = 1;
  durable = 0;
  #flushing = false;
  #scheduled = false;
  #waiting = new Set<Client>();
  #unsubscribe: (() => void) | undefined;
  #everysecTimer: ReturnType<typeof setInterval> | undefined;
  #fsyncInFlightSince = 0;
  /** Bytes in the current incremental file, and in the base at the last rewrite (auto-rewrite). */
  incrSize = 0;
  baseSize = 0;
  delayedFsync = 0;
  lastWriteOk = true;
  lastFsyncMs = 0;
  readonly fsyncHistogram = new Array<number>(FSYNC_BUCKETS.length + 1).fill(0);
  fsyncSum = 0;

  constructor(readonly server: Server) {
    const cfg = server.config;
    this.dir = resolve(cfg.str("dir"), cfg.str("appenddirname"));
  }

  get baseName(): string {
    return this.server.config.str("appendfilename");
  }

  get manifestName(): string {
    return `${this.baseName}.manifest`;
  }

  /** Reads the manifest, or creates an empty base + first incremental file when there is none. */
  async open(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    // Leftovers of a rewrite or manifest write that a crash interrupted.
    for await (const e of Deno.readDir(this.dir)) {
      if (e.isFile && e.name.startsWith("temp-")) await Deno.remove(join(this.dir, e.name));
    }
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(join(this.dir, this.manifestName));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (text !== undefined) {
      try {
        this.manifest = parseManifest(text);
      } catch (e) {
        throw new AofLoadError(
          `Invalid AOF manifest ${this.manifestName}: ${(e as Error).message}`,
        );
      }
      await this.#removeUnlisted();
    }
    if (!this.manifest.base && this.manifest.incrs.length === 0) {
      const base: AofFileInfo = { name: `${this.baseName}.1.base.aof`, seq: 1, type: "b" };
      await Deno.writeFile(join(this.dir, base.name), new Uint8Array(0));
      base.size = 0;
      base.crc32 = 0;
      this.manifest.base = base;
    }
    if (this.manifest.incrs.length === 0) {
      this.manifest.incrs.push({ name: `${this.baseName}.1.incr.aof`, seq: 1, type: "i" });
    }
    await this.#persistManifest();
  }

  /**
   * Log files the manifest does not name: replaced ones a crash kept from being deleted, or a
   * fresh start's files from before its first base. Nothing reads them; they only take space.
   */
  async #removeUnlisted(): Promise<void> {
    const listed = new Set(this.files().map((f) => f.name));
    const prefix = `${this.baseName}.`;
    for await (const e of Deno.readDir(this.dir)) {
      const rest = e.name.startsWith(prefix) ? e.name.slice(prefix.length) : "";
      if (!e.isFile || !/^\d+\.(base|incr)\.aof$/.test(rest) || listed.has(e.name)) continue;
      await Deno.remove(join(this.dir, e.name));
      this.server.log.notice(`Removed ${e.name}: not in the AOF manifest`);
    }
  }

  async #persistManifest(): Promise<void> {
    if (this.#orphans) return; // starting fresh: the old manifest stays until the first base
    await writeDurably(this.dir, this.manifestName, formatManifest(this.manifest));
  }

  /**
   * Files of a stale log (appendonly was off for a while): dropped from the manifest by the first
   * rewrite, which must run before anything else is persisted. Undefined when not starting fresh.
   */
  #orphans: AofFileInfo[] | undefined;

  /**
   * CONFIG SET appendonly yes: logging restarts in a new incremental file while the files on disk
   * describe an older dataset. The manifest on disk keeps naming them until the caller's rewrite
   * installs a base (a crash before that loads the old data, as with Redis).
   */
  startFresh(): void {
    const last = this.manifest.incrs[this.manifest.incrs.length - 1];
    this.#orphans = [...this.manifest.incrs];
    this.manifest.incrs = [{
      name: `${this.baseName}.${(last?.seq ?? 0) + 1}.incr.aof`,
      seq: (last?.seq ?? 0) + 1,
      type: "i",
    }];
  }

  /** True until a fresh start has its first base (see startFresh). */
  get waitingForBase(): boolean {
    return this.#orphans !== undefined;
  }

  /** Encoded records not written to the file yet (INFO aof_buffer_length). */
  get bufferLength(): number {
    return this.#enc.len;
  }

  /** True while an everysec fsync runs in the background (INFO aof_pending_bio_fsync). */
  get fsyncInFlight(): boolean {
    return this.#fsyncInFlightSince !== 0;
  }

  /** The sequence number the next base file gets. */
  nextBaseSeq(): number {
    return (this.manifest.base?.seq ?? 0) + 1;
  }

  /** Bytes of every file of the log: base, sealed incrementals and the open one (INFO, auto-rewrite). */
  get currentSize(): number {
    let n = this.manifest.base?.size ?? 0;
    const incrs = this.manifest.incrs;
    for (let i = 0; i < incrs.length - 1; i++) n += incrs[i].size ?? 0;
    return n + this.incrSize;
  }

  /** The log's size after the last rewrite (or at start): auto-rewrite measures growth from it. */
  rewriteBaseSize = 0;

  /** The files replay reads, in order. */
  files(): AofFileInfo[] {
    return [...(this.manifest.base ? [this.manifest.base] : []), ...this.manifest.incrs];
  }

  /** Opens the last incremental file for appending and subscribes to the write path. */
  async start(): Promise<void> {
    const cur = this.manifest.incrs[this.manifest.incrs.length - 1];
    const path = join(this.dir, cur.name);
    this.#file = await Deno.open(path, { append: true, create: true });
    this.incrSize = (await this.#file.stat()).size;
    this.baseSize = this.manifest.base?.size ?? 0;
    this.rewriteBaseSize = this.currentSize;
    this.#lastDb = -1;
    this.#unsubscribe = this.server.wp.subscribe((rec) => this.append(rec));
    this.server.durability = this;
    this.#everysecTimer = setInterval(() => this.#everysec(), 1000);
    await syncDir(this.dir);
  }

  /** Encodes one change record: SELECT when the db changes, MULTI/EXEC around atomic units. */
  append(rec: ChangeRecord): void {
    const enc = this.#enc;
    if (rec.atomic) enc.raw(MULTI);
    for (const c of rec.commands) {
      if (c.db !== this.#lastDb) {
        enc.array(2);
        enc.bulkBinary("SELECT");
        enc.bulkBinary(String(c.db));
        this.#lastDb = c.db;
      }
      enc.array(c.argv.length);
      for (const a of c.argv) enc.bulk(a);
    }
    if (rec.atomic) enc.raw(EXEC);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  /**
   * The epoch a reply produced now must wait for before it may be sent (0: send at once).
   * Only appendfsync=always holds replies.
   */
  requiredEpoch(): number {
    if (this.policy !== "always") return 0;
    const need = this.#enc.len > 0 ? this.#epoch : this.#epoch - 1;
    return need > this.durable ? need : 0;
  }

  get policy(): FsyncPolicy {
    return this.#policy;
  }

  /**
   * CONFIG SET appendfsync. Switching to always, records written under the old policy may not be
   * on disk yet: one fsync covers them before any reply that saw them is released.
   */
  set policy(p: FsyncPolicy) {
    const was = this.#policy;
    this.#policy = p;
    if (p === "always" && was !== "always" && this.#file) {
      this.#needSync = true;
      this.#schedule();
    }
  }

  /** A client holding output until `durable` reaches its epoch. */
  wait(c: Client): void {
    this.#waiting.add(c);
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while ((this.#enc.len > 0 || this.#needSync) && this.#file) {
        this.#needSync = false;
        const epoch = this.#epoch++;
        let bytes = this.#enc.take();
        const total = bytes.length;
        try {
          // A synchronous write only copies into the page cache: it saves a trip through the
          // thread pool and the loop (~ms under load), unless a background fsync could stall it.
          while (bytes.length) {
            const n = this.#fsyncInFlightSince === 0
              ? this.#file.writeSync(bytes)
              : await this.#file.write(bytes);
            bytes = bytes.subarray(n);
          }
          // The policy is read after the write: a switch to always during it still gets its fsync.
          if (this.#policy === "always") {
            await this.#fsync();
            this.durable = epoch;
          }
          this.lastWriteOk = true;
        } catch (e) {
          this.lastWriteOk = false;
          this.server.log.warning(`Error writing to the AOF file: ${(e as Error).message}`);
          // Retry what was not written (and the fsync) under the next epoch, which every held
          // reply of this batch and of the records appended since waits for.
          const rest = this.#enc.take();
          this.#enc.raw(bytes);
          this.#enc.raw(rest);
          this.#needSync = true;
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        this.incrSize += total;
        this.#release();
      }
    } finally {
      this.#flushing = false;
    }
    if (this.#enc.len > 0 || this.#needSync) this.#schedule();
  }

  async #fsync(): Promise<void> {
    const t0 = performance.now();
    this.#fsyncInFlightSince = Date.now();
    await this.#file!.syncData();
    this.#fsyncInFlightSince = 0;
    const ms = performance.now() - t0;
    this.lastFsyncMs = ms;
    this.fsyncSum += ms / 1000;
    let i = 0;
    while (i < FSYNC_BUCKETS.length && ms / 1000 > FSYNC_BUCKETS[i]) i++;
    this.fsyncHistogram[i]++;
  }

  #release(): void {
    if (this.#waiting.size === 0) return;
    const done = this.requiredEpoch() === 0 ? Infinity : this.durable;
    for (const c of this.#waiting) {
      c.releaseHeld(done);
      if (c.heldOutput.length === 0) this.#waiting.delete(c);
    }
  }

  /** everysec: fsync off the hot path; a stalled fsync is counted, never waited for. */
  #everysec(): void {
    if (this.policy !== "everysec" || !this.#file) return;
    if (this.#fsyncInFlightSince) {
      if (Date.now() - this.#fsyncInFlightSince > 2000) this.delayedFsync++;
      return;
    }
    this.#fsync().catch((e) => {
      this.#fsyncInFlightSince = 0;
      this.server.log.warning(`AOF fsync error: ${(e as Error).message}`);
    });
  }

  /**
   * Starts a new incremental file. Everything appended before the switch goes (durably) to the old
   * file, everything after to the new one; `atSwitch` runs synchronously at that instant, and the new
   * file is in the manifest before any write in it can be acknowledged.
   */
  async switchIncr(atSwitch: () => void): Promise<void> {
    const last = this.manifest.incrs[this.manifest.incrs.length - 1];
    const info: AofFileInfo = {
      name: `${this.baseName}.${last.seq + 1}.incr.aof`,
      seq: last.seq + 1,
      type: "i",
    };
    const next = await Deno.open(join(this.dir, info.name), { append: true, create: true });
    while (this.#flushing) await new Promise((r) => setTimeout(r, 1));
    // Synchronous from here to the first await: no command runs in between.
    this.#flushing = true;
    const oldFile = this.#file!;
    const epoch = this.#epoch++;
    let bytes = this.#enc.take();
    this.#file = next;
    this.#lastDb = -1;
    this.incrSize = 0;
    atSwitch();
    try {
      while (bytes.length) bytes = bytes.subarray(await oldFile.write(bytes));
      await oldFile.syncData();
      oldFile.close();
      Object.assign(last, await Aof.checksum(join(this.dir, last.name)));
      this.manifest.incrs.push(info);
      await this.#persistManifest();
      this.durable = Math.max(this.durable, epoch);
    } finally {
      this.#flushing = false;
    }
    this.#release();
    this.#schedule();
  }

  /** Makes `base` the base file and drops the files it replaces, once the manifest says so. */
  async installBase(base: AofFileInfo): Promise<void> {
    const old = [
      ...(this.manifest.base ? [this.manifest.base] : []),
      ...this.manifest.incrs.slice(0, -1),
      ...(this.#orphans ?? []),
    ];
    this.manifest.base = base;
    this.manifest.incrs = this.manifest.incrs.slice(-1);
    this.#orphans = undefined;
    await this.#persistManifest();
    this.baseSize = base.size ?? 0;
    this.rewriteBaseSize = this.currentSize;
    for (const f of old) await Deno.remove(join(this.dir, f.name)).catch(() => {});
    this.lastRewriteAt = Date.now();
  }

  lastRewriteAt = 0;

  /** Resolves once everything appended before the call is written (and fsynced). */
  async drain(): Promise<void> {
    for (;;) {
      while (this.#flushing) await new Promise((r) => setTimeout(r, 1));
      if (this.#enc.len === 0 || !this.#file) break;
      await this.#flush();
    }
    if (this.#file && this.policy !== "always") await this.#fsync();
  }

  /**
   * Stops logging: later writes are not recorded; everything before is written and fsynced.
   * `final` (shutdown): replies produced from now on are never sent, so no client is told OK
   * about a write that missed the log while the process exits.
   */
  async close(final = false): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#everysecTimer);
    if (final) this.server.durability = HOLD_FOREVER;
    else if (this.server.durability === this) this.server.durability = undefined;
    await this.drain();
    for (const c of this.#waiting) c.releaseHeld(Infinity);
    this.#waiting.clear();
    this.#file?.close();
    this.#file = undefined;
  }

  /** CRC32 and size of a file, read in chunks, to seal it in the manifest or verify it. */
  static async checksum(path: string): Promise<{ size: number; crc32: number }> {
    const f = await Deno.open(path, { read: true });
    const buf = new Uint8Array(1 << 20);
    let size = 0;
    let crc = 0;
    try {
      for (;;) {
        const n = await f.read(buf);
        if (n === null) break;
        crc = crc32(buf.subarray(0, n), crc);
        size += n;
      }
    } finally {
      f.close();
    }
    return { size, crc32: crc };
  }
}
