// Collection values as paged tables with in-place edit, add and remove: hash (HSCAN), list
// (LRANGE pages), set (SSCAN), sorted set (ZRANGE … WITHSCORES pages) and a read-only stream view.

import { useEffect, useState } from "preact/hooks";
import { type Arg, dbCmdRaw, isError, type Json } from "../lib/conn.ts";
import { fmtInt, isBinary, text } from "../lib/format.ts";
import { keyArg } from "./keys_store.ts";
import type { EditorProps } from "./value_view.tsx";

const PAGE = 100;

interface TableProps {
  columns: string[];
  rows: Json[][];
  /** Column indexes that can be edited in place. */
  editable: number[];
  onEdit?: (row: number, col: number, value: string) => void;
  onDelete?: (row: number) => void;
  /** Row number labels (list indexes, ranks). */
  labels?: (number | string)[];
}

function ElementTable(p: TableProps) {
  const [editing, setEditing] = useState<
    { row: number; col: number; value: string } | null
  >(null);
  const [confirming, setConfirming] = useState(-1);
  const commit = () => {
    if (editing && p.onEdit) p.onEdit(editing.row, editing.col, editing.value);
    setEditing(null);
  };
  return (
    <div class="table-wrap">
      <table class="elements">
        <thead>
          <tr>
            {p.labels && <th class="num">#</th>}
            {p.columns.map((c) => <th key={c}>{c}</th>)}
            <th class="row-actions" aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {p.rows.map((r, i) => (
            <tr key={String(p.labels?.[i] ?? i) + text(r[0])}>
              {p.labels && <td class="num">{p.labels[i]}</td>}
              {r.map((cell, c) =>
                editing && editing.row === i && editing.col === c
                  ? (
                    <td>
                      <input
                        class="cell-input"
                        aria-label={`Edit ${p.columns[c]}`}
                        value={editing.value}
                        autoFocus
                        onInput={(e) =>
                          setEditing({
                            ...editing,
                            value: e.currentTarget.value,
                          })}
                        onKeyDown={(e) => {
                          if (e.key === "Enter") commit();
                          if (e.key === "Escape") {
                            setEditing(null);
                          }
                        }}
                        onBlur={() => setEditing(null)}
                      />
                    </td>
                  )
                  : (
                    <td
                      class={isBinary(cell) ? "binary" : ""}
                      onDblClick={() =>
                        p.editable.includes(c) && !isBinary(cell) &&
                        setEditing({ row: i, col: c, value: text(cell) })}
                    >
                      {text(cell)}
                    </td>
                  )
              )}
              <td class="row-actions">
                {p.editable.length > 0 && (
                  <button
                    type="button"
                    class="icon"
                    title="Edit"
                    aria-label={`Edit row ${i + 1}`}
                    disabled={isBinary(r[p.editable[0]])}
                    onClick={() =>
                      setEditing({
                        row: i,
                        col: p.editable[0],
                        value: text(r[p.editable[0]]),
                      })}
                  >
                    ✎
                  </button>
                )}
                {p.onDelete && (
                  <button
                    type="button"
                    class={"icon" + (confirming === i ? " danger" : "")}
                    title={confirming === i ? "Click again to remove" : "Remove"}
                    aria-label={`Remove row ${i + 1}`}
                    onClick={() => {
                      if (confirming === i) {
                        p.onDelete!(i);
                        setConfirming(-1);
                      } else setConfirming(i);
                    }}
                    onBlur={() => setConfirming(-1)}
                  >
                    {confirming === i ? "Remove?" : "✕"}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A small form adding one element: named inputs and a submit button. */
function AddForm(
  p: {
    fields: string[];
    label: string;
    onAdd: (values: string[]) => void;
    extra?: preact.JSX.Element;
  },
) {
  const [vals, setVals] = useState<string[]>(p.fields.map(() => ""));
  return (
    <form
      class="add-form"
      onSubmit={(e) => {
        e.preventDefault();
        p.onAdd(vals);
        setVals(p.fields.map(() => ""));
      }}
    >
      {p.fields.map((f, i) => (
        <input
          placeholder={f}
          aria-label={f}
          value={vals[i]}
          onInput={(e) => {
            const next = vals.slice();
            next[i] = e.currentTarget.value;
            setVals(next);
          }}
        />
      ))}
      {p.extra}
      <button type="submit">{p.label}</button>
    </form>
  );
}

function Pager(
  p: { offset: number; total: number; onPage: (offset: number) => void },
) {
  if (p.total <= PAGE) return null;
  return (
    <div class="pager">
      <button
        type="button"
        disabled={p.offset === 0}
        onClick={() => p.onPage(p.offset - PAGE)}
      >
        ‹ Prev
      </button>
      <span>
        {fmtInt(p.offset + 1)}–{fmtInt(Math.min(p.total, p.offset + PAGE))} of {fmtInt(p.total)}
      </span>
      <button
        type="button"
        disabled={p.offset + PAGE >= p.total}
        onClick={() => p.onPage(p.offset + PAGE)}
      >
        Next ›
      </button>
    </div>
  );
}

/** Pairs a flat [a, b, a, b] reply (RESP2) or nested [[a, b]] (RESP3) into rows. */
function pairs(r: Json): Json[][] {
  if (!Array.isArray(r)) {
    return r && typeof r === "object" && !isError(r) ? Object.entries(r) : [];
  }
  if (r.length && Array.isArray(r[0])) return r as Json[][];
  const out: Json[][] = [];
  for (let i = 0; i + 1 < r.length; i += 2) out.push([r[i], r[i + 1]]);
  return out;
}

function arg(v: Json): Arg {
  return isBinary(v) ? v : text(v);
}

/** Cursor-scanned collections (hash, set): first page, then "Load more". */
function useScan(p: EditorProps, command: string, flat: boolean) {
  const [rows, setRows] = useState<Json[][]>([]);
  const [cursor, setCursor] = useState("0");
  const [total, setTotal] = useState(0);
  const k = keyArg(p.id);
  const fetchPage = async (from: string, acc: Json[][]) => {
    const r = await dbCmdRaw(p.db, command, k, from, "COUNT", PAGE);
    if (!Array.isArray(r)) return;
    const items = r[1] as Json[];
    const next = flat ? items.map((x) => [x]) : pairs(items);
    setRows(acc.concat(next));
    setCursor(String(r[0]));
  };
  useEffect(() => {
    void fetchPage("0", []);
    const lenCmd = command === "HSCAN" ? "HLEN" : "SCARD";
    void dbCmdRaw(p.db, lenCmd, k).then((n) => typeof n === "number" && setTotal(n));
  }, [p.id, p.rev]);
  const more = cursor !== "0"
    ? (
      <div class="pager">
        <span>{fmtInt(rows.length)} of {fmtInt(total)}</span>
        <button type="button" onClick={() => fetchPage(cursor, rows)}>
          Load more
        </button>
      </div>
    )
    : <div class="pager muted">{fmtInt(total)} elements</div>;
  return { rows, more, k };
}

export function HashEditor(p: EditorProps) {
  const { rows, more, k } = useScan(p, "HSCAN", false);
  const done = (r: Json | undefined) => r !== undefined && p.reload();
  return (
    <div class="editor">
      <ElementTable
        columns={["field", "value"]}
        rows={rows}
        editable={[1]}
        onEdit={async (i, _c, v) => done(await p.run("HSET", k, arg(rows[i][0]), v))}
        onDelete={async (i) => done(await p.run("HDEL", k, arg(rows[i][0])))}
      />
      {more}
      <AddForm
        fields={["field", "value"]}
        label="Add field"
        onAdd={async ([f, v]) => f && done(await p.run("HSET", k, f, v))}
      />
    </div>
  );
}

export function SetEditor(p: EditorProps) {
  const { rows, more, k } = useScan(p, "SSCAN", true);
  const done = (r: Json | undefined) => r !== undefined && p.reload();
  return (
    <div class="editor">
      <ElementTable
        columns={["member"]}
        rows={rows}
        editable={[0]}
        onEdit={async (i, _c, v) => {
          if (v === text(rows[i][0])) return;
          await p.run("SADD", k, v);
          done(await p.run("SREM", k, arg(rows[i][0])));
        }}
        onDelete={async (i) => done(await p.run("SREM", k, arg(rows[i][0])))}
      />
      {more}
      <AddForm
        fields={["member"]}
        label="Add member"
        onAdd={async ([m]) => m && done(await p.run("SADD", k, m))}
      />
    </div>
  );
}

/** Index-paged collections (list, zset). */
function usePaged(
  p: EditorProps,
  lenCmd: string,
  load: (from: number) => Arg[],
) {
  const [offset, setOffset] = useState(0);
  const [total, setTotal] = useState(0);
  const [reply, setReply] = useState<Json>([]);
  const k = keyArg(p.id);
  useEffect(() => {
    (async () => {
      const n = await dbCmdRaw(p.db, lenCmd, k);
      const len = typeof n === "number" ? n : 0;
      setTotal(len);
      const from = Math.min(
        offset,
        Math.max(0, Math.floor((len - 1) / PAGE) * PAGE),
      );
      if (from !== offset) setOffset(from);
      setReply(await dbCmdRaw(p.db, ...load(from)));
    })();
  }, [p.id, p.rev, offset]);
  return { offset, total, reply, setOffset, k };
}

export function ListEditor(p: EditorProps) {
  const k0 = keyArg(p.id);
  const { offset, total, reply, setOffset, k } = usePaged(
    p,
    "LLEN",
    (from) => ["LRANGE", k0, from, from + PAGE - 1],
  );
  const rows = Array.isArray(reply) ? reply.map((v) => [v]) : [];
  const done = (r: Json | undefined) => r !== undefined && p.reload();
  const [side, setSide] = useState<"RPUSH" | "LPUSH">("RPUSH");
  return (
    <div class="editor">
      <ElementTable
        columns={["element"]}
        rows={rows}
        labels={rows.map((_, i) => offset + i)}
        editable={[0]}
        onEdit={async (i, _c, v) => done(await p.run("LSET", k, offset + i, v))}
        onDelete={async (i) => {
          // Remove by index: mark the slot with a unique value, then LREM that value once.
          const mark = `__reredis_deleted_${Date.now()}_${Math.random().toString(36).slice(2)}`;
          if (await p.run("LSET", k, offset + i, mark) !== undefined) {
            done(await p.run("LREM", k, 1, mark));
          }
        }}
      />
      <Pager offset={offset} total={total} onPage={setOffset} />
      <AddForm
        fields={["element"]}
        label="Push"
        onAdd={async ([v]) => done(await p.run(side, k, v))}
        extra={
          <select
            aria-label="Push side"
            value={side}
            onChange={(e) => setSide(e.currentTarget.value as "RPUSH" | "LPUSH")}
          >
            <option value="RPUSH">tail</option>
            <option value="LPUSH">head</option>
          </select>
        }
      />
    </div>
  );
}

export function ZsetEditor(p: EditorProps) {
  const k0 = keyArg(p.id);
  const { offset, total, reply, setOffset, k } = usePaged(
    p,
    "ZCARD",
    (from) => ["ZRANGE", k0, from, from + PAGE - 1, "WITHSCORES"],
  );
  const rows = pairs(reply);
  const done = (r: Json | undefined) => r !== undefined && p.reload();
  return (
    <div class="editor">
      <ElementTable
        columns={["member", "score"]}
        rows={rows}
        labels={rows.map((_, i) => offset + i)}
        editable={[1, 0]}
        onEdit={async (i, c, v) => {
          const [member, score] = rows[i];
          if (c === 1) return done(await p.run("ZADD", k, v, arg(member)));
          if (v === text(member)) return;
          await p.run("ZADD", k, text(score), v);
          done(await p.run("ZREM", k, arg(member)));
        }}
        onDelete={async (i) => done(await p.run("ZREM", k, arg(rows[i][0])))}
      />
      <Pager offset={offset} total={total} onPage={setOffset} />
      <AddForm
        fields={["member", "score"]}
        label="Add member"
        onAdd={async ([m, s]) => m && done(await p.run("ZADD", k, s || "0", m))}
      />
    </div>
  );
}

export function StreamViewer(p: EditorProps) {
  const [entries, setEntries] = useState<Json[][]>([]);
  const [len, setLen] = useState(0);
  const k = keyArg(p.id);
  useEffect(() => {
    void dbCmdRaw(p.db, "XREVRANGE", k, "+", "-", "COUNT", PAGE).then((r) => {
      if (!Array.isArray(r)) return;
      setEntries(r.map((e) => {
        const [id, fields] = e as [Json, Json];
        const f = pairs(fields).map(([a, b]) => `${text(a)}=${text(b)}`).join(
          "  ",
        );
        return [id, f];
      }));
    });
    void dbCmdRaw(p.db, "XLEN", k).then((n) => typeof n === "number" && setLen(n));
  }, [p.id, p.rev]);
  return (
    <div class="editor">
      <ElementTable columns={["id", "fields"]} rows={entries} editable={[]} />
      <div class="pager muted">
        {fmtInt(len)} entries{len > PAGE ? `, newest ${PAGE} shown` : ""} (read-only)
      </div>
    </div>
  );
}
