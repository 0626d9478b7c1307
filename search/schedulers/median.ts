// The median stopping rule, with Optuna's MedianPruner semantics: prune a trial when its best
// intermediate value so far is worse than the median of the COMPLETE trials' values at the same step.
// It is the percentile rule at 50 (see percentile.ts for the options: nStartupTrials, nWarmupSteps,
// intervalSteps, nMinTrials).
import { OptionReader } from '../options';
import { percentileRule } from './percentile';
import type { SchedulerFactory } from './types';

export const createMedianScheduler: SchedulerFactory = (options) => percentileRule('median', 50, new OptionReader('scheduler "median"', options));
