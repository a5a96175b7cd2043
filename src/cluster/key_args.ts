// The key arguments of a command line as cluster routing sees them: the command table's legacy
// key range when the positions are fixed (shard channels included, as Redis routes them), the
// key specs (src/commands/key_specs.ts) when they move with the arguments.

import { type Command, F } from "../commands/table.ts";
import { keysOf } from "../commands/key_specs.ts";

/** Argument positions of a command's keys (args[0] is the command name). */
export function keyArgs(cmd: Command, args: Uint8Array[]): number[] {
  if (cmd.flags & F.movablekeys) return keysOf(cmd, args);
  const out: number[] = [];
  if (cmd.firstKey <= 0) return out;
  const last = cmd.lastKey < 0 ? args.length + cmd.lastKey : cmd.lastKey;
  const step = Math.max(1, cmd.step);
  for (let i = cmd.firstKey; i <= last && i < args.length; i += step) out.push(i);
  return out;
}
