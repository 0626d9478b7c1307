// The percentile stopping rule, with Optuna's PercentilePruner semantics: prune a trial when its best
// intermediate value so far is worse than the given percentile of the COMPLETE trials' values at the
// same step (for maximize the percentile counts from the top, so `percentile: 25` keeps the best quarter
// in both directions). `median` is this rule at 50.
//   percentile (25):    in [0, 100];
//   nStartupTrials (5): no pruning until this many trials have completed;
//   nWarmupSteps (0):   no pruning at steps below this;
//   intervalSteps (1):  check only at the first reported step in each interval, counted from nWarmupSteps;
//   nMinTrials (1):     no pruning while fewer completed trials reported a value at this step.
// Steps are the caller's numbers (the campaign passes epochs done, starting at 1). When the campaign
// trains several epochs per segment, a check falls on a segment boundary, so choose intervalSteps as a
// multiple of segmentEpochs for checks to happen at every interval.
// With several objectives (the context's `directions`) the same options drive the dominance rule of
// dominance.ts: a trial is pruned when dominated by at least percentile / 100 of the completed trials.
import { OptionReader } from '../options';
import type { Direction, TrialView } from '../types';
import { decideByDominance, paretoDirections } from './dominance';
import type { Scheduler, SchedulerContext, SchedulerFactory } from './types';

export const createPercentileScheduler: SchedulerFactory = (options) => {
  const reader = new OptionReader('scheduler "percentile"', options);
  const percentile = reader.number('percentile', 25, { min: 0, max: 100 });
  return percentileRule('percentile', percentile, reader);
};

/** The rule itself, for `percentile` and `median`; reads the shared options from `reader`. */
export function percentileRule(name: string, percentile: number, reader: OptionReader): Scheduler {
  const nStartupTrials = reader.integer('nStartupTrials', 5, { min: 0 });
  const nWarmupSteps = reader.integer('nWarmupSteps', 0, { min: 0 });
  const intervalSteps = reader.integer('intervalSteps', 1, { min: 1 });
  const nMinTrials = reader.integer('nMinTrials', 1, { min: 1 });
  reader.done();

  return {
    name,
    decide(ctx, trialNumber, step) {
      const trial = findTrial(ctx, trialNumber, name);
      const completed = ctx.trials.filter((t) => t.state === 'COMPLETE');
      if (completed.length === 0 || completed.length < nStartupTrials) return 'continue';
      if (step < nWarmupSteps) return 'continue';
      if (!isFirstStepOfInterval(step, reportedSteps(trial), nWarmupSteps, intervalSteps)) return 'continue';
      const directions = paretoDirections(ctx);
      if (directions !== null) return decideByDominance(completed, trial, step, directions, percentile / 100, nMinTrials);

      const best = bestValueUpTo(trial, step, ctx.direction);
      if (best === null) return 'continue'; // nothing reported yet
      if (Number.isNaN(best)) return 'prune'; // only NaN so far: it has diverged
      const atStep = completed.map((t) => t.intermediate?.[step]).filter((v): v is number => v !== undefined && !Number.isNaN(v));
      if (atStep.length < nMinTrials) return 'continue';
      const threshold = quantile(atStep, ctx.direction === 'minimize' ? percentile : 100 - percentile);
      const worse = ctx.direction === 'minimize' ? best > threshold : best < threshold;
      return worse ? 'prune' : 'continue';
    },
  };
}

export function findTrial(ctx: SchedulerContext, trialNumber: number, scheduler: string): TrialView {
  const trial = ctx.trials[trialNumber]?.number === trialNumber ? ctx.trials[trialNumber] : ctx.trials.find((t) => t.number === trialNumber);
  if (trial === undefined) throw new Error(`scheduler "${scheduler}": no trial ${trialNumber} in the context`);
  return trial;
}

/** The steps a trial reported, ascending. */
export function reportedSteps(trial: TrialView): number[] {
  return Object.keys(trial.intermediate ?? {})
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * True when `step` is the first reported step at or after the latest check point
 * (nWarmupSteps + k * intervalSteps), i.e. the previous report came before that check point.
 * Only reports up to `step` count, so a decision at a past step is the one that was made then.
 */
export function isFirstStepOfInterval(step: number, steps: readonly number[], nWarmupSteps: number, intervalSteps: number): boolean {
  const checkPoint = Math.floor((step - nWarmupSteps) / intervalSteps) * intervalSteps + nWarmupSteps;
  let previous = -Infinity;
  for (const s of steps) if (s < step && s > previous) previous = s; // later steps: decide as of `step`
  return previous < checkPoint;
}

/** Best of the trial's intermediate values at steps <= step; NaN when all are NaN, null when there are none. */
export function bestValueUpTo(trial: TrialView, step: number, direction: Direction): number | null {
  let best: number | null = null;
  for (const [s, value] of Object.entries(trial.intermediate ?? {})) {
    if (Number(s) > step) continue;
    if (best === null || Number.isNaN(best)) best = value;
    else if (!Number.isNaN(value) && (direction === 'minimize' ? value < best : value > best)) best = value;
  }
  return best;
}

/** Linear-interpolated percentile (numpy's default), p in [0, 100], of a non-empty list. */
export function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = ((sorted.length - 1) * p) / 100;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}
