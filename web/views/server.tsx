// Server view: live charts from the INFO poller, every INFO section, and the slow log.

import { useState } from "preact/hooks";
import { Chart } from "../components/chart.tsx";
import { fmtBytes, fmtInt } from "../lib/format.ts";
import { SlowLog } from "./slowlog.tsx";
import { info, infoError, type Sample, samples } from "./server_store.ts";

function series(pick: (s: Sample) => number | null): (number | null)[] {
  return samples.value.map(pick);
}

export function ServerView() {
  const [filter, setFilter] = useState("");
  const all = info.value;
  const server = all.get("Server");
  const persistence = all.get("Persistence");
  const walFields = persistence
    ? [...persistence].filter(([k]) => /^(wal|aof)_/.test(k)).slice(0, 8)
    : [];
  const f = filter.toLowerCase();
  return (
    <div class="server">
      {infoError.value && <p class="error">INFO failed: {infoError.value}</p>}
      <div class="server-head">
        {server && (
          <span>
            {server.get("redis_version") &&
              `Redis ${server.get("redis_version")}`}
            {server.get("reredis_version") &&
              ` · Reredis ${server.get("reredis_version")}`}
            {server.get("uptime_in_seconds") &&
              ` · up ${fmtInt(Number(server.get("uptime_in_seconds")))} s`}
            {server.get("tcp_port") && ` · port ${server.get("tcp_port")}`}
          </span>
        )}
      </div>
      <div class="charts">
        <Chart
          title="Ops/sec"
          values={series((s) => s.ops)}
          format={(v) => fmtInt(v)}
        />
        <Chart
          title="Clients"
          values={series((s) => s.clients)}
          format={(v) => fmtInt(v)}
        />
        <Chart
          title="Memory"
          values={series((s) => s.memory)}
          format={fmtBytes}
        />
        <Chart
          title="Hit ratio"
          values={series((s) => s.hitRatio)}
          max={100}
          format={(v) => `${v.toFixed(1)}%`}
        />
        <Chart
          title="WAL size"
          values={series((s) => s.wal)}
          format={fmtBytes}
        />
      </div>
      {walFields.length > 0 && (
        <div class="wal-state">
          {walFields.map(([k, v]) => (
            <span>
              {k}: <strong>{v}</strong>
            </span>
          ))}
        </div>
      )}
      <h2>Slow log</h2>
      <SlowLog limit={10} />
      <div class="info-head">
        <h2>INFO</h2>
        <input
          type="search"
          placeholder="Filter fields"
          aria-label="Filter INFO fields"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
      </div>
      <div class="info-sections">
        {[...all].map(([name, fields]) => {
          const rows = [...fields].filter(([k, v]) =>
            !f || k.toLowerCase().includes(f) || v.toLowerCase().includes(f)
          );
          if (f && rows.length === 0) return null;
          return (
            <details open={!!f || name === "Server" || name === "Keyspace"}>
              <summary>
                {name} <span class="muted">({fields.size})</span>
              </summary>
              <table class="kv">
                <tbody>
                  {rows.map(([k, v]) => (
                    <tr>
                      <th>{k}</th>
                      <td>{v}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          );
        })}
      </div>
    </div>
  );
}
