// An in-process server for unit-level tests: run commands through the real dispatcher and see the
// change records they produce (propagated forms and keyspace events) as readable strings.

import { Config } from "../../src/config.ts";
import { Server } from "../../src/server/server.ts";
import { ALL_COMMANDS } from "../../src/commands/index.ts";
import type { KeyEvent, PropagatedCommand } from "../../src/server/write_path.ts";

/** One byte per char (keys and values are bytes; tests write them as latin1 strings). */
export const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

export const latin1 = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};

export interface Harness {
  server: Server;
  /** Runs one command as the internal client; its reply as latin1 text. */
  run(...args: (string | Uint8Array)[]): string;
  /** Propagated commands and events since the last call, as formatted by the options. */
  take(): { commands: string[]; events: string[] };
}

export interface HarnessFormat {
  /** Default "argv joined by spaces". */
  command?: (c: PropagatedCommand) => string;
  /** Default "event:class:key". */
  event?: (e: KeyEvent) => string;
}

export function inProcess(format: HarnessFormat = {}): Harness {
  const fmtCommand = format.command ?? ((c) => c.argv.map(latin1).join(" "));
  const fmtEvent = format.event ?? ((e) => `${e.event}:${e.cls}:${e.key}`);
  const server = new Server(new Config(), ALL_COMMANDS);
  const c = server.internalClient();
  let commands: string[] = [];
  let events: string[] = [];
  server.wp.subscribe((rec) => {
    for (const cmd of rec.commands) commands.push(fmtCommand(cmd));
    for (const e of rec.events) events.push(fmtEvent(e));
  });
  return {
    server,
    run(...args) {
      server.execute(c, args.map((a) => typeof a === "string" ? bytesOf(a) : a));
      return latin1(c.reply.take());
    },
    take() {
      const r = { commands, events };
      commands = [];
      events = [];
      return r;
    },
  };
}
