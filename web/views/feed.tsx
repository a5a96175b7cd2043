// Live feed: the change events (pause, filter, rate), a MONITOR-style profiler and the slow log.

import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { Chart } from "../components/chart.tsx";
import { VirtualList } from "../components/virtual_list.tsx";
import { type FeedEvent, type Json, onEvent, onMessage, sendOp } from "../lib/conn.ts";
import { fmtInt, fmtTtl, globToRegExp, text } from "../lib/format.ts";
import { SlowLog } from "./slowlog.tsx";

const KEEP = 5000;
let events: FeedEvent[] = [];
const feedVersion = signal(0);
const paused = signal(false);
const rates = signal<number[]>([]);
const lagged = signal(0);
const seenEvents = new Set<string>();
let thisSecond = 0;
let total = 0;

onEvent((e) => {
  thisSecond++;
  total++;
  seenEvents.add(e.event);
  if (paused.value) return;
  events.push(e);
  if (events.length > KEEP * 1.2) events = events.slice(-KEEP);
});
onMessage((m) => {
  if (m.op === "lagged") lagged.value += Number(m.dropped) || 0;
});
setInterval(() => {
  rates.value = rates.value.slice(-119).concat(thisSecond);
  thisSecond = 0;
  if (!paused.value) feedVersion.value++;
}, 1000);

function valuePreview(v: Json | undefined, truncated?: boolean): string {
  if (v === undefined) return "";
  const s = typeof v === "object" && v !== null && !("base64" in v) ? JSON.stringify(v) : text(v);
  return (s.length > 120 ? s.slice(0, 120) + "…" : s) +
    (truncated ? " (truncated)" : "");
}

function EventsTab() {
  const [filter, setFilter] = useState("");
  const [kind, setKind] = useState("");
  void feedVersion.value;
  const re = filter ? globToRegExp(filter.includes("*") ? filter : `*${filter}*`) : null;
  const shown = events.filter((e) =>
    (!kind || e.event === kind) &&
    (!re || re.test(typeof e.key === "string" ? e.key : ""))
  ).reverse();
  const rate = rates.value[rates.value.length - 1] ?? 0;
  return (
    <div class="feed-events">
      <div class="toolbar">
        <button
          type="button"
          aria-pressed={paused.value}
          onClick={() => (paused.value = !paused.value)}
        >
          {paused.value ? "Resume" : "Pause"}
        </button>
        <input
          type="search"
          placeholder="Filter keys (glob)"
          aria-label="Filter keys"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        <select
          aria-label="Event type"
          value={kind}
          onChange={(e) => setKind(e.currentTarget.value)}
        >
          <option value="">all events</option>
          {[...seenEvents].sort().map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
        <button
          type="button"
          onClick={() => {
            events = [];
            feedVersion.value++;
          }}
        >
          Clear
        </button>
        <span class="muted">
          {fmtInt(rate)}/s · {fmtInt(total)}{" "}
          seen{lagged.value ? ` · ${fmtInt(lagged.value)} dropped (lagged)` : ""}
        </span>
      </div>
      <Chart
        title="Events/sec"
        values={rates.value}
        format={(v) => fmtInt(v)}
      />
      <div class="feed-head frow">
        <span>time</span>
        <span>db</span>
        <span>event</span>
        <span>key</span>
        <span>ttl</span>
        <span>value</span>
      </div>
      <VirtualList
        count={shown.length}
        rowHeight={26}
        label="Events"
        class="feed-list"
        row={(i) => {
          const e = shown[i];
          return (
            <div class="frow">
              <span class="muted">{new Date(e.ts).toLocaleTimeString()}</span>
              <span>{e.db}</span>
              <span class={"ev ev-" + e.event}>{e.event}</span>
              <span class="kname">{text(e.key as Json)}</span>
              <span>
                {e.ttlMs != null && e.ttlMs >= 0 ? fmtTtl(e.ttlMs) : ""}
              </span>
              <span class="mono muted">
                {valuePreview(e.value, e.truncated)}
              </span>
            </div>
          );
        }}
      />
    </div>
  );
}

const monitorLines = signal<string[]>([]);
const monitorState = signal<"off" | "on" | "unsupported">("off");
onMessage((m) => {
  if (m.op === "monitor" && typeof m.line === "string") {
    monitorLines.value = monitorLines.value.slice(-1999).concat(m.line);
  } else if (m.op === "error" && /monitor/i.test(String(m.message))) {
    monitorState.value = "unsupported";
  }
});

function ProfilerTab() {
  useEffect(() => {
    if (monitorState.value === "unsupported") return;
    if (sendOp({ op: "monitor", on: true })) monitorState.value = "on";
    return () => {
      sendOp({ op: "monitor", on: false });
      if (monitorState.value === "on") monitorState.value = "off";
    };
  }, []);
  const lines = monitorLines.value;
  return (
    <div class="profiler">
      {monitorState.value === "unsupported"
        ? (
          <p class="notice">
            This server does not stream MONITOR output over the WebSocket.
          </p>
        )
        : (
          <div class="toolbar">
            <span class="muted">
              Every command as it runs (MONITOR), newest last.
            </span>
            <button type="button" onClick={() => (monitorLines.value = [])}>
              Clear
            </button>
          </div>
        )}
      {monitorState.value !== "unsupported" && (
        <VirtualList
          count={lines.length}
          rowHeight={22}
          label="Commands"
          class="mono monitor-list"
          active={lines.length - 1}
          row={(i) => <div class="mline">{lines[i]}</div>}
        />
      )}
      <h2>Slow log</h2>
      <SlowLog limit={50} />
    </div>
  );
}

export function FeedView() {
  const [tab, setTab] = useState<"events" | "profiler">("events");
  return (
    <div class="feed">
      <div class="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === "events"}
          onClick={() => setTab("events")}
        >
          Events
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === "profiler"}
          onClick={() => setTab("profiler")}
        >
          Profiler
        </button>
      </div>
      {tab === "events" ? <EventsTab /> : <ProfilerTab />}
    </div>
  );
}
