// The optimization history: each finished trial's value next to the best feasible value so far.
import { isFeasible } from '../search/pareto';
import { compareValues } from '../search/ranking';
import type { Direction, TrialState, TrialView } from '../search/types';

/** One finished trial in the history. */
export interface BestSoFarPoint {
  number: number;
  state: Exclude<TrialState, 'RUNNING'>;
  /** The first objective of a COMPLETE trial; null for a pruned or failed trial (no final value). */
  value: number | null;
  /** False for a COMPLETE trial that violates a constraint: shown, never counted as best. */
  feasible: boolean;
  /** The best first objective among feasible COMPLETE trials up to and including this one; null before the first. */
  best: number | null;
  /** The trial that holds `best` (the earliest on ties); null with it. */
  bestNumber: number | null;
}

/**
 * Per finished trial (COMPLETE, PRUNED, FAIL; RUNNING ones are skipped) in trial-number order, its value
 * and the best feasible value so far, compared with `compareValues` (the rule `rankFeasible` uses, so the
 * last `best` is the value of the trial a study calls best).
 *
 * @example
 * bestSoFar([
 *   { number: 0, params: {}, state: 'COMPLETE', values: [3] },
 *   { number: 1, params: {}, state: 'PRUNED' },
 *   { number: 2, params: {}, state: 'COMPLETE', values: [1] },
 * ], 'minimize').map((p) => [p.value, p.best]);
 * // → [[3, 3], [null, 3], [1, 1]]
 */
export function bestSoFar(trials: readonly TrialView[], direction: Direction): BestSoFarPoint[] {
  const finished = trials.filter((t) => t.state !== 'RUNNING').sort((a, b) => a.number - b.number);
  const out: BestSoFarPoint[] = [];
  let best: number | null = null;
  let bestNumber: number | null = null;
  for (const t of finished) {
    const value = t.state === 'COMPLETE' && t.values != null && t.values.length > 0 ? t.values[0]! : null;
    const feasible = isFeasible(t.constraints);
    if (value !== null && feasible && (best === null || compareValues(value, best, direction) < 0)) {
      best = value;
      bestNumber = t.number;
    }
    out.push({ number: t.number, state: t.state as BestSoFarPoint['state'], value, feasible, best, bestNumber });
  }
  return out;
}
