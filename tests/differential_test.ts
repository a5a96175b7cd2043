// Differential test: runs every tests/corpus/*.txt script against Reredis and a real redis-server
// and requires byte-identical raw replies. Format: tests/corpus/README.md.

import { RespClient } from "../src/resp/client.ts";
import { type CorpusStep, escapeBytes, parseCorpus, replyMatches } from "./helpers/corpus.ts";
import {
  redisServerAvailable,
  type RunningServer,
  startRedis,
  startReredis,
} from "./helpers/server.ts";

const CORPUS_DIR = new URL("./corpus/", import.meta.url);
/** A reply slower than this counts as missing (the connection is then replaced). */
const REPLY_TIMEOUT_MS = 5000;

const corpusFiles = [...Deno.readDirSync(CORPUS_DIR)]
  .filter((e) => e.isFile && e.name.endsWith(".txt"))
  .map((e) => e.name)
  .sort();

const haveRedis = redisServerAvailable();
const skip = !haveRedis && Deno.env.get("REREDIS_SKIP_DIFF") === "1" &&
  Deno.env.get("CI") !== "true";
if (skip) {
  console.warn(
    "\n*** differential tests SKIPPED: redis-server is not installed (REREDIS_SKIP_DIFF=1) ***\n",
  );
}

/** Both servers, started once for the whole run and shared by every corpus file. */
let servers: Promise<[RunningServer, RunningServer]> | undefined;
function bothServers(): Promise<[RunningServer, RunningServer]> {
  servers ??= (async () => {
    const started = await Promise.allSettled([startReredis(), startRedis()]);
    const failed = started.find((r) => r.status === "rejected");
    if (failed) {
      for (const r of started) if (r.status === "fulfilled") await r.value.stop();
      throw (failed as PromiseRejectedResult).reason;
    }
    return started.map((r) => (r as PromiseFulfilledResult<RunningServer>).value) as [
      RunningServer,
      RunningServer,
    ];
  })();
  return servers;
}

/** One side of the comparison: a server and the current connection to it. */
class Side {
  client: RespClient | undefined;
  constructor(readonly name: string, public server: RunningServer) {}

  async connect(): Promise<RespClient> {
    this.client?.close();
    this.client = await RespClient.connect(this.server.port);
    return this.client;
  }

  /** Sends one command and reads one raw reply; null if the server closed or did not answer. */
  async roundTrip(args: Uint8Array[]): Promise<Uint8Array | null> {
    const c = this.client ?? await this.connect();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await c.send(...args);
      const timeout = new Promise<"timeout">((
        r,
      ) => (timer = setTimeout(() => r("timeout"), REPLY_TIMEOUT_MS)));
      const r = await Promise.race([c.readRaw(), timeout]);
      if (r === "timeout") {
        this.drop();
        return new TextEncoder().encode(`(no reply within ${REPLY_TIMEOUT_MS} ms)`);
      }
      if (r === null) this.drop();
      return r;
    } catch {
      this.drop();
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forgets the connection; the next command opens a fresh one (RESP2, db 0). */
  drop(): void {
    this.client?.close();
    this.client = undefined;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
let warnedNoFlushall = false;

/** FLUSHALL on both servers through fresh connections, then fresh connections for the script. */
async function reset(sides: Side[]): Promise<string | undefined> {
  for (const s of sides) {
    s.drop();
    const reply = await s.roundTrip([enc.encode("FLUSHALL")]);
    const text = reply ? dec.decode(reply) : "(closed)";
    if (text !== "+OK\r\n") {
      if (s.name === "reredis" && text.startsWith("-ERR unknown command")) {
        // Until Reredis has FLUSHALL, a fresh Reredis gives the same clean start.
        if (!warnedNoFlushall) console.warn("differential: no FLUSHALL yet, restarting Reredis");
        warnedNoFlushall = true;
        await s.server.stop();
        s.server = await startReredis();
        const [, redis] = await bothServers();
        servers = Promise.resolve([s.server, redis]);
      } else return `FLUSHALL on ${s.name} replied ${escapeBytes(reply)}`;
    }
    s.drop();
    await s.connect();
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runCorpus(file: string, steps: CorpusStep[], sides: Side[]): Promise<string[]> {
  const problems: string[] = [];
  const resetError = await reset(sides);
  if (resetError) return [`${file}: ${resetError}`];
  for (const step of steps) {
    if (step.kind === "sleep") {
      await sleep(step.ms);
      continue;
    }
    if (step.kind === "reset") {
      const e = await reset(sides);
      if (e) problems.push(`${file}:${step.line}: @reset: ${e}`);
      continue;
    }
    const [ours, theirs] = await Promise.all(sides.map((s) => s.roundTrip(step.args)));
    // QUIT ends the connection after its reply; later lines run on a fresh one.
    if (dec.decode(step.args[0]).toLowerCase() === "quit") { for (const s of sides) s.drop(); }
    const where = `${file}:${step.line}: ${step.text}`;
    if (step.noreply) continue;
    if (step.match) {
      const bad = [["reredis", ours], ["redis", theirs]]
        .filter(([, r]) => r === null || !replyMatches(step.match!, r as Uint8Array))
        .map(([n]) => n);
      if (bad.length) {
        problems.push(
          `${where}\n    @match ${step.match.source} failed on ${bad.join(" and ")}` +
            `\n    redis:   ${escapeBytes(theirs)}\n    reredis: ${escapeBytes(ours)}`,
        );
      }
      continue;
    }
    if (!sameBytes(ours, theirs)) {
      problems.push(
        `${where}\n    redis:   ${escapeBytes(theirs)}\n    reredis: ${escapeBytes(ours)}`,
      );
    }
  }
  return problems;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skip };

for (const file of corpusFiles) {
  Deno.test(`corpus ${file} replies byte-for-byte like redis-server`, opts, async () => {
    if (!haveRedis) {
      throw new Error(
        "redis-server is not installed: the differential tests need it " +
          "(apt-get install redis-server). Locally, set REREDIS_SKIP_DIFF=1 to skip them.",
      );
    }
    const parsed = parseCorpus(await Deno.readTextFile(new URL(file, CORPUS_DIR)));
    const [reredis, redis] = await bothServers();
    const sides = [new Side("reredis", reredis), new Side("redis", redis)];
    let problems: string[];
    try {
      problems = [
        ...parsed.errors.map((e) => `${file} ${e}`),
        ...await runCorpus(file, parsed.steps, sides),
      ];
    } finally {
      for (const s of sides) s.drop();
    }
    if (problems.length) {
      throw new Error(
        `${problems.length} difference(s) in ${file}:\n\n${problems.join("\n\n")}\n`,
      );
    }
  });
}

Deno.test("differential servers stop", opts, async () => {
  if (!servers) return;
  const [a, b] = await servers.catch(() => [] as RunningServer[]);
  await Promise.all([a?.stop(), b?.stop()]);
});
