// CONFIG GET/SET/RESETSTAT/REWRITE/HELP, as Redis 7.0's config.c: several patterns or pairs per
// call, SET all-or-nothing, the same error texts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import { bytesToLatin1 } from "../util/numbers.ts";
import { globMatchNocase } from "../util/glob.ts";
import { rewriteConfig } from "../config_rewrite.ts";
import { replyHelp } from "./help_reply.ts";
import { resetLatencyHistograms } from "./latency.ts";

/** True for a loopback client (Redis's islocalClient), for the "local" protected-action setting. */
export function isLocalClient(c: Ctx): boolean {
  const a = c.addr;
  return a.startsWith("127.") || a.startsWith("::1:") || a.startsWith("[::1]");
}

/** enable-protected-configs / enable-debug-command / enable-module-command: yes, or local & loopback. */
export function protectedActionAllowed(c: Ctx, setting: string): boolean {
  const v = c.server.config.str(setting);
  return v === "yes" || (v === "local" && isLocalClient(c));
}

function configGet(ctx: Ctx, args: Uint8Array[]): void {
  const config = ctx.server.config;
  // Insertion-ordered; keys compare case-insensitively like Redis's matches dict.
  const matches = new Map<string, string>();
  for (let i = 2; i < args.length; i++) {
    const pattern = bytesToLatin1(args[i]);
    if (!/[[*?]/.test(pattern)) {
      const lower = pattern.toLowerCase();
      if (matches.has(lower) || !config.def(pattern)) continue;
      matches.set(lower, pattern);
      continue;
    }
    for (const name of config.names()) {
      if (!matches.has(name) && globMatchNocase(pattern, name)) matches.set(name, name);
    }
  }
  const r = ctx.reply;
  r.map(matches.size);
  for (const shown of matches.values()) {
    r.bulkBinary(shown);
    r.bulkBinary(config.text(shown));
  }
}

function configSet(ctx: Ctx, args: Uint8Array[]): void {
  if (args.length % 2 === 1) {
    ctx.reply.error("ERR syntax error");
    return;
  }
  const pairs: [string, string][] = [];
  // Values are kept as binary strings (one char per byte), like AUTH compares passwords.
  for (let i = 2; i < args.length; i += 2) {
    pairs.push([bytesToLatin1(args[i]), bytesToLatin1(args[i + 1])]);
  }
  const err = ctx.server.config.setMany(pairs, {
    protectedAllowed: protectedActionAllowed(ctx, "enable-protected-configs"),
    loading: ctx.server.loading,
  });
  if (err) ctx.reply.error(err);
  else ctx.reply.ok();
}

/** Zeroes INFO stats, commandstats and errorstats (CONFIG RESETSTAT). */
export function resetStats(server: Server): void {
  server.stats.reset();
  resetLatencyHistograms(server);
  for (const cmd of server.table.all()) {
    cmd.stats.calls =
      cmd.stats.usec =
      cmd.stats.rejected =
      cmd.stats.failed =
        0;
  }
}

function configResetstat(ctx: Ctx): void {
  resetStats(ctx.server);
  ctx.reply.ok();
}

function configRewrite(ctx: Ctx): void {
  if (ctx.server.config.file === undefined) {
    ctx.reply.error("ERR The server is running without a config file");
    return;
  }
  try {
    // The file is small: a synchronous rewrite keeps the reply in order within a pipeline.
    rewriteConfig(ctx.server.config);
    ctx.server.log.warning("CONFIG REWRITE executed with success.");
    ctx.reply.ok();
  } catch (e) {
    const msg = e instanceof Deno.errors.PermissionDenied
      ? "Permission denied"
      : e instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : (e as Error).message;
    ctx.server.log.warning(`CONFIG REWRITE failed: ${msg}`);
    ctx.reply.error(`ERR Rewriting config file: ${msg}`);
  }
}

const HELP = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

export const configCommands: CommandDef[] = [
  { name: "config|get", run: configGet },
  { name: "config|set", run: configSet },
  { name: "config|resetstat", run: configResetstat },
  { name: "config|rewrite", run: configRewrite },
  { name: "config|help", run: (ctx, args) => replyHelp(ctx, args, HELP) },
];
