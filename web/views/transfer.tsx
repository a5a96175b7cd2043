// Export / import view: keys by pattern or by list to a JSON or RESP file, and files back in.

import { useState } from "preact/hooks";
import type { Json } from "../lib/conn.ts";
import { fmtBytes, fmtInt } from "../lib/format.ts";
import { databases } from "./server_store.ts";
import {
  commandsFor,
  encodeResp,
  type ExportFile,
  exportKeys,
  parseResp,
  runCommands,
  scanKeys,
} from "./transfer_io.ts";

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function ProgressBar({ done, total, label }: { done: number; total: number; label: string }) {
  const pct = total ? (done / total) * 100 : 0;
  return (
    <div>
      <div class="progress" role="progressbar" aria-valuenow={Math.round(pct)}>
        <span style={{ width: `${total ? pct : 100}%` }} class={total ? "" : "indeterminate"} />
      </div>
      <p class="muted">
        {label}: {fmtInt(done)}
        {total ? ` of ${fmtInt(total)}` : ""}
      </p>
    </div>
  );
}

function DbSelect({ value, onChange }: { value: number; onChange: (n: number) => void }) {
  return (
    <select
      aria-label="Database"
      value={value}
      onChange={(e) => onChange(Number(e.currentTarget.value))}
    >
      {Array.from({ length: databases.value }, (_, i) => <option key={i} value={i}>db{i}</option>)}
    </select>
  );
}

function ExportPanel() {
  const [db, setDb] = useState(0);
  const [mode, setMode] = useState<"pattern" | "list">("pattern");
  const [pattern, setPattern] = useState("*");
  const [list, setList] = useState("");
  const [format, setFormat] = useState<"json" | "resp">("json");
  const [busy, setBusy] = useState(false);
  const [prog, setProg] = useState({ done: 0, total: 0, label: "" });
  const [result, setResult] = useState("");

  const run = async () => {
    setBusy(true);
    setResult("");
    try {
      const keys: Json[] = mode === "pattern"
        ? await scanKeys(db, pattern, (d) => setProg({ done: d, total: 0, label: "Keys found" }))
        : list.split("\n").map((s) => s.trim()).filter(Boolean);
      const file = await exportKeys(
        db,
        keys,
        (d, t) => setProg({ done: d, total: t, label: "Keys read" }),
      );
      const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
      const blob = format === "json"
        ? new Blob([JSON.stringify(file, null, 1)], { type: "application/json" })
        : encodeResp(file.keys.flatMap(commandsFor));
      download(blob, `reredis-db${db}-${stamp}.${format === "json" ? "json" : "resp"}`);
      setResult(`Exported ${fmtInt(file.keys.length)} keys (${fmtBytes(blob.size)}).`);
    } catch (e) {
      setResult(`Export failed: ${(e as Error).message}`);
    }
    setBusy(false);
  };

  return (
    <section class="card">
      <h2>Export</h2>
      <div class="form-grid">
        <label>
          Database <DbSelect value={db} onChange={setDb} />
        </label>
        <label>
          Keys
          <select
            value={mode}
            onChange={(e) => setMode(e.currentTarget.value as "pattern" | "list")}
          >
            <option value="pattern">matching a pattern</option>
            <option value="list">listed below</option>
          </select>
        </label>
        {mode === "pattern"
          ? (
            <label>
              Pattern
              <input value={pattern} onInput={(e) => setPattern(e.currentTarget.value)} />
            </label>
          )
          : (
            <label>
              Keys, one per line
              <textarea value={list} onInput={(e) => setList(e.currentTarget.value)} />
            </label>
          )}
        <label>
          Format
          <select
            value={format}
            onChange={(e) => setFormat(e.currentTarget.value as "json" | "resp")}
          >
            <option value="json">JSON (types, values, TTLs)</option>
            <option value="resp">RESP commands (redis-cli --pipe)</option>
          </select>
        </label>
      </div>
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={run}>Export</button>
      </div>
      {busy && <ProgressBar {...prog} />}
      {result && <p role="status">{result}</p>}
    </section>
  );
}

function ImportPanel() {
  const [db, setDb] = useState(0);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [prog, setProg] = useState({ done: 0, total: 0, label: "" });
  const [result, setResult] = useState("");
  const [errors, setErrors] = useState<string[]>([]);

  const run = async () => {
    if (!file) return;
    setBusy(true);
    setResult("");
    setErrors([]);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const first = bytes.find((b) => b > 32);
      const cmds = first === 0x7b // "{": our JSON export
        ? (JSON.parse(new TextDecoder().decode(bytes)) as ExportFile).keys.flatMap(commandsFor)
        : parseResp(bytes);
      const r = await runCommands(
        db,
        cmds,
        (d, t) => setProg({ done: d, total: t, label: "Commands run" }),
      );
      setResult(`Ran ${fmtInt(r.ok + r.failed)} commands: ${fmtInt(r.failed)} failed.`);
      setErrors(r.errors);
    } catch (e) {
      setResult(`Import failed: ${(e as Error).message}`);
    }
    setBusy(false);
  };

  return (
    <section class="card">
      <h2>Import</h2>
      <p class="muted">
        A JSON export or a RESP command file. Existing keys with the same names are replaced.
      </p>
      <div class="form-grid">
        <label>
          Into database <DbSelect value={db} onChange={setDb} />
        </label>
        <label>
          File
          <input
            type="file"
            accept=".json,.resp,.txt,application/json"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
        </label>
      </div>
      <div class="actions">
        <button type="button" class="primary" disabled={busy || !file} onClick={run}>
          Import
        </button>
      </div>
      {busy && <ProgressBar {...prog} />}
      {result && <p role="status">{result}</p>}
      {errors.length > 0 && (
        <ul class="error">
          {errors.map((e, i) => <li key={i}>{e}</li>)}
        </ul>
      )}
    </section>
  );
}

export function TransferView() {
  return (
    <div class="transfer">
      <ExportPanel />
      <ImportPanel />
    </div>
  );
}
