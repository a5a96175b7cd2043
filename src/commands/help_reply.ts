// The reply of every `<CMD> HELP` subcommand, as Redis's addReplyHelp: a header naming the command
// as typed (upper-cased), the lines, then the HELP entry itself.

import type { Ctx } from "../server/client.ts";

export function replyHelp(ctx: Ctx, args: Uint8Array[], lines: string[]): void {
  const r = ctx.reply;
  let cmd = "";
  for (const c of args[0]) cmd += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c);
  r.array(lines.length + 3);
  r.simple(`${cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const line of lines) r.simple(line);
  r.simple("HELP");
  r.simple("    Prints this help.");
}
