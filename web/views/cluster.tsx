// Cluster view: the nodes (from CLUSTER NODES, or this one node when clustering is off) and a
// 128×128 slot map coloured by owner, with migrating / importing slots marked.

import { useEffect, useRef, useState } from "preact/hooks";
import { cmdRaw, isError } from "../lib/conn.ts";
import { fmtInt } from "../lib/format.ts";
import { type ClusterNode, parseClusterNodes } from "./cluster_nodes.ts";
import { info } from "./server_store.ts";

const SLOTS = 16384;

const COLORS = [
  "#3b6fd4",
  "#c6302b",
  "#1f8a70",
  "#c27c0e",
  "#7a4fc9",
  "#0e8fb3",
  "#b5478a",
  "#5d7a1f",
];

function SlotMap({ nodes }: { nodes: ClusterNode[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState("");
  const owner = new Int16Array(SLOTS).fill(-1);
  const marks = new Uint8Array(SLOTS);
  nodes.forEach((n, i) => {
    for (const [a, b] of n.ranges) for (let s = a; s <= b && s < SLOTS; s++) owner[s] = i;
    for (const s of n.migrating) marks[s] = 1;
    for (const s of n.importing) marks[s] = 2;
  });
  useEffect(() => {
    const c = canvas.current!;
    const g = c.getContext("2d")!;
    const cell = 4;
    g.clearRect(0, 0, c.width, c.height);
    for (let s = 0; s < SLOTS; s++) {
      const x = (s % 128) * cell;
      const y = Math.floor(s / 128) * cell;
      g.fillStyle = owner[s] < 0 ? "#8a94a655" : COLORS[owner[s] % COLORS.length];
      g.fillRect(x, y, cell, cell);
      if (marks[s]) {
        g.fillStyle = marks[s] === 1 ? "#000" : "#fff";
        g.fillRect(x + 1, y + 1, 2, 2);
      }
    }
  }, [nodes]);
  return (
    <div class="slotmap">
      <canvas
        ref={canvas}
        width={512}
        height={512}
        aria-label="Slot map: 16384 slots coloured by owning node"
        role="img"
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const x = Math.floor(((e.clientX - r.left) / r.width) * 128);
          const y = Math.floor(((e.clientY - r.top) / r.height) * 128);
          const s = y * 128 + x;
          if (s < 0 || s >= SLOTS) return;
          const o = owner[s];
          const m = marks[s] === 1 ? " (migrating)" : marks[s] === 2 ? " (importing)" : "";
          setHover(`slot ${s}: ${o < 0 ? "unassigned" : nodes[o].address}${m}`);
        }}
        onMouseLeave={() => setHover("")}
      />
      <p class="muted">{hover || "Hover a cell for its slot and owner."}</p>
      <div class="legend">
        {nodes.filter((n) => n.ranges.length).map((n) => (
          <span key={n.id}>
            <i style={{ background: COLORS[nodes.indexOf(n) % COLORS.length] }} />
            {n.address}
          </span>
        ))}
        <span>
          <i class="unassigned" /> unassigned
        </span>
        <span>■ migrating · □ importing</span>
      </div>
    </div>
  );
}

export function ClusterView() {
  const [nodes, setNodes] = useState<ClusterNode[] | null>(null);
  const [single, setSingle] = useState(false);
  useEffect(() => {
    const load = async () => {
      const r = await cmdRaw("CLUSTER", "NODES").catch(() => null);
      const dbsize = await cmdRaw("DBSIZE").catch(() => null);
      if (typeof r === "string" && !isError(r)) {
        const parsed = parseClusterNodes(r);
        const me = parsed.find((n) => n.flags.includes("myself"));
        if (me && typeof dbsize === "number") me.keys = dbsize;
        setSingle(false);
        setNodes(parsed);
        return;
      }
      // Clustering off: this node alone serves every slot (id and port filled in from INFO).
      setSingle(true);
      setNodes([{
        id: "",
        address: "",
        role: "primary",
        flags: "myself,master",
        state: "connected",
        ranges: [[0, SLOTS - 1]],
        migrating: [],
        importing: [],
        keys: typeof dbsize === "number" ? dbsize : null,
      }]);
    };
    void load();
    const t = setInterval(load, 3000);
    return () => clearInterval(t);
  }, []);
  if (!nodes) return <p class="muted">Loading…</p>;
  if (single) {
    const server = info.value.get("Server");
    nodes[0].id = server?.get("run_id") ?? "this node";
    nodes[0].address = `${location.hostname}:${server?.get("tcp_port") ?? "?"}`;
  }
  return (
    <div class="cluster">
      {single && (
        <p class="notice">
          Clustering is not enabled: this single node serves all 16384 slots.
        </p>
      )}
      <div class="table-wrap">
        <table class="elements">
          <thead>
            <tr>
              <th>id</th>
              <th>address</th>
              <th>role</th>
              <th>state</th>
              <th>slots</th>
              <th class="num">keys</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id}>
                <td class="mono" title={n.id}>{n.id.slice(0, 12)}</td>
                <td>{n.address}{n.flags.includes("myself") ? " (this)" : ""}</td>
                <td>{n.role}</td>
                <td>{n.state}</td>
                <td class="mono">
                  {n.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(", ") || "–"}
                  {n.migrating.length > 0 && ` · migrating ${n.migrating.join(", ")}`}
                  {n.importing.length > 0 && ` · importing ${n.importing.join(", ")}`}
                </td>
                <td class="num">{n.keys === null ? "–" : fmtInt(n.keys)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Slot map</h2>
      <SlotMap nodes={nodes} />
    </div>
  );
}
