// The scheduler (pruner) registry: one entry per algorithm, by the name a spec uses (`search.scheduler`).
import { AlgorithmConfigError } from '../errors';
import type { AlgorithmConfig } from '../types';
import { createAshaScheduler } from './asha';
import { createBohbScheduler, createHyperbandScheduler } from './hyperband';
import { createMedianScheduler } from './median';
import { createNoneScheduler } from './none';
import { createPatienceScheduler } from './patience';
import { createPbtScheduler } from './pbt';
import { createPercentileScheduler } from './percentile';
import { createShaScheduler } from './sha';
import { createThresholdScheduler } from './threshold';
import type { Scheduler, SchedulerFactory } from './types';

export const schedulers: Readonly<Record<string, SchedulerFactory>> = {
  asha: createAshaScheduler,
  bohb: createBohbScheduler,
  hyperband: createHyperbandScheduler,
  median: createMedianScheduler,
  none: createNoneScheduler,
  patience: createPatienceScheduler,
  pbt: createPbtScheduler,
  percentile: createPercentileScheduler,
  sha: createShaScheduler,
  threshold: createThresholdScheduler,
};

export function createScheduler(config: AlgorithmConfig): Scheduler {
  const factory = Object.hasOwn(schedulers, config.type) ? schedulers[config.type] : undefined;
  if (factory === undefined) {
    throw new AlgorithmConfigError('type', `unknown scheduler "${config.type}" (known schedulers: ${Object.keys(schedulers).join(', ')})`);
  }
  return factory(config.options);
}

export type { Scheduler, SchedulerContext, SchedulerDecision, SchedulerFactory } from './types';

export { explore, pbtDecisions, quantileSize, readPbtOptions } from './pbt';
export type { PbtDecision, PbtMember, PbtOptions, PbtRound } from './pbt';
