// The scheduler (pruner) interface: a scheduler decides HOW LONG a trial runs; what to try is the
// sampler's business (search/samplers). The campaign workflow calls `decide` after every epoch
// segment, inside workflow code, so a scheduler must be pure, deterministic and cheap.
import type { Direction, TrialView } from '../types';

export interface SchedulerContext {
  /** Every trial, with `intermediate` holding the first objective per reported step. */
  trials: readonly TrialView[];
  /** Direction of the first objective (the one intermediate values measure). */
  direction: Direction;
  /** Steps (epochs) a trial runs when nothing stops it; undefined when the caller does not know. */
  maxEpochs?: number;
}

/**
 * `continue` or `prune` (stop the trial for good). Promotion-type schedulers (ASHA, Hyperband, BOHB)
 * will add `pause` (stop at a rung, may be resumed later) together with a method that names the paused
 * trial to promote; callers must then treat any decision other than `continue` as "stop running now".
 */
export type SchedulerDecision = 'continue' | 'prune';

export interface Scheduler {
  readonly name: string;
  /**
   * Called when trial `trialNumber` has reported its value at `step` (the campaign's step is the number
   * of epochs done, from 1). Pure: the same context and arguments give the same decision.
   */
  decide(ctx: SchedulerContext, trialNumber: number, step: number): SchedulerDecision;
}

/** Builds a scheduler from its `options`; throws `AlgorithmConfigError` on bad or unknown options. */
export type SchedulerFactory = (options?: Record<string, unknown>) => Scheduler;
