// How a stream is persisted: the DUMP/RESTORE codec and the WAL compaction rewriter.
//
// DUMP keeps everything an RDB round trip keeps in Redis, node layout included (master entry,
// tombstone counts, listpack sizes), so `~` trimming after RESTORE behaves as before:
//   lastId, entriesAdded (decimal), maxDeletedId, firstId, length,
//   nodes: master, fields, deleted, entryBytes, lastId, count, then per entry its id and body,
//   groups: name, lastId, entriesRead (decimal), consumers (name, seenTime),
//           PEL (id, deliveryTime, deliveryCount, consumer name).
// Ids are four uints (the u32 halves).
//
// The rewriter emits what Redis's rewriteStreamObject emits: XADD per entry (or the XADD MAXLEN 0
// trick for an empty stream), XSETID with ENTRIESADDED/MAXDELETEDID, XGROUP CREATE … ENTRIESREAD per
// group, XCLAIM … JUSTID FORCE per pending entry and XGROUP CREATECONSUMER for idle consumers.

import {
  type ByteReader,
  type ByteWriter,
  DumpFormatError,
  registerCodec,
  TYPE_TAG,
} from "./dump.ts";
import { Stream } from "./stream.ts";
import { StreamId } from "./stream_id.ts";
import { StreamNode } from "./stream_node.ts";
import { Consumer, ConsumerGroup, type Nack } from "./stream_groups.ts";
import { fromKey, utf8 } from "../util/bytes.ts";
import { type Int64, parseInt64Str } from "../util/numbers.ts";
import { type Emit, registerRewriter } from "../wal/rewrite_value.ts";

function putId(out: ByteWriter, id: StreamId): void {
  out.uint(id.msHi);
  out.uint(id.msLo);
  out.uint(id.seqHi);
  out.uint(id.seqLo);
}

function getId(inp: ByteReader): StreamId {
  const h = [inp.uint(), inp.uint(), inp.uint(), inp.uint()];
  if (h.some((x) => x > 0xffffffff)) throw new DumpFormatError("bad stream id");
  return new StreamId(h[0], h[1], h[2], h[3]);
}

function getInt64(inp: ByteReader): Int64 {
  const v = parseInt64Str(inp.binary());
  if (v === undefined) throw new DumpFormatError("bad counter");
  return v;
}

registerCodec({
  tag: TYPE_TAG.stream,
  type: "stream",
  encode(v, out) {
    const s = v as Stream;
    putId(out, s.lastId);
    out.binary(String(s.entriesAdded));
    putId(out, s.maxDeletedId);
    putId(out, s.firstId);
    out.uint(s.length);
    out.uint(s.nodes.length);
    for (const n of s.nodes) {
      putId(out, n.master);
      out.uint(n.masterFields.length);
      for (const f of n.masterFields) out.binary(f);
      out.uint(n.deleted);
      out.uint(n.entryBytes);
      putId(out, n.lastId);
      out.uint(n.count);
      for (let i = 0; i < n.count; i++) {
        putId(out, n.idAt(i));
        const [same, body] = n.rawAt(i);
        out.u8(same ? 1 : 0);
        out.bytes(body);
      }
    }
    const groups = s.sortedGroups();
    out.uint(groups.length);
    for (const [name, g] of groups) {
      out.binary(name);
      putId(out, g.lastId);
      out.binary(String(g.entriesRead));
      const consumers = g.sortedConsumers();
      out.uint(consumers.length);
      for (const c of consumers) {
        out.binary(c.name);
        out.uint(c.seenTime);
      }
      out.uint(g.pel.size);
      for (const [id, nack] of g.pel.entries()) {
        putId(out, id);
        out.uint(nack.deliveryTime);
        out.uint(nack.deliveryCount);
        out.binary(nack.consumer!.name);
      }
    }
  },
  decode(inp) {
    const s = new Stream();
    s.lastId = getId(inp);
    s.entriesAdded = getInt64(inp);
    s.maxDeletedId = getId(inp);
    s.firstId = getId(inp);
    s.length = inp.uint();
    const nodeCount = inp.uint();
    let live = 0;
    for (let k = 0; k < nodeCount; k++) {
      const master = getId(inp);
      const fields: Uint8Array[] = [];
      for (let f = inp.uint(); f > 0; f--) fields.push(fromKey(inp.binary()));
      const node = new StreamNode(master, fields, 1);
      const deleted = inp.uint();
      const entryBytes = inp.uint();
      const lastId = getId(inp);
      const count = inp.uint();
      let prev: StreamId | undefined;
      for (let i = 0; i < count; i++) {
        const id = getId(inp);
        const same = inp.u8();
        const body = inp.bytes();
        if (same > 1 || body.length === 0 || (prev && id.compare(prev) <= 0)) {
          throw new DumpFormatError("bad stream entry");
        }
        node.appendRaw(id, same === 1, body);
        prev = id;
      }
      node.shrink();
      Object.assign(node, { deleted, entryBytes, lastId });
      live += count;
      s.nodes.push(node);
    }
    if (live !== s.length) throw new DumpFormatError("stream length mismatch");
    for (let g = inp.uint(); g > 0; g--) {
      const name = inp.binary();
      const group = new ConsumerGroup(getId(inp), getInt64(inp));
      for (let c = inp.uint(); c > 0; c--) {
        const cname = inp.binary();
        group.consumers.set(cname, new Consumer(cname, inp.uint()));
      }
      for (let p = inp.uint(); p > 0; p--) {
        const id = getId(inp);
        const nack: Nack = {
          deliveryTime: inp.uint(),
          deliveryCount: inp.uint(),
          consumer: undefined,
        };
        const owner = group.consumers.get(inp.binary());
        if (!owner) throw new DumpFormatError("pending entry without its consumer");
        nack.consumer = owner;
        group.pel.set(id, nack);
        owner.pel.set(id, nack);
      }
      (s.groups ??= new Map()).set(name, group);
    }
    return s;
  },
});

const XADD = utf8("XADD");
const ID = (id: StreamId) => utf8(id.toString());

registerRewriter("stream", (key: Uint8Array, value, emit: Emit) => {
  const s = value as Stream;
  if (s.length > 0) {
    for (const n of s.nodes) {
      for (let i = 0; i < n.count; i++) {
        const fv = n.fieldsValues(i).map((b) => typeof b === "string" ? fromKey(b) : b);
        emit([XADD, key, ID(n.idAt(i)), ...fv]);
      }
    }
  } else {
    emit([XADD, key, utf8("MAXLEN"), utf8("0"), utf8("0-1"), utf8("x"), utf8("y")]);
  }
  emit([
    utf8("XSETID"),
    key,
    ID(s.lastId),
    utf8("ENTRIESADDED"),
    utf8(String(s.entriesAdded)),
    utf8("MAXDELETEDID"),
    ID(s.maxDeletedId),
  ]);
  for (const [name, g] of s.sortedGroups()) {
    const gname = fromKey(name);
    emit([
      utf8("XGROUP"),
      utf8("CREATE"),
      key,
      gname,
      ID(g.lastId),
      utf8("ENTRIESREAD"),
      utf8(String(g.entriesRead)),
    ]);
    for (const c of g.sortedConsumers()) {
      const cname = fromKey(c.name);
      if (c.pel.size === 0) {
        emit([utf8("XGROUP"), utf8("CREATECONSUMER"), key, gname, cname]);
        continue;
      }
      for (const [id, nack] of c.pel.entries()) {
        emit([
          utf8("XCLAIM"),
          key,
          gname,
          cname,
          utf8("0"),
          ID(id),
          utf8("TIME"),
          utf8(String(nack.deliveryTime)),
          utf8("RETRYCOUNT"),
          utf8(String(nack.deliveryCount)),
          utf8("JUSTID"),
          utf8("FORCE"),
        ]);
      }
    }
  }
});
