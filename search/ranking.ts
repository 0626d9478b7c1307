// Ordering trials: the one rule the study, the campaign workflow and the activities share, so the
// trial a study calls best is the trial a campaign reports and retrains.
import { isFeasible } from './pareto';
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
}

/**
 * COMPLETE trials that satisfy every constraint, best first by the first objective, ties by trial number.
 * An infeasible trial is never ranked, however good its value: it must not be called best or retrained.
 */
export function rankFeasible<T extends Rankable>(trials: readonly T[], direction: Direction): T[] {
  return trials
    .filter((t) => t.state === 'COMPLETE' && t.values != null && t.values.length > 0 && isFeasible(t.constraints))
    .sort((a, b) => compareValues(a.values![0]!, b.values![0]!, direction) || a.number - b.number);
}
