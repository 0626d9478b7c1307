// No early stopping: every trial runs all its epochs.
import { OptionReader } from '../options';
import type { Scheduler, SchedulerFactory } from './types';

export const createNoneScheduler: SchedulerFactory = (options) => {
  new OptionReader('scheduler "none"', options).done();
  return { name: 'none', decide: () => 'continue' } satisfies Scheduler;
};
