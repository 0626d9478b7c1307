// Patience, with Optuna's PatientPruner semantics: a trial may be stopped only when its value has not
// improved by more than `minDelta` over the last `patience` steps; then the wrapped scheduler decides
// (without one, no improvement is enough to prune).
//   patience (required): steps without improvement to tolerate, >= 0;
//   minDelta (0):        how much better counts as an improvement;
//   wrapped:             {type, options} of a stopping scheduler (e.g. median) that has the last word.
import { AlgorithmConfigError } from '../errors';
import { OptionReader } from '../options';
import { findTrial } from './percentile';
import type { Scheduler, SchedulerFactory } from './types';
import { readWrapped } from './wrapped';

export const createPatienceScheduler: SchedulerFactory = (options) => {
  const what = 'scheduler "patience"';
  const reader = new OptionReader(what, options);
  if (options?.patience === undefined) throw new AlgorithmConfigError('options.patience', `${what}: option "patience" is required (steps without improvement to tolerate)`);
  const patience = reader.integer('patience', 0, { min: 0 });
  const minDelta = reader.number('minDelta', 0, { min: 0 });
  const wrapped = readWrapped(reader, what);
  reader.done();

  return {
    name: 'patience',
    decide(ctx, trialNumber, step) {
      const trial = findTrial(ctx, trialNumber, 'patience');
      const steps = Object.keys(trial.intermediate ?? {})
        .map(Number)
        .filter((s) => s <= step)
        .sort((a, b) => a - b);
      if (steps.length <= patience + 1) return 'continue';
      const values = trial.intermediate!;
      const split = steps.length - patience - 1;
      const sign = ctx.direction === 'minimize' ? 1 : -1;
      // Best (sign-adjusted minimum, NaN ignored) before and within the patience window.
      const best = (from: number, to: number) => {
        let b = Infinity;
        for (let i = from; i < to; i++) {
          const v = sign * values[steps[i]!]!;
          if (v < b) b = v;
        }
        return b;
      };
      const stagnating = best(0, split) + minDelta < best(split, steps.length);
      if (!stagnating) return 'continue';
      return wrapped === undefined ? 'prune' : wrapped.decide(ctx, trialNumber, step);
    },
  } satisfies Scheduler;
};
