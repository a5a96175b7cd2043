// DUMP/RESTORE codec for sets: an encoding byte (0 intset, 1 hashtable), the member count, then
// each member as length-prefixed bytes. The encoding is kept, as an RDB round trip does.

import { DumpFormatError, registerCodec, TYPE_TAG } from "./dump.ts";
import { RedisSet } from "./set.ts";

registerCodec({
  tag: TYPE_TAG.set,
  type: "set",
  encode(v, out) {
    const s = v as RedisSet;
    out.u8(s.isCompact ? 0 : 1);
    out.uint(s.size);
    s.forEach((m) => out.binary(m));
  },
  decode(inp) {
    const enc = inp.u8();
    if (enc > 1) throw new DumpFormatError("unknown set encoding");
    const n = inp.uint();
    // Redis never stores an empty set and refuses one in a payload.
    if (n === 0) throw new DumpFormatError("empty set");
    const s = new RedisSet();
    if (enc === 1) s.toHashtable();
    for (let i = 0; i < n; i++) {
      const m = inp.binary();
      // An intset payload holding a non-integer is corrupt (it would silently convert).
      if (!s.add(m, Infinity) || (enc === 0 && !s.isCompact)) {
        throw new DumpFormatError("bad set member");
      }
    }
    return s;
  },
});
