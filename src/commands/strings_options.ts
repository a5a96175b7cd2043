// SET / GETEX option parsing (Redis's parseExtendedStringArgumentsOrReply) and expire-time
// validation (getExpireMillisecondsOrReply), shared by SET, SETEX, PSETEX and GETEX.

import type { Ctx } from "../server/client.ts";
import { parseInt64 } from "../util/numbers.ts";
import { NOT_INT, SYNTAX } from "./strings_common.ts";

export const NX = 1;
export const XX = 2;
export const EX = 4;
export const PX = 8;
export const KEEPTTL = 16;
export const GET = 32;
export const EXAT = 64;
export const PXAT = 128;
export const PERSIST = 256;

const ANY_EXPIRE = EX | PX | EXAT | PXAT;
const MAX_I64 = 9223372036854775807n;

/**
 * Case-insensitive match of an option against a lower-case word, comparing as C strings do:
 * Redis reads options with strcasecmp, so "NX\0junk" is NX.
 */
export function optionIs(b: Uint8Array, word: string): boolean {
  const n = word.length;
  if (b.length < n || (b.length > n && b[n] !== 0)) return false;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}

export interface StringOptions {
  flags: number;
  /** The EX/PX/EXAT/PXAT argument, if any. */
  expire?: Uint8Array;
}

/**
 * Parses options from `args[start]` on; `forSet` selects SET's options (NX XX GET KEEPTTL)
 * over GETEX's (PERSIST). Replies "syntax error" and returns undefined on a bad combination.
 */
export function parseStringOptions(
  ctx: Ctx,
  args: Uint8Array[],
  start: number,
  forSet: boolean,
): StringOptions | undefined {
  let flags = 0;
  let expire: Uint8Array | undefined;
  for (let j = start; j < args.length; j++) {
    const opt = args[j];
    const hasNext = j < args.length - 1;
    if (forSet && optionIs(opt, "nx") && !(flags & XX)) flags |= NX;
    else if (forSet && optionIs(opt, "xx") && !(flags & NX)) flags |= XX;
    else if (forSet && optionIs(opt, "get")) flags |= GET;
    else if (forSet && optionIs(opt, "keepttl") && !(flags & (PERSIST | ANY_EXPIRE))) {
      flags |= KEEPTTL;
    } else if (!forSet && optionIs(opt, "persist") && !(flags & (ANY_EXPIRE | KEEPTTL))) {
      flags |= PERSIST;
    } else if (hasNext && !(flags & (KEEPTTL | PERSIST)) && expireOption(opt, flags) !== 0) {
      flags |= expireOption(opt, flags);
      expire = args[++j];
    } else {
      ctx.reply.error(SYNTAX);
      return undefined;
    }
  }
  return { flags, expire };
}

/** The flag of an expire option allowed after `flags` (the same one may repeat), else 0. */
function expireOption(opt: Uint8Array, flags: number): number {
  for (const [word, flag] of [["ex", EX], ["px", PX], ["exat", EXAT], ["pxat", PXAT]] as const) {
    if (optionIs(opt, word)) return (flags & ANY_EXPIRE & ~flag) === 0 ? flag : 0;
  }
  return 0;
}

/**
 * The absolute expire time in ms for an EX/PX/EXAT/PXAT argument, as Redis validates it: an
 * integer, > 0, no overflow once scaled and offset by now. Replies with the error (naming
 * `command`) and returns undefined when invalid.
 */
export function expireAtMs(
  ctx: Ctx,
  arg: Uint8Array,
  flags: number,
  command: string,
): bigint | undefined {
  const v = parseInt64(arg);
  if (v === undefined) {
    ctx.reply.error(NOT_INT);
    return undefined;
  }
  const seconds = (flags & (EX | EXAT)) !== 0;
  let ms = BigInt(v);
  if (ms <= 0n || (seconds && ms > MAX_I64 / 1000n)) return invalidExpire(ctx, command);
  if (seconds) ms *= 1000n;
  if (flags & (EX | PX)) ms += BigInt(Date.now());
  if (ms > MAX_I64) return invalidExpire(ctx, command); // C's signed overflow turns it negative
  return ms;
}

function invalidExpire(ctx: Ctx, command: string): undefined {
  ctx.reply.error(`ERR invalid expire time in '${command}' command`);
  return undefined;
}
