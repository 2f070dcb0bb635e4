// Summaries of repeated measurements. Ratios are paired by round (both sides
// measured within seconds of each other), so that a burst of load from
// another process moves numerator and denominator together.

export interface Summary {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(values: readonly number[]): Summary {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values), n: values.length };
}

export interface Ratio {
  /** Median of the per-round ratios. */
  median: number;
  /** Ratio of the two minimums: each side at its least disturbed. */
  ofMins: number;
}

export function pairedRatio(numerator: readonly number[], denominator: readonly number[]): Ratio {
  const rounds = Math.min(numerator.length, denominator.length);
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) perRound.push(numerator[r] / denominator[r]);
  return { median: median(perRound), ofMins: Math.min(...numerator) / Math.min(...denominator) };
}
