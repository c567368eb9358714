/** Small statistics for benchmark figures: percentiles of samples, medians of runs, rates. */

/** Nearest-rank percentile of an ascending array; null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** Percentiles of unsorted samples. */
export function percentiles<P extends number>(
  samples: ArrayLike<number>,
  ps: readonly P[],
): Record<`p${P}`, number | null> {
  const sorted = Float64Array.from(samples).sort();
  return Object.fromEntries(ps.map((p) => [`p${p}`, percentile(sorted, p)])) as Record<
    `p${P}`,
    number | null
  >;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function max(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => Math.max(a, b));
}

/**
 * The sustained rate of a run from cumulative (time, done) observations: the work done between the
 * moments 10 % and 90 % of `total` were reached, divided by the time between them. Start-up and the tail
 * (the last stragglers) are left out, so this is the steady state. Times in ms, result per second.
 */
export function sustainedRate(
  observations: ReadonlyArray<{ at: number; done: number }>,
  total: number,
): number {
  const from = crossing(observations, total * 0.1);
  const to = crossing(observations, total * 0.9);
  if (from === null || to === null || to <= from) return 0;
  return (total * 0.8) / ((to - from) / 1000);
}

/** When the cumulative count first reached `level`, interpolated between observations. */
function crossing(observations: ReadonlyArray<{ at: number; done: number }>, level: number): number | null {
  for (let i = 0; i < observations.length; i++) {
    const current = observations[i]!;
    if (current.done < level) continue;
    const previous = observations[i - 1];
    if (!previous || current.done === previous.done) return current.at;
    return (
      previous.at + ((level - previous.done) / (current.done - previous.done)) * (current.at - previous.at)
    );
  }
  return null;
}

/** Rounds for display: integers above 100, else 3 significant digits. */
export function round(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}
