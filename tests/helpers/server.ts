// Starts real servers for integration tests: Reredis (main.ts in a child process) and, where
// installed, redis-server, each on a free loopback port.

import { RespClient } from "../../src/resp/client.ts";

export interface RunningServer {
  port: number;
  /** Lines the process printed (stdout and stderr). */
  output: string[];
  stop(): Promise<void>;
  /** The child process, for tests that signal it. */
  process: Deno.ChildProcess;
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function waitForPort(port: number, proc: Deno.ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 20000;
  let exited = false;
  proc.status.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited during start-up:\n${output.join("\n")}`);
    try {
      const c = await RespClient.connect(port);
      const r = await c.call("PING");
      c.close();
      // NOAUTH comes before LOADING (as in Redis), so a password-protected server is ready only
      // once it logged that it accepts connections (the WAL replay is done).
      const noauth = r && typeof r === "object" && "-" in r && String(r["-"]).startsWith("NOAUTH");
      const logged = output.some((l) => l.includes("Ready to accept connections"));
      if ((r && typeof r === "object" && "-" in r && !noauth) || (noauth && !logged)) {
        await new Promise((res) => setTimeout(res, 50));
        continue;
      }
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`server did not start on ${port}:\n${output.join("\n")}`);
}

function collect(proc: Deno.ChildProcess, output: string[]): void {
  for (const stream of [proc.stdout, proc.stderr]) {
    (async () => {
      const dec = new TextDecoder();
      let rest = "";
      for await (const chunk of stream) {
        rest += dec.decode(chunk, { stream: true });
        const lines = rest.split("\n");
        rest = lines.pop()!;
        output.push(...lines);
        if (output.length > 5000) output.splice(0, output.length - 5000);
      }
      if (rest) output.push(rest);
    })().catch(() => {});
  }
}

async function spawn(
  cmd: string,
  args: string[],
  port: number,
  env?: Record<string, string>,
  tempDir?: string,
): Promise<RunningServer> {
  const proc = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null", env })
    .spawn();
  const output: string[] = [];
  collect(proc, output);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      proc.kill("SIGKILL");
    } catch { /* already gone */ }
    await proc.status;
    if (tempDir) await Deno.remove(tempDir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPort(port, proc, output);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, output, process: proc, stop };
}

/**
 * Starts a server on a free port, again on another one if a parallel test took the port between
 * freePort() and the bind.
 */
async function startOnFreePort(
  start: (port: number, dir: string) => Promise<RunningServer>,
): Promise<RunningServer> {
  for (let attempt = 1;; attempt++) {
    const dir = Deno.makeTempDirSync({ prefix: "reredis-test-" });
    try {
      return await start(freePort(), dir);
    } catch (e) {
      if (attempt >= 3 || !/in use/i.test(String(e))) throw e;
    }
  }
}

/**
 * Starts Reredis with extra redis.conf-style options (e.g. ["--requirepass", "x"]). Data goes to a
 * fresh temporary directory (removed by stop()) unless the options name a --dir.
 */
export function startReredis(
  options: string[] = [],
  env?: Record<string, string>,
): Promise<RunningServer> {
  return startOnFreePort((port, dir) => {
    const dirArgs = options.includes("--dir") ? [] : ["--dir", dir];
    return spawn(
      Deno.execPath(),
      ["run", "-A", MAIN, "--port", String(port), "--http-port", "0", ...dirArgs, ...options],
      port,
      env,
      dir,
    );
  });
}

export function redisServerAvailable(): boolean {
  try {
    return new Deno.Command("redis-server", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Starts a real redis-server (no persistence) for differential tests and benchmarks. */
export function startRedis(options: string[] = []): Promise<RunningServer> {
  return startOnFreePort((port, dir) => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""];
    args.push("--appendonly", "no", "--dir", dir, ...options);
    return spawn("redis-server", args, port, undefined, dir);
  });
}

/**
 * One server for a whole test file, started on first use: redis-server when REREDIS_TEST_REDIS=1
 * (to check the file's expectations themselves against Redis), else Reredis.
 */
export function sharedServer(): { port(): Promise<number>; stop(): Promise<void> } {
  const start = Deno.env.get("REREDIS_TEST_REDIS") === "1" ? startRedis : startReredis;
  let server: Promise<RunningServer> | undefined;
  return {
    port: async () => (await (server ??= start())).port,
    stop: async () => {
      if (server) await (await server).stop();
    },
  };
}
