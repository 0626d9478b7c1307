// Asynchronous successive halving. `mode: 'promotion'` (default, the ASHA paper): trials pause at every
// rung and `promotions` resumes the best paused ones (top ⌊n/η⌋ of their rung) before any new trial starts;
// `mode: 'stopping'`: as `sha`. Options: mode, minResource (1), maxResource (the campaign's epochs),
// reductionFactor η (3), minEarlyStoppingRate (0). See rungs.ts and the driver notes in types.ts.
import { rungScheduler } from './rungs';
import type { SchedulerFactory } from './types';

export const createAshaScheduler: SchedulerFactory = (options) => rungScheduler('asha', options, 'promotion', ['promotion', 'stopping'], false);
