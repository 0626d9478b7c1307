// The scheduler (pruner) interface: a scheduler decides HOW LONG a trial runs; what to try is the
// sampler's business (search/samplers). The campaign workflow calls it inside workflow code, so a
// scheduler must be pure, deterministic and cheap: every answer is a function of its arguments.
//
// How a driver (the campaign workflow, the study, a benchmark loop) uses a scheduler:
//
//   1. Start a new trial only when `promotions` (if the scheduler has it) names nothing to resume.
//   2. Train the trial from `epochsDone` up to
//        min(epochsDone + segmentEpochs, scheduler.nextMilestone?.(ctx, n, epochsDone) ?? Infinity, maxEpochs)
//      so that every rung falls on a segment boundary; record the epoch values in `intermediate`.
//   3. Unless the trial has reached maxEpochs (then it completes), ask `decide(ctx, n, epochsDone)`:
//        'continue' → go to 2 (the same worker slot);
//        'prune'    → the trial ends as PRUNED (its checkpoint may be deleted);
//        'pause'    → keep it RUNNING with `paused: true`, free its slot (its checkpoint must be kept).
//   4. Whenever slots are free, BEFORE asking the sampler for new trials, call `promotions(ctx, free)`
//      and, for every number it returns, set `paused: false` in the state the next call will see and
//      resume that trial from its checkpoint at `epochsDone` (step 2). Never re-train an epoch.
//   5. When the search ends (trial budget spent and `promotions` returns nothing), paused trials end as
//      PRUNED: they stopped at their rung.
//
// All decisions come from one consistent context (the workflow's state), so two workers can never
// promote the same trial: `promotions` only names trials with `paused: true`, and the driver clears that
// flag as it resumes them, so a trial is named again only after it paused at its next rung. Calling
// `promotions` twice with the same context gives the same answer (pure), so apply it before asking again.
import type { Direction, TrialView } from '../types';

export interface SchedulerContext {
  /** Every trial, with `intermediate` holding the first objective per reported step (and `intermediateValues` every objective, with several). */
  trials: readonly TrialView[];
  /** Direction of the first objective (the one intermediate values measure). */
  direction: Direction;
  /**
   * One direction per objective. With two or more, the pruning schedulers judge trials by Pareto
   * dominance on their `intermediateValues` (multi-objective pruning, dominance.ts); absent or with one
   * entry they read `intermediate` and `direction`, exactly as with one objective.
   */
  directions?: readonly Direction[];
  /** Steps (epochs) a trial runs when nothing stops it (the spec's `training.epochs`, the maximum resource); undefined when the caller does not know. */
  maxEpochs?: number;
}

/**
 * `continue`; `prune` (stop the trial for good); `pause` (promotion-type schedulers only: stop at a rung,
 * holding no worker; `promotions` may resume it later). A driver treats anything but `continue` as
 * "stop running now".
 */
export type SchedulerDecision = 'continue' | 'prune' | 'pause';

export interface Scheduler {
  readonly name: string;
  /**
   * Called when trial `trialNumber` has reported its value at `step` (the campaign's step is the number
   * of epochs done, from 1). Pure: the same context and arguments give the same decision. A decision at
   * a step the trial passed long ago is the one it got then, as far as the trial's own reports go.
   */
  decide(ctx: SchedulerContext, trialNumber: number, step: number): SchedulerDecision;
  /**
   * Rung-based schedulers: the next step (> epochsDone) at which this trial must stop for a decision
   * (its next rung), or `ctx.maxEpochs` when no rung is left. Absent: any step will do.
   */
  nextMilestone?(ctx: SchedulerContext, trialNumber: number, epochsDone: number): number;
  /**
   * Promotion-type schedulers: paused trials to resume now, at most `freeSlots`, best first (highest
   * rung first, then best value). Only trials with `paused: true` are named.
   */
  promotions?(ctx: SchedulerContext, freeSlots: number): number[];
  /**
   * Promotion-type schedulers that also have a stopping mode: the same rungs and brackets judged by the
   * stopping rule, for a driver that can only continue or prune (the study's `shouldPrune`).
   */
  stoppingVariant?(): Scheduler;
  /** Bracketed schedulers (Hyperband): the bracket of a trial, a pure function of its number (undefined until the maximum resource is known). */
  bracketOf?(ctx: SchedulerContext, trialNumber: number): number | undefined;
}

/** Builds a scheduler from its `options`; throws `AlgorithmConfigError` on bad or unknown options. */
export type SchedulerFactory = (options?: Record<string, unknown>) => Scheduler;
