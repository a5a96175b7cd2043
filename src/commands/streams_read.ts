// XREAD and XREADGROUP (t_stream.c xreadCommand, blocked.c serveClientsBlockedOnStreamKey).
//
// Blocking reuses src/server/blocking.ts: the command blocks on its keys and is run again when one
// changes. Before blocking, XREAD's `$` ids are rewritten to the ids they meant at block time (as
// Redis rewrites its argv), so the re-run does not re-resolve them. A re-run (a "woken" client)
// follows Redis's serving rules rather than the first call's: it answers for one stream only, with
// COUNT defaulting to 1000, and XREADGROUP fails when its key or group disappeared meanwhile.

import type { CommandDef } from "./table.ts";
import type { Ctx } from "../server/client.ts";
import { Stream } from "../store/stream.ts";
import { ID_MAX, ID_ZERO, type StreamId } from "../store/stream_id.ts";
import type { Consumer, ConsumerGroup } from "../store/stream_groups.ts";
import { eqi, toKey } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { lookupRead } from "./keys_lookup.ts";
import { ascii, cstr, idArg, int64Arg, replyRange, SYNTAX, WRONGTYPE } from "./streams_common.ts";
import {
  consumerFor,
  deliverNew,
  replyHeader,
  replyHistory,
  replyStreamKey,
  serveWoken,
} from "./streams_serve.ts";

/** setTimeout's limit; longer waits are treated as forever (> 24 days). */
const MAX_TIMER_MS = 2147483647;

export interface ReadArgs {
  xreadgroup: boolean;
  count: number;
  /** Block timeout in ms (0 = forever), undefined without BLOCK. */
  timeout: number | undefined;
  noack: boolean;
  group: Uint8Array | undefined;
  consumer: Uint8Array | undefined;
  streamsArg: number;
  n: number;
}

/** getTimeoutFromObjectOrReply(…, UNIT_MILLISECONDS), relative. */
function blockTimeout(ctx: Ctx, b: Uint8Array): number | undefined {
  const v = parseInt64(b);
  if (v === undefined) {
    ctx.reply.error("ERR timeout is not an integer or out of range");
    return undefined;
  }
  if (v < 0) {
    ctx.reply.error("ERR timeout is negative");
    return undefined;
  }
  if (v > 0 && BigInt(v) > 9223372036854775807n - BigInt(Date.now())) {
    ctx.reply.error("ERR timeout is out of range");
    return undefined;
  }
  const ms = Number(v);
  return ms > MAX_TIMER_MS ? 0 : ms;
}

function parseRead(ctx: Ctx, args: Uint8Array[]): ReadArgs | undefined {
  const r: ReadArgs = {
    xreadgroup: args[0].length === 10,
    count: 0,
    timeout: undefined,
    noack: false,
    group: undefined,
    consumer: undefined,
    streamsArg: 0,
    n: 0,
  };
  for (let i = 1; i < args.length; i++) {
    const more = args.length - i - 1;
    const o = args[i];
    if (eqi(o, "block") && more) {
      r.timeout = blockTimeout(ctx, args[++i]);
      if (r.timeout === undefined) return undefined;
    } else if (eqi(o, "count") && more) {
      const v = int64Arg(ctx, args[++i]);
      if (v === undefined) return undefined;
      r.count = v < 0 ? 0 : v;
    } else if (eqi(o, "streams") && more) {
      r.streamsArg = i + 1;
      const rest = args.length - r.streamsArg;
      if (rest % 2 !== 0) {
        // Redis 7.0.15 names XREAD and '$' here for XREADGROUP too.
        ctx.reply.error(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
        return undefined;
      }
      r.n = rest / 2;
      break;
    } else if (eqi(o, "group") && more >= 2) {
      if (!r.xreadgroup) {
        ctx.reply.error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return undefined;
      }
      r.group = args[i + 1];
      r.consumer = args[i + 2];
      i += 2;
    } else if (eqi(o, "noack")) {
      if (!r.xreadgroup) {
        ctx.reply.error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return undefined;
      }
      r.noack = true;
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  if (r.streamsArg === 0) {
    ctx.reply.error(SYNTAX);
    return undefined;
  }
  if (r.xreadgroup && !r.group) {
    ctx.reply.error("ERR Missing GROUP option for XREADGROUP");
    return undefined;
  }
  return r;
}

const isWord = (b: Uint8Array, c: number) => b.length === 1 && b[0] === c;

function xread(ctx: Ctx, args: Uint8Array[]): void {
  const r = parseRead(ctx, args);
  if (!r) return;
  if (ctx.server.blocking.isWaiting(ctx)) return serveWoken(ctx, args, r);
  const { streamsArg, n } = r;
  const keys: string[] = [];
  const streams: (Stream | undefined)[] = [];
  const groups: ConsumerGroup[] = [];
  /** The id to read after; undefined is XREADGROUP's ">". */
  const after: (StreamId | undefined)[] = [];
  const groupName = r.group ? toKey(r.group) : "";
  for (let i = 0; i < n; i++) {
    const key = toKey(args[streamsArg + i]);
    const v = lookupRead(ctx, key);
    if (v !== undefined && !(v instanceof Stream)) {
      ctx.reply.error(WRONGTYPE);
      return;
    }
    if (r.xreadgroup) {
      const g = v?.groups?.get(groupName);
      if (!g) {
        ctx.reply.error(
          `NOGROUP No such key '${cstr(key)}' or consumer group '${
            cstr(groupName)
          }' in XREADGROUP with GROUP option`,
        );
        return;
      }
      groups.push(g);
    }
    keys.push(key);
    streams.push(v);
    const idb = args[streamsArg + n + i];
    if (isWord(idb, 36)) {
      if (r.xreadgroup) {
        ctx.reply.error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
        return;
      }
      after.push(v ? v.lastId : ID_ZERO);
    } else if (isWord(idb, 62)) {
      if (!r.xreadgroup) {
        ctx.reply.error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
        return;
      }
      after.push(undefined);
    } else {
      const id = idArg(ctx, idb, "zero", true);
      if (!id) return;
      // Redis marks ">" with the maximal id: passing that id reads new entries too.
      after.push(r.xreadgroup && id.isMax() ? undefined : id);
    }
  }

  // Decide which streams can be served now.
  const now = Date.now();
  const served: { i: number; history: boolean; consumer?: Consumer }[] = [];
  for (let i = 0; i < n; i++) {
    // Redis looks each key up again here (a second hit or miss, a second keymiss event).
    const s = lookupRead(ctx, keys[i]) as Stream | undefined;
    if (!s) continue;
    streams[i] = s;
    if (r.xreadgroup) {
      const g = groups[i];
      let serve = false;
      const history = after[i] !== undefined;
      if (history) serve = true;
      else if (s.length > 0 && s.lastLiveId()!.compare(g.lastId) > 0) serve = true;
      // Redis 7.0 creates the consumer only when it serves it (not when it blocks).
      if (serve) {
        served.push({
          i,
          history,
          consumer: consumerFor(ctx, keys[i], args[streamsArg + i], g, r, now),
        });
      }
    } else if (s.length > 0 && s.lastLiveId()!.compare(after[i]!) > 0) {
      served.push({ i, history: false });
    }
  }
  if (served.length > 0) {
    replyHeader(ctx, served.length);
    for (const { i, history, consumer } of served) {
      const s = streams[i]!;
      replyStreamKey(ctx, args[streamsArg + i]);
      if (!r.xreadgroup) {
        replyRange(ctx, s, after[i]!.next() ?? ID_ZERO, ID_MAX, false, r.count);
      } else if (history) replyHistory(ctx, s, consumer!, after[i]!, r.count);
      else deliverNew(ctx, s, args[streamsArg + i], groups[i], consumer!, r, r.count, now);
    }
    return;
  }
  if (r.timeout === undefined) {
    ctx.reply.nilArray();
    return;
  }
  // Resolve `$` now: the re-run must wait for entries after what was last at block time.
  if (!r.xreadgroup && ctx.current) {
    let rewritten: Uint8Array[] | undefined;
    for (let i = 0; i < n; i++) {
      if (!isWord(args[streamsArg + n + i], 36)) continue;
      rewritten ??= [...args];
      rewritten[streamsArg + n + i] = ascii(after[i]!.toString());
    }
    if (rewritten) ctx.current = { cmd: ctx.current.cmd, args: rewritten };
  }
  if (!ctx.block(keys, r.timeout)) ctx.reply.nilArray();
}

export const streamReadCommands: CommandDef[] = [
  { name: "xread", run: xread },
  { name: "xreadgroup", run: xread },
];
