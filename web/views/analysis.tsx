// Analysis view: memory by type, top namespaces, biggest keys, keys without TTL, with progress.

import { useState } from "preact/hooks";
import { fmtBytes, fmtInt } from "../lib/format.ts";
import { navigate } from "../lib/router.ts";
import {
  analysis,
  type Bucket,
  pauseAnalysis,
  resumeAnalysis,
  startAnalysis,
} from "./analysis_store.ts";
import { db as keysDb, rescan, selected } from "./keys_store.ts";
import { databases } from "./server_store.ts";

function BucketTable(
  { title, rows, exact, limit }: {
    title: string;
    rows: [string, Bucket][];
    exact: boolean;
    limit: number;
  },
) {
  const totalBytes = rows.reduce((n, [, b]) => n + b.bytes, 0) || 1;
  const shown = rows.sort((a, b) => b[1].bytes - a[1].bytes || b[1].count - a[1].count)
    .slice(0, limit);
  return (
    <section class="card">
      <h2>{title}</h2>
      {shown.length === 0 ? <p class="muted">Nothing yet.</p> : (
        <table class="elements bars">
          <thead>
            <tr>
              <th>name</th>
              <th class="num">keys</th>
              <th class="num">{exact ? "memory" : "size"}</th>
              <th class="bar-col" aria-label="share" />
            </tr>
          </thead>
          <tbody>
            {shown.map(([name, b]) => (
              <tr key={name}>
                <td>{name}</td>
                <td class="num">{fmtInt(b.count)}</td>
                <td class="num">{exact ? fmtBytes(b.bytes) : fmtInt(b.bytes)}</td>
                <td class="bar-col">
                  <span class="bar" style={{ width: `${(b.bytes / totalBytes) * 100}%` }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function AnalysisView() {
  const a = analysis.value;
  const [db, setDb] = useState(a.db);
  const [pattern, setPattern] = useState(a.pattern);
  const [depth, setDepth] = useState(a.depth);
  const pct = a.dbsize ? Math.min(100, (a.scanned / a.dbsize) * 100) : a.state === "done" ? 100 : 0;
  const rate = a.elapsedMs ? (a.scanned / a.elapsedMs) * 1000 : 0;
  const open = (key: string) => {
    if (keysDb.value !== a.db) {
      keysDb.value = a.db;
      rescan();
    }
    selected.value = key;
    navigate("/keys");
  };
  return (
    <div class="analysis">
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          startAnalysis(db, pattern, depth);
        }}
      >
        <select
          aria-label="Database"
          value={db}
          onChange={(e) => setDb(Number(e.currentTarget.value))}
        >
          {Array.from(
            { length: databases.value },
            (_, i) => <option key={i} value={i}>db{i}</option>,
          )}
        </select>
        <input
          type="search"
          aria-label="Pattern"
          placeholder="Pattern (default *)"
          value={pattern}
          onInput={(e) => setPattern(e.currentTarget.value)}
        />
        <label class="inline">
          Namespace depth
          <select
            aria-label="Namespace depth"
            value={depth}
            onChange={(e) => setDepth(Number(e.currentTarget.value))}
          >
            {[1, 2, 3].map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </label>
        <button type="submit" class="primary">
          {a.state === "idle" ? "Analyze" : "Restart"}
        </button>
        {a.state === "running" && <button type="button" onClick={pauseAnalysis}>Pause</button>}
        {a.state === "paused" && <button type="button" onClick={resumeAnalysis}>Resume</button>}
      </form>
      {a.state === "idle"
        ? (
          <p class="notice">
            Scans the keyspace in small SCAN batches and measures each key (TYPE, PTTL, MEMORY
            USAGE); the server keeps serving everyone else while it runs.
          </p>
        )
        : (
          <>
            <div class="progress" role="progressbar" aria-valuenow={Math.round(pct)}>
              <span style={{ width: `${pct}%` }} />
            </div>
            <p class="muted">
              {a.state === "done" ? "Done" : a.state === "paused" ? "Paused" : "Scanning"}:{" "}
              {fmtInt(a.scanned)} of ~{fmtInt(a.dbsize)} keys ({pct.toFixed(0)}%) · {fmtInt(rate)}
              {" "}
              keys/s · {(a.elapsedMs / 1000).toFixed(1)} s
              {!a.exactMemory && " · MEMORY USAGE unavailable: sizes are lengths"}
            </p>
            <div class="analysis-grid">
              <BucketTable
                title="Memory by type"
                rows={Object.entries(a.byType)}
                exact={a.exactMemory}
                limit={20}
              />
              <BucketTable
                title="Top namespaces"
                rows={Object.entries(a.byNamespace)}
                exact={a.exactMemory}
                limit={20}
              />
              <section class="card">
                <h2>Expiry</h2>
                <table class="kv">
                  <tbody>
                    <tr>
                      <th>no TTL</th>
                      <td>
                        {fmtInt(a.noTtl.count)} keys
                        {a.exactMemory ? ` · ${fmtBytes(a.noTtl.bytes)}` : ""}
                      </td>
                    </tr>
                    {["< 1 hour", "< 1 day", "< 1 week", "longer"].map((l, i) => (
                      <tr key={l}>
                        <th>TTL {l}</th>
                        <td>{fmtInt(a.ttl[i])} keys</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {a.noTtlSample.length > 0 && (
                  <details>
                    <summary>Keys without TTL (first {a.noTtlSample.length})</summary>
                    <ul class="keylinks">
                      {a.noTtlSample.map((k) => (
                        <li key={k}>
                          <a href="/keys" onClick={(e) => (e.preventDefault(), open(k))}>{k}</a>
                        </li>
                      ))}
                    </ul>
                  </details>
                )}
              </section>
              <section class="card wide">
                <h2>Biggest keys</h2>
                <table class="elements">
                  <thead>
                    <tr>
                      <th>key</th>
                      <th>type</th>
                      <th class="num">{a.exactMemory ? "memory" : "length"}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.biggest.map((b) => (
                      <tr key={b.key}>
                        <td>
                          <a href="/keys" onClick={(e) => (e.preventDefault(), open(b.key))}>
                            {b.key}
                          </a>
                        </td>
                        <td>
                          <span class={"badge t-" + b.type}>{b.type}</span>
                        </td>
                        <td class="num">{a.exactMemory ? fmtBytes(b.bytes) : fmtInt(b.bytes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            </div>
          </>
        )}
    </div>
  );
}
