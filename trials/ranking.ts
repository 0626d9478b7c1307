// Which trial is best, and the leaderboard: one ranking (search/ranking.ts `rankFeasible`) for the
// campaign's status, its retrain stage, its results and the study, so they never disagree.
import { isFeasible, totalViolation } from '../search/pareto';
import { compareValues, rankFeasible } from '../search/ranking';
import type { Params } from '../search/space-types';
import type { Direction, TrialState, TrialRecord } from './record';

/** COMPLETE trials that satisfy the constraints, best first by the first objective; ties by trial number. */
export function rankCompleted(trials: readonly TrialRecord[], direction: Direction): TrialRecord[] {
  return rankFeasible(trials, direction);
}

export interface LeaderboardRow {
  trialNumber: number;
  state: TrialState;
  values: number[] | null;
  epochs: number;
  params: Params;
  /** A COMPLETE trial that broke a `search.constraints` bound: listed after every feasible one. */
  infeasible?: true;
}

/** Best value a trial reached at any epoch (first objective): what unfinished trials are ranked by. */
function bestSoFar(t: TrialRecord, direction: Direction): number | null {
  let best: number | null = null;
  for (const values of Object.values(t.history)) {
    const v = values[0];
    if (v !== undefined && (best === null || compareValues(v, best, direction) < 0)) best = v;
  }
  return best;
}

/**
 * Every trial: feasible COMPLETE ones ranked first, then infeasible COMPLETE ones (least violation
 * first), then the others by their best intermediate value.
 */
export function leaderboard(trials: readonly TrialRecord[], direction: Direction): LeaderboardRow[] {
  const ranked = rankCompleted(trials, direction);
  const infeasible = trials
    .filter((t) => t.state === 'COMPLETE' && !isFeasible(t.constraints))
    .sort((a, b) => totalViolation(a.constraints) - totalViolation(b.constraints) || a.number - b.number);
  const listed = new Set([...ranked, ...infeasible]);
  const rest = trials
    .filter((t) => !listed.has(t))
    .sort((a, b) => compareValues(bestSoFar(a, direction) ?? NaN, bestSoFar(b, direction) ?? NaN, direction) || a.number - b.number);
  return [...ranked, ...infeasible, ...rest].map((t) => ({
    trialNumber: t.number,
    state: t.state,
    values: t.values,
    epochs: t.epochsDone,
    params: t.params,
    ...(listed.has(t) && !ranked.includes(t) ? { infeasible: true as const } : {}),
  }));
}
