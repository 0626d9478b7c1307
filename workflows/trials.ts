// Trial bookkeeping for the campaign workflow: pure functions over the trial records the workflow
// holds. No Temporal calls here, so the ranking rules can be unit-tested without a server.
import type { Direction, ExperimentSpec } from '../spec/types';
import type { LeaderboardRow, TrialState, TrialSummary } from '../activities/types';
import type { Params } from '../search/space-types';
import { compareValues } from '../search/ranking';
import { objectiveValue } from '../spec/objective';

export interface TrialRecord {
  number: number;
  params: Params;
  state: TrialState;
  runId: string | null;
  /** Epochs trained so far; a RUNNING trial resumes from its checkpoint at this epoch. */
  epochsDone: number;
  /** Objective metrics per finished epoch: epoch → one value per objective. */
  history: Record<number, number[]>;
  /** Final objective values of a COMPLETE trial. */
  values: number[] | null;
  reason: string | null;
  /** RUNNING but stopped at a rung by a promotion-type scheduler: holds no worker until promoted. */
  paused: boolean;
  /** A COMPLETE trial's `search.constraints` values (metric - max, <= 0 when satisfied); absent without constraints. */
  constraints?: number[];
}

export function newTrial(number: number, params: Params): TrialRecord {
  return { number, params, state: 'RUNNING', runId: null, epochsDone: 0, history: {}, values: null, reason: null, paused: false };
}

export function objectiveValues(spec: ExperimentSpec, metrics: Record<string, number>): number[] {
  return spec.objective.map((o) => objectiveValue(o, metrics));
}

/** metric - max for each of the spec's constraints (Optuna's convention: <= 0 is feasible); undefined when it has none. */
export function constraintValues(spec: ExperimentSpec, metrics: Record<string, number>): number[] | undefined {
  const constraints = spec.search.constraints ?? [];
  if (constraints.length === 0) return undefined;
  return constraints.map(({ metric, max }) => {
    const v = metrics[metric];
    if (v === undefined) {
      throw new Error(`constraint metric "${metric}" was not recorded (recorded: ${Object.keys(metrics).sort().join(', ')})`);
    }
    return v - max;
  });
}

export function toSummary(t: TrialRecord): TrialSummary {
  const intermediate: Record<number, number> = {};
  for (const [epoch, values] of Object.entries(t.history)) {
    const first = values[0];
    if (first !== undefined) intermediate[Number(epoch)] = first;
  }
  return {
    number: t.number,
    params: t.params,
    state: t.state,
    ...(t.values ? { values: t.values } : {}),
    ...(t.constraints ? { constraints: t.constraints } : {}),
    ...(t.paused ? { paused: true } : {}),
    intermediate,
  };
}

/** COMPLETE trials, best first by the first objective; ties broken by trial number. */
export function rankCompleted(trials: readonly TrialRecord[], direction: Direction): TrialRecord[] {
  return trials
    .filter((t) => t.state === 'COMPLETE' && t.values !== null)
    .sort((a, b) => compareValues(a.values![0]!, b.values![0]!, direction) || a.number - b.number);
}

export function countStates(trials: readonly TrialRecord[]): Record<TrialState | 'PAUSED', number> {
  const counts: Record<TrialState | 'PAUSED', number> = { RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAIL: 0, PAUSED: 0 };
  for (const t of trials) counts[t.paused ? 'PAUSED' : t.state] += 1;
  return counts;
}

/** Best value a trial reached at any epoch (first objective): what PRUNED trials are ranked by. */
function bestSoFar(t: TrialRecord, direction: Direction): number | null {
  let best: number | null = null;
  for (const values of Object.values(t.history)) {
    const v = values[0];
    if (v !== undefined && (best === null || compareValues(v, best, direction) < 0)) best = v;
  }
  return best;
}

/** Every trial, COMPLETE ones ranked first, then the others by their best intermediate value. */
export function leaderboard(trials: readonly TrialRecord[], direction: Direction): LeaderboardRow[] {
  const ranked = rankCompleted(trials, direction);
  const rest = trials
    .filter((t) => !ranked.includes(t))
    .sort((a, b) => {
      const va = bestSoFar(a, direction) ?? NaN;
      const vb = bestSoFar(b, direction) ?? NaN;
      return compareValues(va, vb, direction) || a.number - b.number;
    });
  return [...ranked, ...rest].map((t) => ({
    trialNumber: t.number,
    state: t.state,
    values: t.values,
    epochs: t.epochsDone,
    params: t.params,
  }));
}
