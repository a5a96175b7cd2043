// A small SVG line chart for a time series (no chart library): area, line, last value, max.

interface Props {
  title: string;
  values: (number | null)[];
  /** Formats the current value and the max for the labels. */
  format?: (v: number) => string;
  /** Fixed upper bound (e.g. 100 for percentages); otherwise the series max. */
  max?: number;
  seconds?: number;
}

const W = 300;
const H = 80;

export function Chart(p: Props) {
  const vals = p.values;
  const fmt = p.format ?? ((v: number) => String(Math.round(v)));
  let max = p.max ?? 0;
  if (p.max === undefined) {
    for (const v of vals) if (v !== null && v > max) max = v;
  }
  if (max <= 0) max = 1;
  const n = Math.max(vals.length - 1, 1);
  let line = "";
  let started = false;
  vals.forEach((v, i) => {
    if (v === null) {
      started = false;
      return;
    }
    const x = (i / n) * W;
    const y = H - 2 - (v / max) * (H - 6);
    line += `${started ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    started = true;
  });
  const lastVal = [...vals].reverse().find((v) => v !== null) ?? null;
  const area = line && vals.length > 1 && !vals.includes(null) ? `${line}L${W},${H}L0,${H}Z` : "";
  return (
    <figure class="chart">
      <figcaption>
        <span>{p.title}</span>
        <strong>{lastVal === null ? "–" : fmt(lastVal)}</strong>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={p.title}
      >
        {area && <path d={area} class="area" />}
        {line && <path d={line} class="line" vector-effect="non-scaling-stroke" />}
      </svg>
      <div class="chart-foot">
        <span>-{p.seconds ?? vals.length}s</span>
        <span>max {fmt(max)}</span>
      </div>
    </figure>
  );
}
