// Argument positions that may name keys a write command touches, for WAL compaction's
// copy-on-write. Over-approximating is always safe there (saving a key's pre-image early is
// still its state at the rewrite's start), so commands with movable keys report every argument.

import { type Command, F } from "./table.ts";

export function keyPositions(cmd: Command, args: Uint8Array[]): number[] {
  const out: number[] = [];
  if (cmd.flags & F.movablekeys) {
    for (let i = 1; i < args.length; i++) out.push(i);
    return out;
  }
  if (cmd.firstKey <= 0) return out;
  const last = cmd.lastKey < 0 ? args.length + cmd.lastKey : cmd.lastKey;
  for (let i = cmd.firstKey; i <= last && i < args.length; i += Math.max(1, cmd.step)) out.push(i);
  return out;
}
