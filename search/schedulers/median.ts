// The median stopping rule, with Optuna's MedianPruner semantics: prune a trial when its best
// intermediate value so far is worse than the median of the COMPLETE trials' values at the same step.
//   nStartupTrials (5): no pruning until this many trials have completed;
//   nWarmupSteps (0):   no pruning at steps below this;
//   intervalSteps (1):  check only at the first reported step in each interval, counted from nWarmupSteps;
//   nMinTrials (1):     no pruning while fewer completed trials reported a value at this step.
// Steps are the caller's numbers (the campaign passes epochs done, starting at 1). When the campaign
// trains several epochs per segment, a check falls on a segment boundary, so choose intervalSteps as a
// multiple of segmentEpochs for checks to happen at every interval.
import { OptionReader } from '../options';
import type { Direction, TrialView } from '../types';
import type { Scheduler, SchedulerFactory } from './types';

export const createMedianScheduler: SchedulerFactory = (options) => {
  const reader = new OptionReader('scheduler "median"', options);
  const nStartupTrials = reader.integer('nStartupTrials', 5, { min: 0 });
  const nWarmupSteps = reader.integer('nWarmupSteps', 0, { min: 0 });
  const intervalSteps = reader.integer('intervalSteps', 1, { min: 1 });
  const nMinTrials = reader.integer('nMinTrials', 1, { min: 1 });
  reader.done();

  return {
    name: 'median',
    decide(ctx, trialNumber, step) {
      const trial = ctx.trials.find((t) => t.number === trialNumber);
      if (trial === undefined) throw new Error(`scheduler "median": no trial ${trialNumber} in the context`);
      const completed = ctx.trials.filter((t) => t.state === 'COMPLETE');
      if (completed.length === 0 || completed.length < nStartupTrials) return 'continue';
      if (step < nWarmupSteps) return 'continue';
      const reportedSteps = Object.keys(trial.intermediate ?? {}).map(Number);
      if (!isFirstStepOfInterval(step, reportedSteps, nWarmupSteps, intervalSteps)) return 'continue';

      const best = bestValueUpTo(trial, step, ctx.direction);
      if (best === null) return 'continue'; // nothing reported yet
      if (Number.isNaN(best)) return 'prune'; // only NaN so far: it has diverged
      const atStep = completed.map((t) => t.intermediate?.[step]).filter((v): v is number => v !== undefined && !Number.isNaN(v));
      if (atStep.length < nMinTrials) return 'continue';
      const median = percentile(atStep, 50);
      const worse = ctx.direction === 'minimize' ? best > median : best < median;
      return worse ? 'prune' : 'continue';
    },
  } satisfies Scheduler;
};

/**
 * True when `step` is the first reported step at or after the latest check point
 * (nWarmupSteps + k * intervalSteps), i.e. the previous report came before that check point.
 * Only reports up to `step` count, so a decision at a past step is the one that was made then.
 */
function isFirstStepOfInterval(step: number, reportedSteps: readonly number[], nWarmupSteps: number, intervalSteps: number): boolean {
  const checkPoint = Math.floor((step - nWarmupSteps) / intervalSteps) * intervalSteps + nWarmupSteps;
  let previous = -Infinity;
  for (const s of reportedSteps) if (s < step && s > previous) previous = s; // later steps: decide as of `step`
  return previous < checkPoint;
}

/** Best of the trial's intermediate values at steps <= step; NaN when all are NaN, null when there are none. */
function bestValueUpTo(trial: TrialView, step: number, direction: Direction): number | null {
  let best: number | null = null;
  for (const [s, value] of Object.entries(trial.intermediate ?? {})) {
    if (Number(s) > step) continue;
    if (best === null || Number.isNaN(best)) best = value;
    else if (!Number.isNaN(value) && (direction === 'minimize' ? value < best : value > best)) best = value;
  }
  return best;
}

/** Linear-interpolated percentile (numpy's default), p in [0, 100], of a non-empty list. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = ((sorted.length - 1) * p) / 100;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}
