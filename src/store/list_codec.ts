// DUMP/RESTORE/COPY codec for lists: element count, then each element as length-prefixed bytes.

import { DumpFormatError, registerCodec, TYPE_TAG } from "./dump.ts";
import { ListValue } from "./list.ts";

registerCodec({
  tag: TYPE_TAG.list,
  type: "list",
  encode(v, out) {
    const l = v as ListValue;
    out.uint(l.size);
    for (const e of l.values()) out.binary(e);
  },
  decode(inp) {
    const n = inp.uint();
    // Redis never stores an empty list and refuses one in a payload.
    if (n === 0) throw new DumpFormatError("empty list");
    const l = new ListValue(Math.min(n, 1 << 20));
    for (let i = 0; i < n; i++) l.pushTail(inp.binary());
    l.compact();
    return l;
  },
});
