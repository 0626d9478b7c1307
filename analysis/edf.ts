// The empirical distribution function of objective values (Optuna's plot_edf, without the plot).

/** One step of the EDF: the fraction of values that are <= `value`. */
export interface EdfPoint {
  value: number;
  fraction: number;
}

/**
 * The empirical distribution function of `values`: the distinct finite values in ascending order, each
 * with the fraction of the finite values that are <= it (so the last fraction is 1). Non-finite values
 * (NaN, ±Infinity) are left out and do not count in the denominator; no finite values gives [].
 *
 * @example
 * edf([3, 1, 2, 2]);
 * // → [{ value: 1, fraction: 0.25 }, { value: 2, fraction: 0.75 }, { value: 3, fraction: 1 }]
 */
export function edf(values: readonly number[]): EdfPoint[] {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  const out: EdfPoint[] = [];
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue; // ties: one step, at the last of them
    out.push({ value: sorted[i]!, fraction: (i + 1) / n });
  }
  return out;
}
