// What happened at each rung: the epochs trials reported at, how many got there and how many stopped there.
import { compareValues } from '../search/ranking';
import type { Direction, TrialView } from '../search/types';

/** Statistics of one epoch (rung) that at least one trial reported at. */
export interface RungStatistics {
  epoch: number;
  /** Trials with a report at this epoch. */
  reached: number;
  /** PRUNED trials whose last report is at this epoch: the scheduler stopped them here. */
  stopped: number;
  /** Best and median of the finite values reported here (null when there are none). */
  best: number | null;
  median: number | null;
}

/**
 * Per epoch that any trial reported at (from `intermediate`, epoch → first objective), in ascending
 * epoch order: how many trials reached it, how many were pruned there, and the best (by `direction`,
 * the study's `compareValues`) and median value reported there. RUNNING trials count as having reached
 * their reported epochs; they are never "stopped".
 *
 * @example
 * rungStatistics([
 *   { number: 0, params: {}, state: 'COMPLETE', values: [0.1], intermediate: { 1: 0.5, 2: 0.1 } },
 *   { number: 1, params: {}, state: 'PRUNED', intermediate: { 1: 0.9 } },
 * ], 'minimize');
 * // → [{ epoch: 1, reached: 2, stopped: 1, best: 0.5, median: 0.7 },
 * //    { epoch: 2, reached: 1, stopped: 0, best: 0.1, median: 0.1 }]
 */
export function rungStatistics(trials: readonly TrialView[], direction: Direction): RungStatistics[] {
  const reports = new Map<number, number[]>();
  const stopped = new Map<number, number>();
  for (const t of trials) {
    const epochs = Object.keys(t.intermediate ?? {})
      .map(Number)
      .filter((e) => Number.isFinite(e));
    if (epochs.length === 0) continue;
    for (const e of epochs) {
      if (!reports.has(e)) reports.set(e, []);
      reports.get(e)!.push(t.intermediate![e]!);
    }
    if (t.state === 'PRUNED') {
      const last = Math.max(...epochs);
      stopped.set(last, (stopped.get(last) ?? 0) + 1);
    }
  }
  return [...reports.keys()]
    .sort((a, b) => a - b)
    .map((epoch) => {
      const values = reports.get(epoch)!;
      const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
      const best = finite.length === 0 ? null : finite.reduce((b, v) => (compareValues(v, b, direction) < 0 ? v : b));
      const mid = finite.length >> 1;
      const median = finite.length === 0 ? null : finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
      return { epoch, reached: values.length, stopped: stopped.get(epoch) ?? 0, best, median };
    });
}
