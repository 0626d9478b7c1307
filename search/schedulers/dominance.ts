// Multi-objective pruning (issue 16; Optuna's open RFC #3450): what the pruning schedulers do when the
// context has several directions. Each report is then a vector, one value per objective
// (TrialView.intermediateValues), and "worse" becomes "dominated". Two rules, documented in
// docs/objectives.md ("Pruning with several objectives"):
//
//   dominance percentile (median, percentile): at step s a trial is pruned when each of its reports up
//     to s is dominated by at least `fraction` (percentile / 100, 0.5 for median) of the COMPLETE trials'
//     reports at s, and by at least one. With one objective "dominated" is "strictly worse" and the
//     rule is Optuna's best-value-so-far percentile rule, so nothing changes in meaning.
//   rung order (sha, asha, hyperband, bohb): the trials at a rung are ordered as the campaign ranks
//     finished trials (rankFeasibleFronts: non-dominated front, then crowding distance, then the first
//     objective, then the trial number), and the top ⌊n/η⌋ of that order go on.
//
// A vector with a NaN (a diverged objective) never counts as a reference and is never promoted; a trial
// whose every report has one is pruned, as a NaN value is with one objective.
import { dominates } from '../pareto';
import { rankFeasibleFronts } from '../ranking';
import type { Direction, TrialView } from '../types';
import type { SchedulerContext, SchedulerDecision } from './types';

/** The directions to judge by dominance, or null when the context has one objective (the single-objective rules apply). */
export function paretoDirections(ctx: SchedulerContext): readonly Direction[] | null {
  const directions = ctx.directions;
  return directions !== undefined && directions.length > 1 ? directions : null;
}

/** The trial's report at `step` exactly, when it has one value per objective. */
export function vectorAt(trial: TrialView, step: number, objectives: number): readonly number[] | undefined {
  const vector = trial.intermediateValues?.[step];
  return vector !== undefined && vector.length === objectives ? vector : undefined;
}

export const hasNaN = (vector: readonly number[]): boolean => vector.some((v) => Number.isNaN(v));

/**
 * The dominance percentile rule at `step` (startup, warm-up and interval already passed): 'prune' when
 * every NaN-free report of the trial at steps <= `step` is dominated by at least max(1, fraction·n) of
 * the n NaN-free reports that `completed` trials made at `step`; 'prune' too when all its reports have a
 * NaN; 'continue' before any report or while n < nMinTrials.
 */
export function decideByDominance(
  completed: readonly TrialView[],
  trial: TrialView,
  step: number,
  directions: readonly Direction[],
  fraction: number,
  nMinTrials: number,
): SchedulerDecision {
  const objectives = directions.length;
  const own: (readonly number[])[] = [];
  for (const [s, vector] of Object.entries(trial.intermediateValues ?? {})) {
    if (Number(s) <= step && vector.length === objectives) own.push(vector);
  }
  if (own.length === 0) return 'continue';
  const finite = own.filter((v) => !hasNaN(v));
  if (finite.length === 0) return 'prune'; // only NaN so far: it has diverged
  const reference: (readonly number[])[] = [];
  for (const t of completed) {
    const v = vectorAt(t, step, objectives);
    if (v !== undefined && !hasNaN(v)) reference.push(v);
  }
  if (reference.length < nMinTrials) return 'continue';
  // Like the best value so far with one objective: the trial survives if any of its reports would.
  const needed = Math.max(1, fraction * reference.length);
  const survives = finite.some((v) => {
    let dominatedBy = 0;
    for (const r of reference) if (dominates(r, v, directions)) dominatedBy += 1;
    return dominatedBy < needed;
  });
  return survives ? 'continue' : 'prune';
}

/** A trial number and its vector at a rung. */
export interface RungEntry {
  number: number;
  values: readonly number[];
}

/** Trial numbers best first, in the campaign's ranking order (rankFeasibleFronts) of their vectors. */
export function paretoOrder(entries: readonly RungEntry[], directions: readonly Direction[]): number[] {
  const rankables = entries.map((e) => ({ number: e.number, state: 'COMPLETE' as const, values: e.values }));
  return rankFeasibleFronts(rankables, directions).map((r) => r.trial.number);
}
