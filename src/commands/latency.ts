// Latency monitoring (Redis's latency.c) and per-command latency tracking: LATENCY LATEST / HISTORY
// / RESET / GRAPH / DOCTOR / HISTOGRAM, INFO latencystats. Events ("command", "fast-command", and
// whatever other subsystems report through `latencyAddSample`) are kept when they take at least
// latency-monitor-threshold ms; every command's duration goes into an HDR-style histogram
// (2 significant digits, as Redis's) while latency-tracking is on.

import type { CommandDef } from "./table.ts";
import { type Command, F } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import { registerInfoSection } from "../server/info.ts";
import { replyHelp } from "./help_reply.ts";
import { bytesToLatin1 } from "../util/numbers.ts";

/** HDR histogram layout for 2 significant digits: 256 sub-buckets, values in nanoseconds. */
const SUB = 256;
const HALF = 128;
const MAX_NS = 1_000_000_000;
const BUCKETS = Math.ceil(Math.log2(MAX_NS / SUB)) + 2;

export class LatencyHistogram {
  readonly counts = new Float64Array((BUCKETS + 1) * HALF);
  count = 0;

  record(ns: number): void {
    const v = Math.min(Math.max(1, Math.round(ns)), MAX_NS);
    this.counts[indexOf(v)]++;
    this.count++;
  }

  /** hdr_value_at_percentile: the highest value equivalent to the one at that rank. */
  percentile(p: number): number {
    const want = Math.max(1, Math.round((Math.min(p, 100) / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= want) return highestEquivalent(valueAt(i));
    }
    return 0;
  }

  /** Cumulative counts at log2 levels from 1024 ns (hdr_iter_log_init(…, 1024, 2)): µs → count. */
  cdf(): [number, number][] {
    const out: [number, number][] = [];
    let seen = 0;
    let i = 0;
    let prev = 0;
    for (let level = 1024; seen < this.count && level <= MAX_NS * 2; level *= 2) {
      const top = highestEquivalent(level);
      for (; i < this.counts.length && valueAt(i) <= top; i++) seen += this.counts[i];
      if (seen > prev) out.push([Math.floor(top / 1000), seen]);
      prev = seen;
    }
    return out;
  }
}

function bucketOf(v: number): number {
  return Math.max(0, 31 - Math.clz32(v | (SUB - 1)) - 7);
}

function indexOf(v: number): number {
  const b = bucketOf(v);
  const sub = Math.floor(v / 2 ** b);
  return (b + 1) * HALF + (sub - HALF);
}

function valueAt(i: number): number {
  let b = Math.floor(i / HALF) - 1;
  let sub = (i % HALF) + HALF;
  if (b < 0) {
    sub -= HALF;
    b = 0;
  }
  return sub * 2 ** b;
}

function highestEquivalent(v: number): number {
  const b = bucketOf(v);
  const sub = Math.floor(v / 2 ** b);
  const size = 2 ** (sub >= SUB ? b + 1 : b);
  return Math.floor(v / size) * size + size - 1;
}

/** One latency event's last 160 samples (one per second, the worst of that second). */
interface Series {
  samples: { time: number; ms: number }[];
  max: number;
}

interface LatencyState {
  threshold: number;
  tracking: boolean;
  percentiles: number[];
  percentileText: string[];
  events: Map<string, Series>;
  histograms: Map<Command, LatencyHistogram>;
}

const states = new WeakMap<Server, LatencyState>();

function state(server: Server): LatencyState {
  let s = states.get(server);
  if (!s) {
    s = {
      threshold: 0,
      tracking: true,
      percentiles: [],
      percentileText: [],
      events: new Map(),
      histograms: new Map(),
    };
    states.set(server, s);
  }
  return s;
}

/** Starts latency monitoring and tracking (called once at start-up). */
export function installLatency(server: Server): void {
  const s = state(server);
  const cfg = server.config;
  cfg.watch("latency-monitor-threshold", (v) => (s.threshold = Number(v)));
  cfg.watch("latency-tracking", (v) => (s.tracking = Boolean(v)));
  cfg.watch("latency-tracking-info-percentiles", (v) => {
    s.percentileText = String(v).split(" ").filter((x) => x !== "");
    s.percentiles = s.percentileText.map(Number);
  });
  server.callHooks.push((c, cmd, _args, usec) => {
    if (s.tracking && !c.blocked) {
      let h = s.histograms.get(cmd);
      if (!h) s.histograms.set(cmd, h = new LatencyHistogram());
      h.record(usec * 1000);
    }
    if (s.threshold > 0) {
      latencyAddSample(
        server,
        cmd.flags & F.fast ? "fast-command" : "command",
        Math.floor(usec / 1000),
      );
    }
  });
}

/** latencyAddSampleIfNeeded: records `ms` for `event` when it reaches latency-monitor-threshold. */
export function latencyAddSample(server: Server, event: string, ms: number): void {
  const s = state(server);
  if (s.threshold === 0 || ms < s.threshold) return;
  let series = s.events.get(event);
  if (!series) s.events.set(event, series = { samples: [], max: 0 });
  const now = Math.floor(Date.now() / 1000);
  const last = series.samples[series.samples.length - 1];
  if (last && last.time === now) last.ms = Math.max(last.ms, ms);
  else {
    series.samples.push({ time: now, ms });
    if (series.samples.length > 160) series.samples.shift();
  }
  if (ms > series.max) series.max = ms;
}

/** Commands with a latency histogram, by full name (for INFO latencystats and /metrics). */
export function commandLatencies(server: Server): [string, LatencyHistogram][] {
  return [...state(server).histograms].filter(([, h]) => h.count > 0)
    .map(([c, h]) => [c.fullName, h]);
}

/** CONFIG RESETSTAT's share: forget every command's histogram. */
export function resetLatencyHistograms(server: Server): void {
  state(server).histograms.clear();
}

registerInfoSection("latencystats", (server) => {
  const s = state(server);
  return commandLatencies(server).map(([name, h]) => [
    `latency_percentiles_usec_${name}`,
    s.percentiles.map((p, i) => `p${s.percentileText[i]}=${(h.percentile(p) / 1000).toFixed(3)}`)
      .join(","),
  ]);
}, false);

function latencyLatest(ctx: Ctx): void {
  const r = ctx.reply;
  const events = state(ctx.server).events;
  r.array(events.size);
  for (const [name, s] of events) {
    const last = s.samples[s.samples.length - 1];
    r.array(4);
    r.bulkStr(name);
    r.int(last.time);
    r.int(last.ms);
    r.int(s.max);
  }
}

function latencyHistory(ctx: Ctx, args: Uint8Array[]): void {
  const s = state(ctx.server).events.get(bytesToLatin1(args[2]));
  const r = ctx.reply;
  if (!s) return r.array(0);
  r.array(s.samples.length);
  for (const x of s.samples) {
    r.array(2);
    r.int(x.time);
    r.int(x.ms);
  }
}

function latencyReset(ctx: Ctx, args: Uint8Array[]): void {
  const events = state(ctx.server).events;
  if (args.length === 2) {
    const n = events.size;
    events.clear();
    return ctx.reply.int(n);
  }
  let n = 0;
  for (let i = 2; i < args.length; i++) if (events.delete(bytesToLatin1(args[i]))) n++;
  ctx.reply.int(n);
}

/** A small ASCII chart of an event's samples (Redis draws a sparkline; this is simpler). */
function latencyGraph(ctx: Ctx, args: Uint8Array[]): void {
  const name = bytesToLatin1(args[2]);
  const s = state(ctx.server).events.get(name);
  if (!s) return ctx.reply.error(`ERR No samples available for event '${name}'`);
  const last = s.samples[s.samples.length - 1];
  let out = `${name} - high ${s.max} ms, low ${Math.min(...s.samples.map((x) => x.ms))} ms ` +
    `(all time high ${s.max} ms)\n`;
  out += "-".repeat(80) + "\n";
  const now = Math.floor(Date.now() / 1000);
  for (const x of s.samples.slice(-20)) {
    const bar = "#".repeat(Math.max(1, Math.round((x.ms / Math.max(1, s.max)) * 40)));
    out += `${String(now - x.time).padStart(6)}s ago ${bar} ${x.ms} ms\n`;
  }
  void last;
  ctx.reply.verbatim(out);
}

function latencyDoctor(ctx: Ctx): void {
  const { events, threshold } = state(ctx.server);
  if (threshold === 0) {
    return ctx.reply.verbatim(
      "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
        'You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable ' +
        "it. If we weren't in a deep space mission I'd suggest to take a look at " +
        "https://redis.io/topics/latency-monitor.\n",
    );
  }
  if (events.size === 0) {
    return ctx.reply.verbatim(
      "Dave, no latency spike was observed during the lifetime of this Redis instance, not in " +
        "the slightest bit. I honestly think you ought to sleep tonight.\n",
    );
  }
  let out = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking " +
    "about it, do you Dave?\n\n";
  let i = 1;
  for (const [name, s] of events) {
    const avg = Math.round(s.samples.reduce((a, x) => a + x.ms, 0) / s.samples.length);
    out += `${i++}. ${name}: ${s.samples.length} latency spikes (average ${avg}ms, ` +
      `mean deviation 0ms, period 0 sec). Worst all time event ${s.max}ms.\n`;
  }
  out += "\nI have a few advices for you:\n\n- Check your slow commands with SLOWLOG GET, and " +
    "consider raising latency-monitor-threshold if these spikes are expected.\n";
  ctx.reply.verbatim(out);
}

function latencyHistogram(ctx: Ctx, args: Uint8Array[]): void {
  const s = state(ctx.server);
  const server = ctx.server;
  let list: [Command, LatencyHistogram][] = [...s.histograms].filter(([, h]) => h.count > 0);
  if (args.length > 2) {
    const want: Command[] = [];
    for (let i = 2; i < args.length; i++) {
      const name = bytesToLatin1(args[i]).toLowerCase();
      const [parent, sub] = name.split("|");
      const cmd = server.table.get(parent);
      if (!cmd) continue;
      if (sub !== undefined) {
        const sc = cmd.subcommands?.get(sub);
        if (sc) want.push(sc);
      } else if (cmd.subcommands) want.push(cmd, ...cmd.subcommands.values());
      else want.push(cmd);
    }
    list = want.map((c) => [c, s.histograms.get(c)!] as [Command, LatencyHistogram])
      .filter(([, h]) => h !== undefined && h.count > 0)
      .filter(([c], i, a) => a.findIndex(([d]) => d === c) === i);
  }
  const r = ctx.reply;
  r.map(list.length);
  for (const [cmd, h] of list) {
    r.bulkStr(cmd.fullName);
    r.map(2);
    r.bulkStr("calls");
    r.int(h.count);
    r.bulkStr("histogram_usec");
    const cdf = h.cdf();
    r.map(cdf.length);
    for (const [us, n] of cdf) {
      r.int(us);
      r.int(n);
    }
  }
}

const HELP = [
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
];

export const latencyCommands: CommandDef[] = [
  { name: "latency|latest", run: latencyLatest },
  { name: "latency|history", run: latencyHistory },
  { name: "latency|reset", run: latencyReset },
  { name: "latency|graph", run: latencyGraph },
  { name: "latency|doctor", run: latencyDoctor },
  { name: "latency|histogram", run: latencyHistogram },
  { name: "latency|help", run: (ctx, args) => replyHelp(ctx, args, HELP) },
];
