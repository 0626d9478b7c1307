// How TPE divides the history into the "below" (good) and "above" (the rest) groups, following Optuna 5:
//   1. feasible COMPLETE trials, best first (one objective: by value; several: by non-dominated rank, the
//      last rank that does not fit whole tie-broken by crowding distance, largest first; Optuna uses a
//      hypervolume subset selection there);
//   2. then PRUNED trials: the furthest step reached first, then the better value at that step (a pruned
//      trial without reports ranks after those with some); a RUNNING trial paused at a rung (ASHA,
//      Hyperband in promotion mode) ranks with them: it has stopped and its values are known, and under
//      a promotion scheduler most trials wait paused, so treating them as running would hide them all;
//   3. then infeasible trials (some constraint > 0), the smallest total violation first;
// the first nBelow of that ranking are "below"; RUNNING (not paused) trials (constant liar) are always
// "above", as if their result were bad. FAIL trials never reach the split. Both groups come back in
// trial-number order (the weights favour recent trials).
import { crowdingDistance, nonDominatedSort, totalViolation } from '../../pareto';
import type { Direction, TrialView } from '../../types';

export interface Split {
  below: TrialView[];
  above: TrialView[];
}

/** Optuna's default_gamma: ceil(fraction · n), capped at `cap` (no cap: Infinity). */
export function belowCount(n: number, fraction: number, cap: number): number {
  return Math.min(Math.ceil(fraction * n), cap);
}

/** Optuna's default_weights: 1 for the newest 25 observations, a ramp from 1/n up to 1 for older ones. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const weights: number[] = [];
  for (let i = 0; i < ramp; i++) weights.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) weights.push(1);
  return weights;
}

/** A trial whose values TPE learns from: finished, or paused at a rung (it reports nothing until promoted). */
export function isSettled(trial: TrialView): boolean {
  return trial.state !== 'RUNNING' || trial.paused === true;
}

/** `nBelow` is computed from the number of settled trials in `trials` (see `isSettled`). */
export function splitTrials(trials: readonly TrialView[], directions: readonly Direction[], nBelowFor: (finished: number) => number): Split {
  const complete: TrialView[] = [];
  const pruned: TrialView[] = [];
  const infeasible: TrialView[] = [];
  const running: TrialView[] = [];
  for (const t of trials) {
    if (t.state === 'RUNNING' && t.paused !== true) running.push(t);
    else if (violation(t) > 0) infeasible.push(t);
    else if (t.state === 'COMPLETE') complete.push(t);
    else if (t.state === 'PRUNED' || t.paused === true) pruned.push(t);
  }
  let nBelow = nBelowFor(complete.length + pruned.length + infeasible.length);
  const ranked =
    directions.length > 1 ? rankMultiObjective(complete, directions) : [...complete].sort((a, b) => byValue(a, b, directions[0] ?? 'minimize'));
  const below = ranked.slice(0, nBelow);
  const above = ranked.slice(nBelow);
  nBelow = Math.max(0, nBelow - below.length);
  const sign = directions[0] === 'maximize' ? -1 : 1;
  const prunedRanked = [...pruned].sort((a, b) => comparePruned(prunedScore(a, sign), prunedScore(b, sign)) || a.number - b.number);
  below.push(...prunedRanked.slice(0, nBelow));
  above.push(...prunedRanked.slice(nBelow));
  nBelow = Math.max(0, nBelow - Math.min(nBelow, prunedRanked.length));
  const infeasibleRanked = [...infeasible].sort((a, b) => violation(a) - violation(b) || a.number - b.number);
  below.push(...infeasibleRanked.slice(0, nBelow));
  above.push(...infeasibleRanked.slice(nBelow), ...running);
  const byNumber = (a: TrialView, b: TrialView) => a.number - b.number;
  return { below: below.sort(byNumber), above: above.sort(byNumber) };
}

function objective(trial: TrialView, index: number, direction: Direction): number {
  const v = trial.values?.[index];
  if (v === undefined || Number.isNaN(v)) return Infinity;
  return direction === 'maximize' ? -v : v;
}

function byValue(a: TrialView, b: TrialView, direction: Direction): number {
  return objective(a, 0, direction) - objective(b, 0, direction) || a.number - b.number;
}

/** [-(last step), value at it]: lexicographically smaller is better. */
function prunedScore(trial: TrialView, sign: number): [number, number] {
  let step = -Infinity;
  for (const key of Object.keys(trial.intermediate ?? {})) step = Math.max(step, Number(key));
  if (step === -Infinity) return [1, 0];
  const value = trial.intermediate![step]!;
  return [-step, Number.isNaN(value) ? Infinity : sign * value];
}

function comparePruned(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || (a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1);
}

/** Best first: non-dominated fronts in order, each front by crowding distance (largest first), then trial number. */
function rankMultiObjective(trials: readonly TrialView[], directions: readonly Direction[]): TrialView[] {
  const values = trials.map((t) => directions.map((_, i) => t.values?.[i] ?? NaN));
  const ranked: TrialView[] = [];
  for (const front of nonDominatedSort(values, directions)) {
    const crowding = crowdingDistance(values, front, directions);
    const order = front.map((i, f) => ({ i, c: crowding[f]! })).sort((a, b) => b.c - a.c || trials[a.i]!.number - trials[b.i]!.number);
    ranked.push(...order.map(({ i }) => trials[i]!));
  }
  return ranked;
}

function violation(trial: TrialView): number {
  return totalViolation(trial.constraints);
}
