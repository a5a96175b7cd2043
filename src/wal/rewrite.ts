// Compaction without fork and without stopping the loop. At one synchronous instant T the WAL
// switches to a new incremental file and copy-on-write starts: from then on, before any command
// (or expiry) mutates a key the rewrite has not visited yet, the key's pre-image (its state at T,
// or "absent") is written to the new base first. The scan writes every other key as it finds it,
// in slices of ≤ 2 ms. So the base holds exactly the dataset at T, and base + new incremental
// replays to the live state: no write is applied twice (a later INCR or APPEND lands only in the
// incremental file) and none is lost. Old files are deleted only after the new manifest is durable.
// Anything that cannot be copy-on-written cheaply (FLUSHALL, SWAPDB) aborts the rewrite, which is
// always safe: the manifest still lists the old base, the old and the new incremental files.

import { join } from "node:path";
import { ReplyWriter } from "../resp/writer.ts";
import type { Server } from "../server/server.ts";
import type { Db } from "../store/db.ts";
import { fromKey } from "../util/bytes.ts";
import { Aof } from "./aof.ts";
import { rewriteKey } from "./rewrite_value.ts";
import { syncDir } from "./manifest.ts";

const SLICE_MS = 2;
const WRITE_CHUNK = 1 << 20;

export class RewriteAborted extends Error {}

export class AofRewrite {
  #visited: Set<string>[];
  #enc = new ReplyWriter();
  #lastDb = -1;
  #aborted: string | undefined;
  #file: Deno.FsFile | undefined;
  keysWritten = 0;
  /** Longest time one slice (or one copy-on-write) kept the loop, in ms. */
  longestSliceMs = 0;

  constructor(readonly server: Server, readonly aof: Aof) {
    this.#visited = server.dbs.map(() => new Set<string>());
  }

  /** Called before a write touches `key` in db `dbId` (and for every db when `dbId` is -1). */
  beforeWrite(dbId: number, key: string): void {
    if (dbId < 0) {
      for (const db of this.server.dbs) this.#visit(db, key);
    } else this.#visit(this.server.dbs[dbId], key);
  }

  /** A change that can't be copied key by key (FLUSHALL, SWAPDB…): give up this rewrite. */
  abort(reason: string): void {
    this.#aborted ??= reason;
  }

  #visit(db: Db, key: string): void {
    const seen = this.#visited[db.id];
    if (seen.has(key)) return;
    seen.add(key);
    const v = db.dict.get(key);
    if (v === undefined) return;
    const at = db.expires.get(key);
    if (at !== undefined && at <= Date.now()) return;
    if (db.id !== this.#lastDb) {
      this.#enc.array(2);
      this.#enc.bulkBinary("SELECT");
      this.#enc.bulkBinary(String(db.id));
      this.#lastDb = db.id;
    }
    rewriteKey(fromKey(key), v, at, (argv) => {
      this.#enc.array(argv.length);
      for (const a of argv) this.#enc.bulk(a);
    });
    this.keysWritten++;
  }

  /** Runs the whole rewrite; resolves when the new base is in the manifest. */
  async run(): Promise<void> {
    const server = this.server;
    const aof = this.aof;
    const seq = (aof.manifest.base?.seq ?? 0) + 1;
    const baseName = `${aof.baseName}.${seq}.base.aof`;
    const tmpPath = join(aof.dir, `temp-rewriteaof-${Deno.pid}.aof`);
    this.#file = await Deno.open(tmpPath, { write: true, create: true, truncate: true });
    const t0 = performance.now();
    try {
      await aof.switchIncr(() => (server.rewrite = this));
      for (const db of server.dbs) {
        let cursor = 0;
        do {
          const start = performance.now();
          while (performance.now() - start < SLICE_MS) {
            cursor = db.index.scan(cursor, (key) => this.#visit(db, key));
            if (cursor === 0) break;
          }
          this.longestSliceMs = Math.max(this.longestSliceMs, performance.now() - start);
          if (this.#aborted) throw new RewriteAborted(this.#aborted);
          if (this.#enc.len >= WRITE_CHUNK) await this.#writeOut();
          else await new Promise((r) => setTimeout(r, 0));
        } while (cursor !== 0);
      }
      // Every key that existed at T is in the base now: later writes only need the new incr file.
      server.rewrite = undefined;
      await this.#writeOut();
      await this.#file.sync();
      this.#file.close();
      this.#file = undefined;
      await Deno.rename(tmpPath, join(aof.dir, baseName));
      await syncDir(aof.dir);
      const sum = await Aof.checksum(join(aof.dir, baseName));
      await aof.installBase({ name: baseName, seq, type: "b", ...sum });
      server.log.notice(
        `Background AOF rewrite finished successfully: ${this.keysWritten} keys in ${
          ((performance.now() - t0) / 1000).toFixed(3)
        } s (longest slice ${this.longestSliceMs.toFixed(2)} ms)`,
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
    while (b.length) b = b.subarray(await this.#file!.write(b));
  }
}
