// Which trial is best, and the leaderboard: one ranking (search/ranking.ts `rankFeasibleFronts`) for the
// campaign's status, its retrain stage, its results and the study, so they never disagree. Several
// objectives rank by Pareto front, then crowding distance; ties follow `compareTies` (docs/objectives.md).
import { isFeasible, totalViolation } from '../search/pareto';
import { compareTies, compareValues, rankFeasible, rankFeasibleFronts } from '../search/ranking';
import type { Params } from '../search/space-types';
import type { Direction, TrialState, TrialRecord } from './record';

/** COMPLETE trials that satisfy the constraints, best first (one direction per objective). */
export function rankCompleted(trials: readonly TrialRecord[], directions: Direction | readonly Direction[]): TrialRecord[] {
  return rankFeasible(trials, directions);
}

export interface LeaderboardRow {
  trialNumber: number;
  state: TrialState;
  values: number[] | null;
  epochs: number;
  params: Params;
  /**
   * A ranked (feasible COMPLETE) trial's front: 1 is the Pareto front (one objective: the trials tied at
   * the best value), 2 the next, and so on. Absent for the trials listed after the ranked ones.
   */
  front?: number;
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
 * Every trial: feasible COMPLETE ones ranked first (with their front), then infeasible COMPLETE ones
 * (least violation first), then the others by their best intermediate value of the first objective.
 */
export function leaderboard(trials: readonly TrialRecord[], directions: Direction | readonly Direction[]): LeaderboardRow[] {
  const first = typeof directions === 'string' ? directions : directions[0]!;
  const ranked = rankFeasibleFronts(trials, directions);
  const infeasible = trials
    .filter((t) => t.state === 'COMPLETE' && !isFeasible(t.constraints))
    .sort((a, b) => totalViolation(a.constraints) - totalViolation(b.constraints) || compareTies(a, b));
  const listed = new Set([...ranked.map((r) => r.trial), ...infeasible]);
  const rest = trials
    .filter((t) => !listed.has(t))
    .sort((a, b) => compareValues(bestSoFar(a, first) ?? NaN, bestSoFar(b, first) ?? NaN, first) || compareTies(a, b));
  const row = (t: TrialRecord) => ({ trialNumber: t.number, state: t.state, values: t.values, epochs: t.epochsDone, params: t.params });
  return [
    ...ranked.map(({ trial, front }) => ({ ...row(trial), front })),
    ...infeasible.map((t) => ({ ...row(t), infeasible: true as const })),
    ...rest.map(row),
  ];
}
