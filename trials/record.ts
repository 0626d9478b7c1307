// The one trial record: what a campaign holds for each trial, carries across continue-as-new (packed,
// see pack.ts), and shows in its queries. The search library's `TrialView` is the same trial as the
// samplers and schedulers read it (`toView`). Pure code: the workflow sandbox runs it.
import type { Params } from '../search/space-types';
import type { TrialState, TrialView } from '../search/types';

export type { Direction, TrialState } from '../search/types';

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
  /** A COMPLETE trial's `val_loss` at its last epoch, when recorded: what settles ties (search/ranking.ts compareTies). */
  tieBreak?: number;
}

export function newTrial(number: number, params: Params): TrialRecord {
  return { number, params, state: 'RUNNING', runId: null, epochsDone: 0, history: {}, values: null, reason: null, paused: false };
}

/** The trial as the search algorithms read it: the first objective per epoch as intermediate values. */
export function toView(t: TrialRecord): TrialView {
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

export function countStates(trials: readonly TrialRecord[]): Record<TrialState | 'PAUSED', number> {
  const counts: Record<TrialState | 'PAUSED', number> = { RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAIL: 0, PAUSED: 0 };
  for (const t of trials) counts[t.paused ? 'PAUSED' : t.state] += 1;
  return counts;
}
