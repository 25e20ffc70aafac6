/**
 * A log-linear latency histogram in the spirit of HdrHistogram: values (recorded in milliseconds, stored in
 * microseconds) are exact below 256 µs and within 1/128 (< 0.8 %) above, up to ~71 minutes. Fixed buckets make
 * it cheap to record, mergeable across worker processes and small to send over IPC.
 */

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128 sub-buckets per power of two
const MAX_EXP = 33;
const SIZE = (MAX_EXP + 2) * SUB;

function indexOf(us: number): number {
  if (us < 2 * SUB) return us;
  const e = 31 - Math.clz32(us) - SUB_BITS; // >= 1
  const sub = us >>> e; // in [SUB, 2*SUB)
  return e * SUB + sub;
}

/** The highest value (µs) that falls in bucket `i`: percentiles never under-report. */
function highestOf(i: number): number {
  if (i < 2 * SUB) return i;
  const e = Math.floor(i / SUB) - 1;
  const sub = i - e * SUB;
  return (sub + 1) * 2 ** e - 1;
}

export interface HistogramJSON {
  /** Sparse [bucket index, count] pairs. */
  buckets: Array<[number, number]>;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class Histogram {
  private counts = new Float64Array(SIZE);
  count = 0;
  private sumUs = 0;
  private minUs = Infinity;
  private maxUs = 0;

  record(ms: number): void {
    let us = Math.round(ms * 1000);
    if (us < 0) us = 0;
    if (us > 0xffffffff) us = 0xffffffff;
    this.counts[indexOf(us)]! += 1;
    this.count++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  merge(other: Histogram): this {
    for (let i = 0; i < SIZE; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Infinity;
    this.maxUs = 0;
  }

  /** The value (ms) at percentile `p` (0..100). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(highestOf(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  get max(): number {
    return this.maxUs / 1000;
  }

  get min(): number {
    return this.count === 0 ? 0 : this.minUs / 1000;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sumUs / this.count / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.max,
    };
  }

  toJSON(): HistogramJSON {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, sumUs: this.sumUs, minUs: this.minUs, maxUs: this.maxUs };
  }

  static fromJSON(json: HistogramJSON): Histogram {
    const h = new Histogram();
    for (const [i, n] of json.buckets) h.counts[i] = n;
    h.count = json.count;
    h.sumUs = json.sumUs;
    h.minUs = json.minUs === null ? Infinity : json.minUs;
    h.maxUs = json.maxUs;
    return h;
  }
}
