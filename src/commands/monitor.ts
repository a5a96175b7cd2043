// MONITOR (Redis's replicationFeedMonitors): every command a client runs is shown to monitoring
// clients after it ran, as `+<unix-sec>.<usec> [<db> <addr>] "arg" …`, arguments quoted like
// sdscatrepr, passwords redacted; admin and skip_monitor commands are not shown.

import type { CommandDef } from "./table.ts";
import { type Command, F } from "./table.ts";
import type { Client, Ctx } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import { lowerAscii } from "../util/bytes.ts";

const monitors = new WeakMap<Server, Set<Client>>();

function monitorsOf(server: Server): Set<Client> {
  let m = monitors.get(server);
  if (!m) {
    m = new Set();
    monitors.set(server, m);
    const stop = (c: Client) => {
      if (!m!.delete(c)) return;
      c.flagLetters = c.flagLetters.replace("O", "");
    };
    server.clientCloseHooks.push(stop);
    server.clientResetHooks.push(stop);
    server.callHooks.push((c, cmd, args, usec) => {
      if (m!.size > 0 || (sinks.get(server)?.size ?? 0) > 0) {
        feedMonitors(server, m!, c, cmd, args, usec);
      }
    });
  }
  return m;
}

/** Other watchers of the stream (the WebSocket `monitor` op): one line per command, no "+". */
const sinks = new WeakMap<Server, Set<(line: string) => void>>();

/** Receives every MONITOR line (as redis-cli prints it) until the returned function is called. */
export function addMonitorSink(server: Server, fn: (line: string) => void): () => void {
  monitorsOf(server);
  let s = sinks.get(server);
  if (!s) sinks.set(server, s = new Set());
  s.add(fn);
  return () => s!.delete(fn);
}

function monitor(ctx: Ctx): void {
  const m = monitorsOf(ctx.server);
  // Redis ignores MONITOR from a client that already is one (no reply at all).
  if (m.has(ctx)) return;
  m.add(ctx);
  ctx.flagLetters += "O";
  ctx.reply.ok();
}

/** Arguments shown as "(redacted)": AUTH's, HELLO … AUTH u p, MIGRATE … AUTH p / AUTH2 u p. */
export function redactedArgs(name: string, args: Uint8Array[]): Set<number> | undefined {
  if (name === "auth") return new Set(args.map((_, i) => i).filter((i) => i > 0));
  if (name !== "hello" && name !== "migrate") return undefined;
  const out = new Set<number>();
  for (let i = 1; i < args.length; i++) {
    const w = lowerAscii(args[i]);
    if (w === "auth" && name === "hello") {
      out.add(i + 1).add(i + 2);
      i += 2;
    } else if (w === "auth" && name === "migrate") out.add(++i);
    else if (w === "auth2" && name === "migrate") {
      out.add(i + 1).add(i + 2);
      i += 2;
    }
  }
  return out;
}

/** sdscatrepr: "…" with \\ \" \n \r \t \a \b escapes and \xHH for other non-printables. */
export function reprArg(b: Uint8Array): string {
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x5c) s += "\\\\";
    else if (c === 0x22) s += '\\"';
    else if (c === 0x0a) s += "\\n";
    else if (c === 0x0d) s += "\\r";
    else if (c === 0x09) s += "\\t";
    else if (c === 0x07) s += "\\a";
    else if (c === 0x08) s += "\\b";
    else if (c >= 0x20 && c <= 0x7e) s += String.fromCharCode(c);
    else s += "\\x" + c.toString(16).padStart(2, "0");
  }
  return s + '"';
}

const enc = new TextEncoder();

/** Lines of commands a script ran, held until the script's own line (Redis shows it first). */
const held = new WeakMap<Server, Uint8Array[]>();

function feedMonitors(
  server: Server,
  m: Set<Client>,
  c: Client,
  cmd: Command,
  args: Uint8Array[],
  usec: number,
): void {
  if ((cmd.flags & F.admin) || server.loading) return;
  const script = (cmd.flags & F.skipMonitor) !== 0; // EVAL*, FCALL*: shown as they started
  const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000) -
    (script ? Math.floor(usec) : 0);
  const sec = Math.floor(nowUs / 1e6);
  const micros = String(nowUs % 1e6).padStart(6, "0");
  const who = c.conn ? c.addr : "lua";
  const hide = redactedArgs(cmd.fullName, args);
  let line = `+${sec}.${micros} [${c.db.id} ${who}]`;
  for (let i = 0; i < args.length; i++) {
    line += " " + (hide?.has(i) ? '"(redacted)"' : reprArg(args[i]));
  }
  const bytes = enc.encode(line + "\r\n");
  let pending = held.get(server);
  if (!c.conn) {
    if (!pending) held.set(server, pending = []);
    pending.push(bytes);
    return;
  }
  const lines = script && pending ? [bytes, ...pending] : [bytes];
  if (script) held.delete(server);
  const watchers = sinks.get(server);
  if (watchers && watchers.size > 0) {
    for (const l of lines) {
      const text = String.fromCharCode.apply(
        null,
        l.subarray(1, l.length - 2) as unknown as number[],
      );
      for (const fn of watchers) fn(text);
    }
  }
  for (const mon of m) {
    if (mon.closed) continue;
    for (const l of lines) mon.reply.raw(l);
    // The running client's own line leaves with its reply; others are flushed after this task.
    if (mon !== c) scheduleFlush(mon);
  }
}

const toFlush = new Set<Client>();

function scheduleFlush(c: Client): void {
  if (toFlush.size === 0) {
    queueMicrotask(() => {
      for (const x of toFlush) x.flush();
      toFlush.clear();
    });
  }
  toFlush.add(c);
}

export const monitorCommands: CommandDef[] = [{ name: "monitor", run: monitor }];
