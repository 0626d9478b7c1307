// Ordering trials: the one rule the study, the campaign workflow and the activities share, so the
// trial a study calls best is the trial a campaign reports and retrains. One objective: by its value.
// Several: by Pareto dominance (non-dominated fronts), then within a front by crowding distance
// (most isolated first), then the first objective. Equal places are settled by `compareTies`.
import { crowdingDistance, isFeasible, nonDominatedSort } from './pareto';
import type { Direction, TrialState } from './types';

/** Negative when `a` is better than `b` for the direction. Non-finite values always rank last. */
export function compareValues(a: number, b: number, direction: Direction): number {
  const fa = Number.isFinite(a);
  const fb = Number.isFinite(b);
  if (!fa || !fb) return fa === fb ? 0 : fa ? -1 : 1;
  return direction === 'minimize' ? a - b : b - a;
}

/** What ranking needs of a trial; the study's views and the campaign's records both have it. */
export interface Rankable {
  number: number;
  state: TrialState;
  values?: readonly number[] | null;
  constraints?: readonly number[];
  /** Secondary key for ties (lower is better): the trial's `val_loss` at its last epoch, when recorded. */
  tieBreak?: number;
  /** Epochs the trial trained: of two tied trials the one that needed fewer ranks first. */
  epochsDone?: number;
}

/** The metric `tieBreak` holds: lower is better, read at the trial's last epoch (docs/objectives.md). */
export const TIE_BREAK_METRIC = 'val_loss';

/**
 * The tie rule every ranking uses, for trials whose objective values place them equal: the lower
 * `tieBreak` (val_loss at the last epoch) first, a trial without one after those with one; then fewer
 * epochs trained; then the earlier trial number. Never 0 for two different trials.
 */
export function compareTies(a: Rankable, b: Rankable): number {
  const ta = a.tieBreak ?? NaN;
  const tb = b.tieBreak ?? NaN;
  const byLoss = compareValues(ta, tb, 'minimize');
  if (byLoss !== 0) return byLoss;
  const byEpochs = (a.epochsDone ?? 0) - (b.epochsDone ?? 0);
  return byEpochs !== 0 ? byEpochs : a.number - b.number;
}

/** A ranked trial and its front: 1 is the best (the Pareto front; with one objective, the trials tied at the best value). */
export interface Ranked<T> {
  trial: T;
  front: number;
}

const directionsOf = (d: Direction | readonly Direction[]): readonly Direction[] => (typeof d === 'string' ? [d] : d);

const rankableComplete = (t: Rankable) => t.state === 'COMPLETE' && t.values != null && t.values.length > 0;

/**
 * COMPLETE trials that satisfy every constraint, best first, each with its front (see the file's
 * comment). An infeasible trial is never ranked, however good its values: it must not be called best
 * or retrained. `directions` has one entry per objective (a single direction means one objective).
 */
export function rankFeasibleFronts<T extends Rankable>(trials: readonly T[], directions: Direction | readonly Direction[]): Ranked<T>[] {
  const dirs = directionsOf(directions);
  const feasible = trials.filter((t) => rankableComplete(t) && isFeasible(t.constraints));
  if (dirs.length === 1) {
    const direction = dirs[0]!;
    const sorted = feasible.sort((a, b) => compareValues(a.values![0]!, b.values![0]!, direction) || compareTies(a, b));
    let front = 0;
    return sorted.map((trial, i) => {
      if (i === 0 || compareValues(trial.values![0]!, sorted[i - 1]!.values![0]!, direction) !== 0) front += 1;
      return { trial, front };
    });
  }
  const values = feasible.map((t) => dirs.map((_, k) => t.values![k] ?? NaN));
  const ranked: Ranked<T>[] = [];
  nonDominatedSort(values, dirs).forEach((members, f) => {
    const crowding = crowdingDistance(values, members, dirs);
    const order = members.map((index, i) => ({ index, crowding: crowding[i]! }));
    // Most isolated first (the extremes of every objective have Infinity), then the better first objective.
    order.sort((a, b) => {
      if (a.crowding !== b.crowding) return a.crowding > b.crowding ? -1 : 1;
      return compareValues(values[a.index]![0]!, values[b.index]![0]!, dirs[0]!) || compareTies(feasible[a.index]!, feasible[b.index]!);
    });
    for (const { index } of order) ranked.push({ trial: feasible[index]!, front: f + 1 });
  });
  return ranked;
}

/**
 * The first trial `rankFeasibleFronts` would rank, without ranking them all: one pass with one objective
 * (the campaign asks after every finished trial, and sorting thousands each time added up).
 */
export function bestFeasible<T extends Rankable>(trials: readonly T[], directions: Direction | readonly Direction[]): T | undefined {
  const dirs = directionsOf(directions);
  if (dirs.length !== 1) return rankFeasibleFronts(trials, dirs)[0]?.trial;
  const direction = dirs[0]!;
  let best: T | undefined;
  for (const t of trials) {
    if (!rankableComplete(t) || !isFeasible(t.constraints)) continue;
    if (best === undefined || (compareValues(t.values![0]!, best.values![0]!, direction) || compareTies(t, best)) < 0) best = t;
  }
  return best;
}

/** COMPLETE feasible trials, best first (`rankFeasibleFronts` without the fronts). */
export function rankFeasible<T extends Rankable>(trials: readonly T[], directions: Direction | readonly Direction[]): T[] {
  return rankFeasibleFronts(trials, directions).map((r) => r.trial);
}
