// Keys view: SCAN-backed virtual list or `:` tree, filters, live flashes, and the value panel.

import { useSignal } from "@preact/signals";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { VirtualList } from "../components/virtual_list.tsx";
import { fmtBytes, fmtInt, fmtTtl } from "../lib/format.ts";
import { CreateKey } from "./create_key.tsx";
import {
  db,
  ensureMeta,
  flashes,
  getKeys,
  keysVersion,
  loadMore,
  meta,
  metaVersion,
  pattern,
  rescan,
  scan,
  selected,
  type TreeRow,
  treeRows,
  typeFilter,
  viewMode,
} from "./keys_store.ts";
import { ValuePanel } from "./value_view.tsx";
import { databases } from "./server_store.ts";

const TYPES = ["", "string", "list", "hash", "set", "zset", "stream"];
const ROW_H = 30;

let started = false;

export function KeysView() {
  const [tick, setTick] = useState(0);
  const [active, setActive] = useState(-1);
  const [creating, setCreating] = useState(false);
  const expanded = useSignal(new Set<string>());
  const patternInput = useSignal(pattern.value);
  useEffect(() => {
    if (!started) {
      started = true;
      rescan();
    }
    const t = setInterval(() => setTick((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, []);
  void tick;
  void metaVersion.value;
  const version = keysVersion.value;
  const mode = viewMode.value;
  // The tree is rebuilt from all loaded keys, so with many keys it follows live changes at most
  // once a second instead of on every batch.
  const [treeVersion, setTreeVersion] = useState(version);
  const lastTree = useRef(0);
  const builtFor = useRef(-1);
  useEffect(() => {
    if (mode !== "tree" || builtFor.current === version) return;
    const wait = getKeys().length > 20000 ? lastTree.current + 1000 - Date.now() : 0;
    const t = setTimeout(() => setTreeVersion(version), Math.max(0, wait));
    return () => clearTimeout(t);
  }, [version, mode, treeVersion]);
  const rows: TreeRow[] | null = useMemo(() => {
    if (mode !== "tree") return null;
    builtFor.current = keysVersion.peek();
    lastTree.current = Date.now();
    return treeRows(getKeys(), expanded.value);
  }, [treeVersion, mode, expanded.value]);
  const list = getKeys();
  const count = rows ? rows.length : list.length;
  const idAt = (i: number) => (rows ? rows[i].id : list[i]);

  const onRange = (first: number, last: number) => {
    const ids: string[] = [];
    for (let i = first; i < last && i < count; i++) {
      if (!rows || !rows[i].folder) ids.push(idAt(i));
    }
    ensureMeta(ids);
  };

  const toggle = (id: string) => {
    const next = new Set(expanded.value);
    next.has(id) ? next.delete(id) : next.add(id);
    expanded.value = next;
  };

  const open = (i: number) => {
    setActive(i);
    if (rows && rows[i].folder) toggle(rows[i].id);
    else selected.value = idAt(i);
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = Math.max(
        0,
        Math.min(count - 1, active + (e.key === "ArrowDown" ? 1 : -1)),
      );
      setActive(next);
      if (!rows || !rows[next].folder) selected.value = idAt(next);
    } else if (e.key === "Enter" && active >= 0 && active < count) open(active);
  };

  const submit = (e: Event) => {
    e.preventDefault();
    pattern.value = patternInput.value.trim();
    rescan();
  };

  const now = Date.now();
  const renderRow = (i: number) => {
    const r = rows?.[i];
    const id = idAt(i);
    const pad = r ? { paddingLeft: `${8 + r.depth * 16}px` } : undefined;
    if (r?.folder) {
      return (
        <div
          class={"krow folder" + (i === active ? " active" : "")}
          style={pad}
          onClick={() => open(i)}
          role="option"
          aria-expanded={expanded.value.has(id)}
        >
          <span class="twisty">{expanded.value.has(id) ? "▾" : "▸"}</span>
          <span class="kname">{r.name}</span>
          <span class="kcount">{fmtInt(r.count)}</span>
        </div>
      );
    }
    const m = meta.get(id);
    const f = flashes.get(id);
    const flash = f !== undefined && now - f < 1200;
    const ttl = m?.ttlMs !== undefined && m.ttlMs >= 0 ? m.ttlMs - (now - m.at) : -1;
    return (
      <div
        class={"krow" + (id === selected.value ? " selected" : "") +
          (i === active ? " active" : "") +
          (flash ? " flash" : "")}
        style={pad}
        onClick={() => open(i)}
        role="option"
        aria-selected={id === selected.value}
        data-key={id}
      >
        <span class={"badge t-" + (m?.type ?? "none")}>{m?.type ?? "…"}</span>
        <span class="kname" title={id}>{r ? r.name : id}</span>
        <span class="kttl" title="time to live">
          {ttl >= 0 ? fmtTtl(Math.max(0, ttl)) : ""}
        </span>
        <span class="ksize">
          {m?.size == null ? "" : m.sizeIsCount ? `${fmtInt(m.size)} el` : fmtBytes(m.size)}
        </span>
      </div>
    );
  };

  const s = scan.value;
  return (
    <div class={"keys" + (selected.value !== null ? " has-value" : "")}>
      <section class="keylist" aria-label="Keys">
        <form class="toolbar" onSubmit={submit}>
          <select
            aria-label="Database"
            value={db.value}
            onChange={(e) => {
              db.value = Number((e.currentTarget as HTMLSelectElement).value);
              selected.value = null;
              rescan();
            }}
          >
            {Array.from(
              { length: databases.value },
              (_, i) => <option key={i} value={i}>db{i}</option>,
            )}
          </select>
          <input
            type="search"
            placeholder="Pattern, e.g. user:*"
            aria-label="Key pattern"
            value={patternInput.value}
            onInput={(
              e,
            ) => (patternInput.value = (e.currentTarget as HTMLInputElement).value)}
          />
          <select
            aria-label="Type filter"
            value={typeFilter.value}
            onChange={(e) => {
              typeFilter.value = (e.currentTarget as HTMLSelectElement).value;
              rescan();
            }}
          >
            {TYPES.map((t) => <option key={t} value={t}>{t || "all types"}</option>)}
          </select>
          <button type="submit" title="Scan">Scan</button>
          <button
            type="button"
            aria-pressed={mode === "tree"}
            title="Switch between flat list and tree by ':'"
            onClick={() => {
              viewMode.value = mode === "tree" ? "list" : "tree";
              localStorage.setItem("reredis.keys.view", viewMode.value);
            }}
          >
            {mode === "tree" ? "List" : "Tree"}
          </button>
          <button
            type="button"
            class="primary"
            onClick={() => setCreating(true)}
          >
            + Key
          </button>
        </form>
        <div class="status">
          {fmtInt(list.length)} keys loaded{s.dbsize !== null ? ` · ${fmtInt(s.dbsize)} in db` : ""}
          {s.scanning ? " · scanning…" : s.done ? "" : " · scroll for more"}
        </div>
        <VirtualList
          count={count}
          rowHeight={ROW_H}
          row={renderRow}
          active={active}
          onKey={onKey}
          onRange={onRange}
          onEnd={loadMore}
          label="Keys"
          class="klist"
        />
      </section>
      {selected.value !== null && <ValuePanel id={selected.value} />}
      {creating && <CreateKey onClose={() => setCreating(false)} />}
    </div>
  );
}
