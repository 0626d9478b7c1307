// Successive halving, stopping variant (Optuna's SuccessiveHalvingPruner): rungs at
// minResource·η^(minEarlyStoppingRate + k); at each rung a trial goes on only when it is in the top 1/η
// of the trials that reached that rung so far. Options: minResource (1), maxResource (the campaign's
// epochs), reductionFactor η (3), minEarlyStoppingRate (0). See rungs.ts.
import { rungScheduler } from './rungs';
import type { SchedulerFactory } from './types';

export const createShaScheduler: SchedulerFactory = (options) => rungScheduler('sha', options, 'stopping', ['stopping'], false);
