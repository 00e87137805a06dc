/**
 * Summary statistics for benchmark samples: medians and nearest-rank percentiles. Machines are noisy, so every
 * figure is a median over repeated runs and is always read beside a baseline measured in the same run.
 */

export interface Summary {
  runs: number;
  median: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

function sorted(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new RangeError('Expected at least one sample, got none.');
  return [...samples].sort((a, b) => a - b);
}

/** Median; the mean of the two middle samples for an even count. */
export function median(samples: readonly number[]): number {
  const values = sorted(samples);
  const middle = Math.floor(values.length / 2);
  return values.length % 2 === 1
    ? (values[middle] as number)
    : ((values[middle - 1] as number) + (values[middle] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100): the smallest sample with at least p% of samples at or below it. */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Expected \`p\` to be between 0 and 100, got \`${p}\`.`);
  const values = sorted(samples);
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return values[rank - 1] as number;
}

export function summarize(samples: readonly number[]): Summary {
  const values = sorted(samples);
  return {
    runs: values.length,
    median: median(values),
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    min: values[0] as number,
    max: values[values.length - 1] as number,
  };
}

/** Rounds for display; benchmark lines carry at most 3 decimals. */
export function round(value: number, decimals = 3): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
