// The value panel for the selected key: type, TTL (set/clear), rename, delete with confirmation,
// and the type's viewer/editor. Reloads when the key changes live.

import { useEffect, useRef, useState } from "preact/hooks";
import { Confirm, Dialog } from "../components/dialog.tsx";
import { type Arg, dbCmd, dbCmdRaw, type FeedEvent, isError, type Json } from "../lib/conn.ts";
import { fmtBytes, fmtTtl } from "../lib/format.ts";
import { addKey, db, keyArg, keyListeners, removeKeys, selected } from "./keys_store.ts";
import { HashEditor, ListEditor, SetEditor, StreamViewer, ZsetEditor } from "./value_editors.tsx";
import { StringEditor } from "./value_string.tsx";

export interface KeyInfo {
  type: string;
  ttlMs: number;
  at: number;
  size: number | null;
}

export function ValuePanel({ id }: { id: string }) {
  const [info, setInfo] = useState<KeyInfo | null>(null);
  const [gone, setGone] = useState(false);
  const [rev, setRev] = useState(0);
  const [flash, setFlash] = useState(0);
  const [dialog, setDialog] = useState<"" | "delete" | "rename" | "ttl">("");
  const [error, setError] = useState("");
  const [, setTick] = useState(0);
  const d = db.value;
  const k = keyArg(id);

  const load = async () => {
    const [type, ttl] = await Promise.all([
      dbCmdRaw(d, "TYPE", k),
      dbCmdRaw(d, "PTTL", k),
    ]);
    if (type === "none") {
      setGone(true);
      setInfo(null);
      return;
    }
    const size = await dbCmdRaw(d, "MEMORY", "USAGE", k);
    setGone(false);
    setInfo({
      type: String(type),
      ttlMs: typeof ttl === "number" ? ttl : -1,
      at: Date.now(),
      size: typeof size === "number" ? size : null,
    });
    setRev((r) => r + 1);
  };

  const reloadTimer = useRef(0);
  useEffect(() => {
    setInfo(null);
    setGone(false);
    setError("");
    void load();
    const onChange = (changed: string, e: FeedEvent) => {
      if (changed !== id) return;
      setFlash((f) => f + 1);
      if (
        e.event === "del" || e.event === "expired" || e.event === "evicted" ||
        e.event === "rename_from"
      ) {
        setGone(true);
        return;
      }
      clearTimeout(reloadTimer.current);
      reloadTimer.current = setTimeout(load, 150);
    };
    keyListeners.add(onChange);
    const t = setInterval(() => setTick((x) => x + 1), 1000);
    return () => {
      keyListeners.delete(onChange);
      clearInterval(t);
      clearTimeout(reloadTimer.current);
    };
  }, [id, d]);

  const run = async (...args: Arg[]): Promise<Json | undefined> => {
    setError("");
    try {
      return await dbCmd(d, ...args);
    } catch (e) {
      setError((e as Error).message);
      return undefined;
    }
  };

  const ttlLeft = info && info.ttlMs >= 0 ? Math.max(0, info.ttlMs - (Date.now() - info.at)) : -1;
  const Editor = info ? EDITORS[info.type] : undefined;
  return (
    <section class="value" aria-label="Value">
      {flash > 0 && <div class="flashbar" key={flash} />}
      <header class="value-head">
        <button
          type="button"
          class="back"
          aria-label="Back to keys"
          onClick={() => (selected.value = null)}
        >
          ←
        </button>
        {info && <span class={"badge t-" + info.type}>{info.type}</span>}
        <h2 class="value-key" title={id}>{id}</h2>
        <button
          type="button"
          class="icon"
          title="Close"
          onClick={() => (selected.value = null)}
        >
          ✕
        </button>
      </header>
      {gone && (
        <p class="notice">
          This key does not exist (deleted, expired or renamed).
        </p>
      )}
      {info && (
        <div class="value-meta">
          <span>
            TTL: <strong>{ttlLeft >= 0 ? fmtTtl(ttlLeft) : "no expiry"}</strong>
          </span>
          {info.size !== null && <span>Memory: {fmtBytes(info.size)}</span>}
          <span class="spacer" />
          <button type="button" onClick={() => setDialog("ttl")}>TTL…</button>
          <button type="button" onClick={() => setDialog("rename")}>
            Rename…
          </button>
          <button
            type="button"
            class="danger"
            onClick={() => setDialog("delete")}
          >
            Delete
          </button>
          <button type="button" title="Reload" onClick={load}>↻</button>
        </div>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      {info && Editor && <Editor id={id} db={d} rev={rev} run={run} reload={load} />}
      {info && !Editor && <p class="notice">No viewer for type “{info.type}”.</p>}
      {dialog === "delete" && (
        <Confirm
          title="Delete key"
          message={
            <>
              Delete <code>{id}</code>? This cannot be undone.
            </>
          }
          confirm="Delete"
          danger
          onClose={() => setDialog("")}
          onConfirm={async () => {
            let r = await dbCmdRaw(d, "UNLINK", k);
            if (isError(r)) r = await dbCmdRaw(d, "DEL", k);
            if (isError(r)) setError(r.error);
            else {
              removeKeys([id]);
              selected.value = null;
            }
          }}
        />
      )}
      {dialog === "rename" && (
        <RenameDialog
          id={id}
          onClose={() => setDialog("")}
          onRename={async (to) => {
            const r = await run("RENAMENX", k, to);
            if (r === 0) setError(`“${to}” already exists`);
            else if (r === 1) {
              removeKeys([id]);
              addKey(to);
              selected.value = to;
            }
          }}
        />
      )}
      {dialog === "ttl" && (
        <TtlDialog
          current={ttlLeft}
          onClose={() => setDialog("")}
          onSet={async (seconds) => {
            await (seconds === null ? run("PERSIST", k) : run("EXPIRE", k, seconds));
            void load();
          }}
        />
      )}
    </section>
  );
}

/** What every type editor gets: the key, a command runner that shows errors, and reload. */
export interface EditorProps {
  id: string;
  db: number;
  /** Increments on every reload of the key, so editors refetch. */
  rev: number;
  run: (...args: Arg[]) => Promise<Json | undefined>;
  reload: () => void;
}

const EDITORS: Record<string, (p: EditorProps) => preact.JSX.Element> = {
  string: StringEditor,
  hash: HashEditor,
  list: ListEditor,
  set: SetEditor,
  zset: ZsetEditor,
  stream: StreamViewer,
};

function RenameDialog(
  p: { id: string; onClose: () => void; onRename: (to: string) => void },
) {
  const [to, setTo] = useState(p.id);
  return (
    <Dialog title="Rename key" onClose={p.onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (to && to !== p.id) p.onRename(to);
          p.onClose();
        }}
      >
        <label>
          New name
          <input
            value={to}
            autoFocus
            onInput={(e) => setTo(e.currentTarget.value)}
          />
        </label>
        <div class="actions">
          <button type="button" onClick={p.onClose}>Cancel</button>
          <button type="submit" class="primary">Rename</button>
        </div>
      </form>
    </Dialog>
  );
}

function TtlDialog(
  p: {
    current: number;
    onClose: () => void;
    onSet: (seconds: number | null) => void;
  },
) {
  const [v, setV] = useState(
    p.current >= 0 ? String(Math.ceil(p.current / 1000)) : "",
  );
  return (
    <Dialog title="Time to live" onClose={p.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number(v);
          if (Number.isInteger(n) && n > 0) p.onSet(n);
          p.onClose();
        }}
      >
        <label>
          Seconds
          <input
            type="number"
            min="1"
            value={v}
            autoFocus
            onInput={(e) => setV(e.currentTarget.value)}
          />
        </label>
        <div class="actions">
          <button type="button" onClick={p.onClose}>Cancel</button>
          <button
            type="button"
            onClick={() => {
              p.onSet(null);
              p.onClose();
            }}
          >
            Remove TTL
          </button>
          <button type="submit" class="primary">Set TTL</button>
        </div>
      </form>
    </Dialog>
  );
}
