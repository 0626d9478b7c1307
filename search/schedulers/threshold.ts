// Threshold, with Optuna's ThresholdPruner semantics: prune a trial whose latest value is below `lower`
// or above `upper` (or NaN). Absolute bounds: it needs no other trial, so it may stop the very first one.
//   lower, upper:      at least one is required;
//   nWarmupSteps (0):  no pruning at steps below this;
//   intervalSteps (1): check only at the first reported step in each interval (as percentile);
//   wrapped:           {type, options} of a stopping scheduler consulted when the value is in bounds.
import { AlgorithmConfigError } from '../errors';
import { OptionReader } from '../options';
import { findTrial, isFirstStepOfInterval, reportedSteps } from './percentile';
import type { Scheduler, SchedulerFactory } from './types';
import { readWrapped } from './wrapped';

export const createThresholdScheduler: SchedulerFactory = (options) => {
  const what = 'scheduler "threshold"';
  const reader = new OptionReader(what, options);
  const lower = reader.number('lower', -Infinity);
  const upper = reader.number('upper', Infinity);
  const nWarmupSteps = reader.integer('nWarmupSteps', 0, { min: 0 });
  const intervalSteps = reader.integer('intervalSteps', 1, { min: 1 });
  const wrapped = readWrapped(reader, what);
  reader.done();
  if (lower === -Infinity && upper === Infinity) throw new AlgorithmConfigError('options.lower', `${what}: give option "lower", "upper" or both`);
  if (lower > upper) throw new AlgorithmConfigError('options.lower', `${what}: option "lower" (${lower}) must not exceed "upper" (${upper})`);

  return {
    name: 'threshold',
    decide(ctx, trialNumber, step) {
      const trial = findTrial(ctx, trialNumber, 'threshold');
      const value = trial.intermediate?.[step];
      const checked = value !== undefined && step >= nWarmupSteps && isFirstStepOfInterval(step, reportedSteps(trial), nWarmupSteps, intervalSteps);
      if (checked && (Number.isNaN(value) || value < lower || value > upper)) return 'prune';
      return wrapped === undefined ? 'continue' : wrapped.decide(ctx, trialNumber, step);
    },
  } satisfies Scheduler;
};
