// Runs redis-benchmark once against a loopback port and reads its CSV: requests/s by test name.
// Shared by the bench suites so every one measures the same way.

export interface BenchmarkRun {
  port: number;
  clients: number | string;
  requests: number;
  pipeline: number;
  /** Test selection and extra flags, e.g. ["-t", "set", "-r", "100000"]. */
  args: string[];
  /** Kills a run that hangs (a server that stopped answering). */
  timeoutMs?: number;
}

export async function redisBenchmark(run: BenchmarkRun): Promise<Map<string, number>> {
  const args = ["-h", "127.0.0.1", "-p", String(run.port), "-q", "-c", String(run.clients)];
  args.push("-n", String(run.requests), "--csv");
  if (run.pipeline > 1) args.push("-P", String(run.pipeline));
  args.push(...run.args);
  const proc = new Deno.Command("redis-benchmark", { args, stdout: "piped", stderr: "piped" })
    .spawn();
  const timer = setTimeout(() => proc.kill("SIGKILL"), run.timeoutMs ?? 300_000);
  const out = await proc.output();
  clearTimeout(timer);
  const rows = new Map<string, number>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = line.match(/^"([^"]+)","([\d.]+)"/);
    if (m) rows.set(m[1], Number(m[2]));
  }
  const err = new TextDecoder().decode(out.stderr).split("\n")
    .filter((l) => l && !l.includes("Could not fetch server CONFIG")).join(" ");
  if (err) console.error(`  redis-benchmark on ${run.port} -P ${run.pipeline}: ${err}`);
  return rows;
}
