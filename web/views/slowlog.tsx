// The slow log (SLOWLOG GET), refreshed every few seconds while shown.

import { useEffect, useState } from "preact/hooks";
import { cmdRaw, isError, type Json } from "../lib/conn.ts";
import { fmtInt, text } from "../lib/format.ts";

interface Entry {
  id: number;
  at: number;
  micros: number;
  args: string;
  client: string;
}

export function SlowLog({ limit }: { limit: number }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    const load = async () => {
      const r = await cmdRaw("SLOWLOG", "GET", limit).catch(() => null);
      if (isError(r)) return setError(r.error);
      if (!Array.isArray(r)) return;
      setError("");
      setEntries(r.map((e) => {
        const a = e as Json[];
        return {
          id: Number(a[0]),
          at: Number(a[1]) * 1000,
          micros: Number(a[2]),
          args: Array.isArray(a[3]) ? a[3].map(text).join(" ") : "",
          client: text(a[4] ?? ""),
        };
      }));
    };
    void load();
    const t = setInterval(load, 3000);
    return () => clearInterval(t);
  }, [limit]);
  if (error) return <p class="muted">Slow log not available: {error}</p>;
  if (!entries.length) return <p class="muted">No slow commands logged.</p>;
  return (
    <div class="table-wrap">
      <table class="elements">
        <thead>
          <tr>
            <th class="num">#</th>
            <th>time</th>
            <th class="num">µs</th>
            <th>command</th>
            <th>client</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr>
              <td class="num">{e.id}</td>
              <td>{new Date(e.at).toLocaleTimeString()}</td>
              <td class="num">{fmtInt(e.micros)}</td>
              <td class="mono">{e.args}</td>
              <td>{e.client}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
