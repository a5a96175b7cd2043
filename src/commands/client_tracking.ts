// CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO, argument checks and replies as Redis 7.0's
// networking.c; the tracking itself is src/server/tracking.ts.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { trackingOf } from "../server/tracking.ts";
import { eqi } from "../util/bytes.ts";
import { bytesToLatin1, parseInt64 } from "../util/numbers.ts";

const SYNTAX = "ERR syntax error";

/** True when one of two prefixes starts the other (stringCheckPrefix). */
function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

function clientTracking(ctx: Ctx, args: Uint8Array[]): void {
  let redir = 0;
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let j = 3; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (eqi(args[j], "redirect") && more) {
      j++;
      if (redir !== 0) {
        ctx.reply.error("ERR A client can only redirect to a single other client");
        return;
      }
      const id = parseInt64(args[j]);
      if (id === undefined) {
        ctx.reply.error("ERR value is not an integer or out of range");
        return;
      }
      redir = Number(id);
      if (!ctx.server.clients.has(redir)) {
        ctx.reply.error("ERR The client ID you want redirect to does not exist");
        return;
      }
    } else if (eqi(args[j], "bcast")) opts.bcast = true;
    else if (eqi(args[j], "optin")) opts.optin = true;
    else if (eqi(args[j], "optout")) opts.optout = true;
    else if (eqi(args[j], "noloop")) opts.noloop = true;
    else if (eqi(args[j], "prefix") && more) prefixes.push(bytesToLatin1(args[++j]));
    else {
      ctx.reply.error(SYNTAX);
      return;
    }
  }
  const t = trackingOf(ctx.server);
  if (eqi(args[2], "on")) {
    const cur = t.states.get(ctx);
    const err = (m: string) => ctx.reply.error("ERR " + m);
    if (!opts.bcast && prefixes.length > 0) {
      return err("PREFIX option requires BCAST mode to be enabled");
    }
    if (cur && cur.bcast !== opts.bcast) {
      return err(
        "You can't switch BCAST mode on/off before disabling tracking for this client, and then " +
          "re-enabling it with a different mode.",
      );
    }
    if (opts.bcast && (opts.optin || opts.optout)) {
      return err("OPTIN and OPTOUT are not compatible with BCAST");
    }
    if (opts.optin && opts.optout) return err("You can't specify both OPTIN mode and OPTOUT mode");
    if ((opts.optin && cur?.optout) || (opts.optout && cur?.optin)) {
      return err(
        "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then " +
          "re-enabling it with a different mode.",
      );
    }
    if (opts.bcast && !prefixesOk(ctx, cur?.prefixes, prefixes)) return;
    t.enable(ctx, redir, opts, prefixes);
  } else if (eqi(args[2], "off")) t.disable(ctx);
  else {
    ctx.reply.error(SYNTAX);
    return;
  }
  ctx.reply.ok();
}

/**
 * checkPrefixCollisionsOrReply, including its quirk: a collision between two given prefixes found
 * for the second prefix or later replies the error and still goes on (Redis returns `i`).
 */
function prefixesOk(ctx: Ctx, existing: Set<string> | undefined, given: string[]): boolean {
  for (let i = 0; i < given.length; i++) {
    for (const p of existing ?? []) {
      if (overlaps(p, given[i])) {
        ctx.reply.error(
          `ERR Prefix '${cString(given[i])}' overlaps with an existing prefix '${cString(p)}'. ` +
            "Prefixes for a single client must not overlap.",
        );
        return false;
      }
    }
    for (let j = i + 1; j < given.length; j++) {
      if (overlaps(given[i], given[j])) {
        ctx.reply.error(
          `ERR Prefix '${cString(given[i])}' overlaps with another provided prefix ` +
            `'${cString(given[j])}'. Prefixes for a single client must not overlap.`,
        );
        return i !== 0;
      }
    }
  }
  return true;
}

/** What `%s` prints of a binary string: up to the first NUL. */
function cString(s: string): string {
  const z = s.indexOf("\0");
  return z < 0 ? s : s.slice(0, z);
}

function clientCaching(ctx: Ctx, args: Uint8Array[]): void {
  const st = trackingOf(ctx.server).states.get(ctx);
  if (!st) {
    ctx.reply.error(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or " +
        "OPTOUT mode enabled",
    );
    return;
  }
  if (eqi(args[2], "yes")) {
    if (!st.optin) {
      ctx.reply.error(
        "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
      );
      return;
    }
  } else if (eqi(args[2], "no")) {
    if (!st.optout) {
      ctx.reply.error(
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
      );
      return;
    }
  } else {
    ctx.reply.error(SYNTAX);
    return;
  }
  st.caching = true;
  ctx.reply.ok();
}

function clientGetredir(ctx: Ctx): void {
  const st = trackingOf(ctx.server).states.get(ctx);
  ctx.reply.int(st ? st.redirect : -1);
}

function clientTrackinginfo(ctx: Ctx): void {
  const st = trackingOf(ctx.server).states.get(ctx);
  const flags = [st ? "on" : "off"];
  if (st?.bcast) flags.push("bcast");
  if (st?.optin) {
    flags.push("optin");
    if (st.caching) flags.push("caching-yes");
  }
  if (st?.optout) {
    flags.push("optout");
    if (st.caching) flags.push("caching-no");
  }
  if (st?.noloop) flags.push("noloop");
  if (st?.brokenRedirect) flags.push("broken_redirect");
  const r = ctx.reply;
  r.map(3);
  r.bulkStr("flags");
  r.set(flags.length);
  for (const f of flags) r.bulkStr(f);
  r.bulkStr("redirect");
  r.int(st ? st.redirect : -1);
  r.bulkStr("prefixes");
  const prefixes = st ? [...st.prefixes].sort() : [];
  r.array(prefixes.length);
  for (const p of prefixes) r.bulkBinary(p);
}

export const clientTrackingCommands: CommandDef[] = [
  { name: "client|tracking", run: clientTracking },
  { name: "client|caching", run: clientCaching },
  { name: "client|getredir", run: clientGetredir },
  { name: "client|trackinginfo", run: clientTrackinginfo },
];
