// The largest and smallest of arrays of any length. Math.max(...values) passes every value as an argument
// and overflows the stack past about 120,000 values (a data set's labels, a long campaign's trials); these
// loop instead and otherwise answer as Math.max and Math.min do: -Infinity / Infinity when empty, NaN when
// any value is NaN.

/** The largest value; -Infinity for none, NaN if any is NaN. */
export function maxOf(values: Iterable<number>): number {
  let max = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v > max) max = v;
  }
  return max;
}

/** The smallest value; Infinity for none, NaN if any is NaN. */
export function minOf(values: Iterable<number>): number {
  let min = Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v < min) min = v;
  }
  return min;
}
