// DUMP/RESTORE/COPY codec for sorted sets: entry count, then each member (length-prefixed bytes)
// with its score (f64). Loading picks the encoding Redis would after an RDB load.

import { DumpFormatError, registerCodec, TYPE_TAG } from "./dump.ts";
import { loadLimits, ZSet } from "./zset.ts";

registerCodec({
  tag: TYPE_TAG.zset,
  type: "zset",
  encode(v, out) {
    const z = v as ZSet;
    out.uint(z.size);
    z.forEach((m, s) => {
      out.binary(m);
      out.double(s);
    });
  },
  decode(inp) {
    const n = inp.uint();
    if (n === 0) throw new DumpFormatError("empty zset");
    const entries: [string, number][] = [];
    for (let i = 0; i < n; i++) {
      const m = inp.binary();
      const s = inp.double();
      if (Number.isNaN(s)) throw new DumpFormatError("NaN score");
      entries.push([m, s]);
    }
    return ZSet.fromEntries(entries, loadLimits);
  },
});
