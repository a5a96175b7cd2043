// A Prometheus-style histogram (cumulative buckets are made when exposed) and the buckets of the
// feed's delivery latency.

/** Buckets (seconds) of the delivery-latency histogram. */
export const DELIVERY_BUCKETS = [
  0.00005,
  0.0001,
  0.0002,
  0.0003,
  0.0005,
  0.00075,
  0.001,
  0.0015,
  0.002,
  0.003,
  0.005,
  0.0075,
  0.01,
  0.02,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
];

/** A Prometheus-style histogram: counts per upper bound (the last one is +Inf), and the sum. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  constructor(readonly bounds: number[]) {
    this.counts = new Array(bounds.length + 1).fill(0);
  }
  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
  }
}
