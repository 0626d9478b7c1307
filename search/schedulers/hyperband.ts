// Hyperband: brackets b = 0..s_max (s_max = ⌊log_η(maxResource / minResource)⌋), each a successive-halving
// instance whose rungs start at minResource·η^b; trials are given brackets by trial number in proportion
// to Hyperband's budgets. `mode: 'stopping'` (default, as Optuna's HyperbandPruner) or 'promotion' (ASHA
// inside each bracket). Options: mode, minResource (1), maxResource (the campaign's epochs; without one,
// the largest step of a COMPLETE trial, and no decision before), reductionFactor η (3). See rungs.ts.
// `bohb` is the same schedule, meant to go with the `bohb` sampler (TPE per budget).
import { rungScheduler } from './rungs';
import type { SchedulerFactory } from './types';

export const createHyperbandScheduler: SchedulerFactory = (options) => rungScheduler('hyperband', options, 'stopping', ['stopping', 'promotion'], true);
export const createBohbScheduler: SchedulerFactory = (options) => rungScheduler('bohb', options, 'stopping', ['stopping', 'promotion'], true);
