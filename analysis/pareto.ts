// Multi-objective results: the feasible Pareto front of a campaign and its hypervolume after each trial.
import { hypervolume2D, isFeasible, paretoFront } from '../search/pareto';
import type { Direction, TrialView } from '../search/types';
import { maxOf, minOf } from '../search/math/extremes';

/** COMPLETE, feasible trials with one finite value per direction: the only ones a front is made of. */
function frontCandidates(trials: readonly TrialView[], directions: readonly Direction[]): TrialView[] {
  return trials
    .filter(
      (t) =>
        t.state === 'COMPLETE' &&
        t.values != null &&
        t.values.length === directions.length &&
        t.values.every((v) => Number.isFinite(v)) &&
        isFeasible(t.constraints),
    )
    .sort((a, b) => a.number - b.number);
}

/**
 * The feasible Pareto front: COMPLETE trials that satisfy every constraint, have a finite value per
 * direction and are dominated by no other such trial (`paretoFront` of search/pareto.ts), in trial-number
 * order. Trials with equal value vectors are all on the front.
 *
 * @example
 * paretoFrontOf([
 *   { number: 0, params: {}, state: 'COMPLETE', values: [1, 3] },
 *   { number: 1, params: {}, state: 'COMPLETE', values: [2, 2] },
 *   { number: 2, params: {}, state: 'COMPLETE', values: [3, 3] },
 * ], ['minimize', 'minimize']).map((t) => t.number);
 * // → [0, 1]
 */
export function paretoFrontOf(trials: readonly TrialView[], directions: readonly Direction[]): TrialView[] {
  const candidates = frontCandidates(trials, directions);
  return paretoFront(
    candidates.map((t) => t.values!),
    directions,
  ).map((i) => candidates[i]!);
}

/** One point of the hypervolume history. */
export interface HypervolumePoint {
  number: number;
  hypervolume: number;
}

/** The history and the reference point it was measured against. */
export interface HypervolumeHistory {
  reference: number[];
  history: HypervolumePoint[];
}

/**
 * The hypervolume of the feasible front after each finished trial (COMPLETE, PRUNED, FAIL; in number
 * order; a trial that adds nothing repeats the last value). Exact for any number of objectives: two
 * objectives use search/pareto.ts's sweep, more are sliced along the last objective down to two, which
 * costs O(n^(d-1) log n) for a front of n points: fine for the fronts a campaign has (hundreds, d <= 3).
 *
 * `reference` defaults to the worst value observed per objective among the front candidates (feasible
 * COMPLETE trials with finite values) over the whole campaign. A point must be strictly better than the
 * reference in every objective to add volume, so with this default the trials that set the worst value
 * of an objective add nothing: pass a reference point (e.g. a known "useless" result) to count them.
 *
 * @example
 * hypervolumeHistory([
 *   { number: 0, params: {}, state: 'COMPLETE', values: [2, 1] },
 *   { number: 1, params: {}, state: 'COMPLETE', values: [1, 2] },
 * ], ['minimize', 'minimize'], [3, 3]).history;
 * // → [{ number: 0, hypervolume: 2 }, { number: 1, hypervolume: 3 }]
 */
export function hypervolumeHistory(trials: readonly TrialView[], directions: readonly Direction[], reference?: readonly number[]): HypervolumeHistory {
  if (directions.length === 0) throw new Error('hypervolumeHistory needs at least one direction');
  if (reference !== undefined && reference.length !== directions.length) {
    throw new Error(`reference has ${reference.length} values for ${directions.length} directions`);
  }
  const candidates = frontCandidates(trials, directions);
  const ref =
    reference !== undefined
      ? [...reference]
      : directions.map((d, k) => {
          const column = candidates.map((t) => t.values![k]!);
          if (column.length === 0) return NaN;
          return d === 'minimize' ? maxOf(column) : minOf(column);
        });
  // Work in losses (smaller is better) so one routine serves every direction.
  const sign = directions.map((d) => (d === 'minimize' ? 1 : -1));
  const refLoss = ref.map((r, k) => r * sign[k]!);
  const eligible = new Set(candidates.map((t) => t.number));
  const finished = trials.filter((t) => t.state !== 'RUNNING').sort((a, b) => a.number - b.number);
  let points: number[][] = [];
  let volume = 0;
  const history: HypervolumePoint[] = [];
  for (const t of finished) {
    if (eligible.has(t.number) && refLoss.every((r) => Number.isFinite(r))) {
      const p = t.values!.map((v, k) => v * sign[k]!);
      if (!points.some((q) => weaklyDominates(q, p))) {
        points = points.filter((q) => !weaklyDominates(p, q));
        points.push(p);
        volume = hypervolumeOfLosses(points, refLoss);
      }
    }
    history.push({ number: t.number, hypervolume: volume });
  }
  return { reference: ref, history };
}

function weaklyDominates(a: readonly number[], b: readonly number[]): boolean {
  return a.every((v, k) => v <= b[k]!);
}

/**
 * Exact hypervolume of loss vectors (all objectives minimized) bounded by `reference`. Exported for the
 * tests and for callers with their own points.
 *
 * @example
 * hypervolumeOfLosses([[0, 0, 0]], [1, 1, 1]); // → 1 (the unit cube)
 */
export function hypervolumeOfLosses(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const d = reference.length;
  const inside = points.filter((p) => p.length === d && p.every((v, k) => v < reference[k]!));
  if (inside.length === 0) return 0;
  if (d === 1) return reference[0]! - minOf(inside.map((p) => p[0]!));
  if (d === 2) return hypervolume2D(inside, reference, ['minimize', 'minimize']);
  // Slice along the last objective: between consecutive distinct levels, the cross-section is the
  // (d-1)-dimensional hypervolume of the points at or below the lower level.
  const last = d - 1;
  const sorted = [...inside].sort((a, b) => a[last]! - b[last]!);
  const levels = [...new Set(sorted.map((p) => p[last]!)), reference[last]!];
  let volume = 0;
  for (let i = 0; i + 1 < levels.length; i++) {
    const below = sorted.filter((p) => p[last]! <= levels[i]!).map((p) => p.slice(0, last));
    volume += hypervolumeOfLosses(below, reference.slice(0, last)) * (levels[i + 1]! - levels[i]!);
  }
  return volume;
}
