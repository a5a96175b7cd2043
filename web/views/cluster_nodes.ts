// CLUSTER NODES parsing for the Cluster view.

export interface ClusterNode {
  id: string;
  address: string;
  role: string;
  flags: string;
  state: string;
  ranges: [number, number][];
  migrating: number[];
  importing: number[];
  keys: number | null;
}

/** Parses CLUSTER NODES text (Redis format: id addr flags master ping pong epoch link slots…). */
export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(" ");
    if (f.length < 8) continue;
    const flags = f[2];
    const node: ClusterNode = {
      id: f[0],
      address: f[1].split("@")[0],
      role: flags.includes("master") ? "primary" : flags.includes("slave") ? "replica" : "-",
      flags,
      state: flags.includes("fail") ? "fail" : f[7],
      ranges: [],
      migrating: [],
      importing: [],
      keys: null,
    };
    for (const s of f.slice(8)) {
      const mig = /^\[(\d+)->-/.exec(s);
      const imp = /^\[(\d+)-<-/.exec(s);
      if (mig) node.migrating.push(Number(mig[1]));
      else if (imp) node.importing.push(Number(imp[1]));
      else {
        const [a, b] = s.split("-").map(Number);
        if (Number.isInteger(a)) node.ranges.push([a, Number.isInteger(b) ? b : a]);
      }
    }
    nodes.push(node);
  }
  return nodes;
}
