import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram as Hdr,
} from 'hdr-histogram-js';

/**
 * Latency histogram of the benches: hdr-histogram-js (HdrHistogram, 3 significant digits) recording
 * microseconds, read back in milliseconds. Worker processes send theirs over IPC in HdrHistogram's compressed
 * base64 encoding; the parent decodes and adds them up.
 */

export interface HistogramJSON {
  /** HdrHistogram's compressed base64 encoding (empty for an empty histogram). */
  hdr: string;
  /** The exact largest value (µs): HdrHistogram keeps only its bucket. */
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

/** An hour, in µs: the longest latency recorded (longer ones count as an hour). */
const MAX_US = 3_600_000_000;

function fresh(): Hdr {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_US,
    numberOfSignificantValueDigits: 3,
  });
}

export class Histogram {
  private readonly hdr: Hdr = fresh();
  private maxUs = 0;

  record(ms: number): void {
    const us = Math.min(MAX_US, Math.max(0, Math.round(ms * 1000)));
    this.hdr.recordValue(us);
    if (us > this.maxUs) this.maxUs = us;
  }

  merge(other: Histogram): this {
    this.hdr.add(other.hdr);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
    return this;
  }

  reset(): void {
    this.hdr.reset();
    this.maxUs = 0;
  }

  get count(): number {
    return this.hdr.totalCount;
  }

  /** The value (ms) at percentile `p` (0..100): the top of its bucket (never under-reported), at most the max. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    return Math.min(this.hdr.getValueAtPercentile(p), this.maxUs) / 1000;
  }

  get max(): number {
    return this.maxUs / 1000;
  }

  get min(): number {
    return this.count === 0 ? 0 : this.hdr.minNonZeroValue / 1000;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.hdr.mean / 1000;
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
    return { hdr: this.count === 0 ? '' : encodeIntoCompressedBase64(this.hdr), maxUs: this.maxUs };
  }

  static fromJSON(json: HistogramJSON): Histogram {
    if (!json.hdr) return new Histogram();
    const h = new Histogram();
    h.hdr.add(decodeFromCompressedBase64(json.hdr));
    h.maxUs = json.maxUs;
    return h;
  }
}
