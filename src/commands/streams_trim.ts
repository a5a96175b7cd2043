// XADD / XTRIM option parsing (streamParseAddOrTrimArgsOrReply) and the deterministic form an
// approximate trim is propagated in.

import type { Ctx } from "../server/client.ts";
import type { NodeLimits, Stream, TrimSpec } from "../store/stream.ts";
import { ID_ZERO, parseStreamId, type StreamId } from "../store/stream_id.ts";
import { eqi } from "../util/bytes.ts";
import { idArg, int64Arg, INVALID_ID, SYNTAX } from "./streams_common.ts";

/** streamAddTrimArgs: what XADD / XTRIM options said. */
export interface AddTrimArgs {
  /** Position of the id argument (XADD). */
  idPos: number;
  id: StreamId;
  idGiven: boolean;
  seqGiven: boolean;
  noMkStream: boolean;
  trim: TrimSpec | undefined;
  /** Position of the MAXLEN count / MINID id (rewritten when trimming was approximate). */
  trimArgIdx: number;
}

export function nodeLimits(ctx: Ctx): NodeLimits {
  const cfg = ctx.server.config;
  return {
    maxEntries: cfg.num("stream-node-max-entries"),
    maxBytes: cfg.num("stream-node-max-bytes"),
  };
}

const isWord = (b: Uint8Array, c: number) => b.length === 1 && b[0] === c;

/** streamParseAddOrTrimArgsOrReply. */
export function parseAddTrim(ctx: Ctx, args: Uint8Array[], xadd: boolean): AddTrimArgs | undefined {
  const r: AddTrimArgs = {
    idPos: 0,
    id: ID_ZERO,
    idGiven: false,
    seqGiven: true,
    noMkStream: false,
    trim: undefined,
    trimArgIdx: 0,
  };
  let strategy: "maxlen" | "minid" | undefined;
  let approx = false;
  let maxlen = 0;
  let minid = ID_ZERO;
  let limit = 0;
  let limitGiven = false;
  let i = 2;
  for (; i < args.length; i++) {
    const more = args.length - 1 - i;
    const opt = args[i];
    if (xadd && isWord(opt, 42)) break;
    const isMaxlen = eqi(opt, "maxlen");
    if ((isMaxlen || eqi(opt, "minid")) && more) {
      if (strategy) {
        ctx.reply.error(
          "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
        );
        return undefined;
      }
      approx = false;
      const next = args[i + 1];
      if (more >= 2 && isWord(next, 126)) {
        approx = true;
        i++;
      } else if (more >= 2 && isWord(next, 61)) i++;
      if (isMaxlen) {
        const v = int64Arg(ctx, args[i + 1]);
        if (v === undefined) return undefined;
        if (v < 0) {
          ctx.reply.error("ERR The MAXLEN argument must be >= 0.");
          return undefined;
        }
        maxlen = v;
      } else {
        const id = idArg(ctx, args[i + 1], "zero", true);
        if (!id) return undefined;
        minid = id;
      }
      i++;
      strategy = isMaxlen ? "maxlen" : "minid";
      r.trimArgIdx = i;
    } else if (eqi(opt, "limit") && more) {
      const v = int64Arg(ctx, args[i + 1]);
      if (v === undefined) return undefined;
      if (v < 0) {
        ctx.reply.error("ERR The LIMIT argument must be >= 0.");
        return undefined;
      }
      limit = v;
      limitGiven = true;
      i++;
    } else if (xadd && eqi(opt, "nomkstream")) {
      r.noMkStream = true;
    } else if (xadd) {
      const p = parseStreamId(opt, "zero", true, true);
      if (!p) {
        ctx.reply.error(INVALID_ID);
        return undefined;
      }
      r.id = p.id;
      r.seqGiven = p.seqGiven;
      r.idGiven = true;
      break;
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  if (limit && !strategy) {
    ctx.reply.error(
      "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
    );
    return undefined;
  }
  if (!xadd && !strategy) {
    ctx.reply.error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return undefined;
  }
  if (ctx.loader) {
    // Replayed commands were rewritten to exact trims: never cap them (mustObeyClient).
    limit = 0;
  } else if (limitGiven) {
    if (!approx) {
      ctx.reply.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return undefined;
    }
  } else if (approx) {
    limit = 100 * ctx.server.config.num("stream-node-max-entries");
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
  } else limit = 0;
  if (strategy) r.trim = { strategy, maxlen, minid, approx, limit };
  r.idPos = i;
  return r;
}

/**
 * The propagated form after an approximate trim: `~` becomes `=` and the count / id becomes what
 * the trim left (streamRewriteApproxSpecifier + streamRewriteTrimArgument).
 */
export function rewriteTrim(argv: (Uint8Array | string)[], s: Stream, p: AddTrimArgs): void {
  argv[p.trimArgIdx - 1] = "=";
  argv[p.trimArgIdx] = p.trim!.strategy === "maxlen"
    ? String(s.length)
    : s.firstEdgeId().toString();
}
