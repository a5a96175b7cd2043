// String values: text, JSON (pretty-printed) or hex view; edit and save with SET … KEEPTTL.

import { useEffect, useState } from "preact/hooks";
import { dbCmdRaw, isError, type Json } from "../lib/conn.ts";
import { bytesOf, fmtBytes, hexDump, isBinary } from "../lib/format.ts";
import { keyArg } from "./keys_store.ts";
import type { EditorProps } from "./value_view.tsx";

/** Values above this are shown truncated (GETRANGE) and not editable. */
const MAX_LOAD = 1 << 20;

export function StringEditor(p: EditorProps) {
  const [value, setValue] = useState<Json>(null);
  const [len, setLen] = useState(0);
  const [mode, setMode] = useState<"text" | "json" | "hex">("text");
  const [draft, setDraft] = useState<string | null>(null);
  const k = keyArg(p.id);

  useEffect(() => {
    (async () => {
      const n = await dbCmdRaw(p.db, "STRLEN", k);
      const size = typeof n === "number" ? n : 0;
      setLen(size);
      const v = size > MAX_LOAD
        ? await dbCmdRaw(p.db, "GETRANGE", k, 0, MAX_LOAD - 1)
        : await dbCmdRaw(p.db, "GET", k);
      if (isError(v)) return;
      setValue(v);
      setDraft(null);
      if (typeof v === "string" && mode === "text" && looksJson(v)) {
        setMode("json");
      }
    })();
  }, [p.id, p.rev]);

  const binary = isBinary(value);
  const str = typeof value === "string" ? value : "";
  let json: string | null = null;
  if (!binary && looksJson(str)) {
    try {
      json = JSON.stringify(JSON.parse(str), null, 2);
    } catch { /* not JSON after all */ }
  }
  const truncated = len > MAX_LOAD;
  const editable = !binary && !truncated;
  const shown = mode === "hex" || binary
    ? hexDump(bytesOf(value))
    : mode === "json" && json !== null
    ? json
    : str;

  const save = async () => {
    if (draft === null) return;
    let out = draft;
    if (mode === "json") {
      try {
        out = JSON.stringify(JSON.parse(draft));
      } catch { /* saved as typed */ }
    }
    const r = await p.run("SET", k, out, "KEEPTTL");
    if (r !== undefined) p.reload();
  };

  return (
    <div class="editor string-editor">
      <div class="tabs" role="tablist">
        {(["text", "json", "hex"] as const).map((m) => (
          <button
            type="button"
            role="tab"
            aria-selected={mode === m}
            disabled={(m === "json" && json === null) ||
              (binary && m !== "hex")}
            onClick={() => setMode(m)}
          >
            {m.toUpperCase()}
          </button>
        ))}
        <span class="spacer" />
        <span class="muted">
          {fmtBytes(len)}
          {binary ? " · binary" : ""}
          {truncated ? ` · first ${fmtBytes(MAX_LOAD)} shown` : ""}
        </span>
      </div>
      {draft === null
        ? (
          <pre
            class="string-value"
            tabIndex={0}
            onDblClick={() => editable && mode !== "hex" && setDraft(shown)}
          >{shown}</pre>
        )
        : (
          <textarea
            class="string-value"
            aria-label="Value"
            value={draft}
            autoFocus
            onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save();
              if (e.key === "Escape") setDraft(null);
            }}
          />
        )}
      <div class="actions">
        {draft === null
          ? (
            <button
              type="button"
              disabled={!editable || mode === "hex"}
              onClick={() => setDraft(shown)}
            >
              Edit
            </button>
          )
          : (
            <>
              <button type="button" onClick={() => setDraft(null)}>
                Cancel
              </button>
              <button type="button" class="primary" onClick={save}>Save</button>
            </>
          )}
      </div>
    </div>
  );
}

function looksJson(s: string): boolean {
  const t = s.trimStart();
  return t.startsWith("{") || t.startsWith("[");
}
