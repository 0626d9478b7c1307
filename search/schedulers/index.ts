// The scheduler (pruner) registry: one entry per algorithm, by the name a spec uses (`search.scheduler`).
import { AlgorithmConfigError } from '../errors';
import type { AlgorithmConfig } from '../types';
import { createMedianScheduler } from './median';
import { createNoneScheduler } from './none';
import type { Scheduler, SchedulerFactory } from './types';

export const schedulers: Readonly<Record<string, SchedulerFactory>> = {
  median: createMedianScheduler,
  none: createNoneScheduler,
};

export function createScheduler(config: AlgorithmConfig): Scheduler {
  const factory = Object.hasOwn(schedulers, config.type) ? schedulers[config.type] : undefined;
  if (factory === undefined) {
    throw new AlgorithmConfigError('type', `unknown scheduler "${config.type}" (known schedulers: ${Object.keys(schedulers).join(', ')})`);
  }
  return factory(config.options);
}

export type { Scheduler, SchedulerContext, SchedulerDecision, SchedulerFactory } from './types';
