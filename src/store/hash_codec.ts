// DUMP/RESTORE codec for hashes: an encoding byte (0 listpack, 1 hashtable), the pair count,
// then field and value as length-prefixed bytes. The encoding is kept, as an RDB round trip does.

import { DumpFormatError, registerCodec, TYPE_TAG } from "./dump.ts";
import { RedisHash } from "./hash.ts";

/** No limit while decoding: the stored encoding byte decides the representation. */
const UNLIMITED = { maxEntries: Infinity, maxValue: Infinity };

registerCodec({
  tag: TYPE_TAG.hash,
  type: "hash",
  encode(v, out) {
    const h = v as RedisHash;
    out.u8(h.isCompact ? 0 : 1);
    out.uint(h.size);
    h.forEach((f, val) => {
      out.binary(f);
      out.binary(val);
    });
  },
  decode(inp) {
    const enc = inp.u8();
    if (enc > 1) throw new DumpFormatError("unknown hash encoding");
    const n = inp.uint();
    // Redis never stores an empty hash and refuses one in a payload.
    if (n === 0) throw new DumpFormatError("empty hash");
    const h = new RedisHash();
    if (enc === 1) h.toHashtable();
    for (let i = 0; i < n; i++) {
      if (!h.set(inp.binary(), inp.binary(), UNLIMITED)) {
        throw new DumpFormatError("duplicate hash field");
      }
    }
    return h;
  },
});
