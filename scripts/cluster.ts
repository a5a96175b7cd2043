// `deno task cluster`: a local Reredis Cluster. Starts N nodes on consecutive ports (HTTP ports
// too), data under one directory, joins them with CLUSTER MEET, waits for cluster_state:ok (the
// nodes split the slots themselves: cluster-auto-assign), prints how to connect, streams every
// node's log with a [port] prefix and stops them all on Ctrl-C.
//
//   deno task cluster [--nodes 3] [--port 7000] [--http-port 8080] [--dir .reredis-cluster]
//                     [--node-timeout 5000] [-- extra reredis options for every node]

import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { RespClient } from "../src/resp/client.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

export interface LocalClusterOptions {
  nodes: number;
  port: number;
  /** First HTTP port; 0 turns the web UI off. */
  httpPort: number;
  dir: string;
  nodeTimeout: number;
  /** More reredis options for every node (e.g. ["--appendonly", "no"]). */
  extra: string[];
  /** Where log lines go (already prefixed); undefined drops them. */
  log?: (line: string) => void;
}

export interface LocalCluster {
  ports: number[];
  stop(): Promise<void>;
}

/** Starts the nodes, meets them and waits until every node reports cluster_state:ok. */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const procs: Deno.ChildProcess[] = [];
  const ports = Array.from({ length: o.nodes }, (_, i) => o.port + i);
  const stop = async () => {
    for (const p of procs) {
      try {
        p.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    const timer = setTimeout(() => {
      for (const p of procs) {
        try {
          p.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }, 5000);
    await Promise.all(procs.map((p) => p.status));
    clearTimeout(timer);
  };
  try {
    for (let i = 0; i < o.nodes; i++) {
      const port = ports[i];
      const extra = [
        "--http-port",
        String(o.httpPort ? o.httpPort + i : 0),
        "--cluster-node-timeout",
        String(o.nodeTimeout),
        ...o.extra,
      ];
      procs.push(await spawnNode(port, join(o.dir, String(port)), extra, o.log));
    }
    for (let i = 0; i < ports.length; i++) await waitForPing(ports[i], 30_000, procs[i].pid);
    const first = await RespClient.connect(ports[0]);
    try {
      for (const port of ports.slice(1)) {
        const r = await first.call("CLUSTER", "MEET", "127.0.0.1", String(port));
        if (r && typeof r === "object" && "-" in r) throw new Error(`MEET ${port}: ${r["-"]}`);
      }
    } finally {
      first.close();
    }
    for (const port of ports) await waitForState(port, "ok", 60_000);
    return { ports, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Starts one cluster-enabled node process on `port` with its data in `dir`. */
export async function spawnNode(
  port: number,
  dir: string,
  extra: string[],
  log?: (line: string) => void,
): Promise<Deno.ChildProcess> {
  await Deno.mkdir(dir, { recursive: true });
  const args = ["run", "-A", MAIN, "--port", String(port), "--cluster-enabled", "yes"];
  args.push("--dir", dir, ...extra);
  const proc = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  pipeLines(proc.stdout, `[${port}] `, log);
  pipeLines(proc.stderr, `[${port}] `, log);
  return proc;
}

function pipeLines(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  log: ((line: string) => void) | undefined,
): void {
  (async () => {
    const dec = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += dec.decode(chunk, { stream: true });
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const l of lines) log?.(prefix + l);
    }
    if (rest) log?.(prefix + rest);
  })().catch(() => {});
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `port` answers PING; with `pid`, also checks that this process is the one answering
 * (another process may hold the port, and joining its cluster would be a surprise).
 */
export async function waitForPing(port: number, ms: number, pid?: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let info: unknown;
    try {
      const c = await RespClient.connect(port);
      const r = await c.call("PING");
      if (pid !== undefined) info = await c.call("INFO", "server");
      c.close();
      if (!(r && typeof r === "object" && "+" in r)) throw new Error("not ready");
    } catch {
      await sleep(100);
      continue;
    }
    if (pid === undefined) return;
    const m = /process_id:(\d+)/.exec(String(info));
    if (m && Number(m[1]) === pid) return;
    throw new Error(`port ${port} is served by another process (pid ${m?.[1]})`);
  }
  throw new Error(`node on port ${port} did not start`);
}

/** Waits until CLUSTER INFO on `port` shows cluster_state:<state>. */
export async function waitForState(port: number, state: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const c = await RespClient.connect(port);
      const r = await c.call("CLUSTER", "INFO");
      c.close();
      const text = typeof r === "string" ? r : (r as { "=": string })?.["="] ?? "";
      if (text.includes(`cluster_state:${state}`)) return;
    } catch { /* retry */ }
    await sleep(200);
  }
  throw new Error(`node on port ${port} did not reach cluster_state:${state}`);
}

if (import.meta.main) {
  const dashdash = Deno.args.indexOf("--");
  const own = dashdash >= 0 ? Deno.args.slice(0, dashdash) : Deno.args;
  const extra = dashdash >= 0 ? Deno.args.slice(dashdash + 1) : [];
  const { values } = parseArgs({
    args: own,
    options: {
      nodes: { type: "string", default: "3" },
      port: { type: "string", default: "7000" },
      "http-port": { type: "string", default: "8080" },
      dir: { type: "string", default: ".reredis-cluster" },
      "node-timeout": { type: "string", default: "5000" },
      replicas: { type: "string", default: "0" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task cluster [--nodes 3] [--port 7000] [--http-port 8080] " +
        "[--dir .reredis-cluster] [--node-timeout 5000] [-- reredis options]",
    );
    Deno.exit(0);
  }
  if (values.replicas !== "0") {
    console.error("--replicas: Reredis has no replication yet; only masters can be started.");
    Deno.exit(2);
  }
  const opts: LocalClusterOptions = {
    nodes: Number(values.nodes),
    port: Number(values.port),
    httpPort: Number(values["http-port"]),
    dir: resolve(values.dir!),
    nodeTimeout: Number(values["node-timeout"]),
    extra,
    log: (line) => console.log(line),
  };
  console.log(
    `Starting ${opts.nodes} Reredis cluster nodes on ports ${opts.port}+ (data in ${opts.dir})`,
  );
  const cluster = await startLocalCluster(opts);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping the cluster…");
    await cluster.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", shutdown);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", shutdown);
  const p0 = cluster.ports[0];
  console.log(
    [
      "",
      `Cluster ready: cluster_state:ok on ${cluster.ports.length} nodes (${
        cluster.ports.join(", ")
      }).`,
      `  redis-cli -c -p ${p0}                       # follows MOVED/ASK`,
      `  redis-cli --cluster check 127.0.0.1:${p0}`,
      `  new Cluster([{ host: "127.0.0.1", port: ${p0} }])   // npm:ioredis`,
      ...(opts.httpPort
        ? cluster.ports.map((_, i) => `  web UI: http://127.0.0.1:${opts.httpPort + i}/`)
        : []),
      "Ctrl-C stops every node.",
      "",
    ].join("\n"),
  );
}
