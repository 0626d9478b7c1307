// Learning-rate schedules, per epoch. The rate of an epoch is a pure function of (epoch, total epochs,
// settings), set on the optimizer before the epoch trains: a segment resumed from a checkpoint at epoch
// k trains epoch k+1 at exactly the rate an uninterrupted run would (the optimizer's moments come back
// from the checkpoint; its rate is never saved there).
//   lrSchedule     constant (default), step, exponential, cosine
//   lrStepSize     step: epochs between decays (default 10)
//   lrGamma        step and exponential: factor per decay (default 0.1 for step, 0.95 for exponential)
//   lrMin          cosine: the rate it anneals to by the end of the trial (default 0)
//   warmupEpochs   linear warm-up first: epoch e <= W trains at learningRate * e / W (default 0);
//                  the schedule then runs over the remaining epochs
import type { OptionReader } from '../search/options';
import { InvalidConfigurationError, settingsReader } from './errors';

export const LR_SCHEDULES = ['constant', 'step', 'exponential', 'cosine'] as const;
export type LrScheduleName = (typeof LR_SCHEDULES)[number];

export const SCHEDULE_HYPERPARAMETERS: Record<string, string> = {
  lrSchedule: `learning-rate schedule per epoch: ${LR_SCHEDULES.join(', ')} (default constant)`,
  lrStepSize: 'step schedule: epochs between decays (default 10)',
  lrGamma: 'step/exponential schedule: decay factor, 0 < gamma <= 1 (default 0.1 step, 0.95 exponential)',
  lrMin: 'cosine schedule: rate at the end of the trial, <= learningRate (default 0)',
  warmupEpochs: 'epochs of linear learning-rate warm-up before the schedule (default 0)',
};

/** Only the settings the chosen schedule reads. */
export type LrSchedule = { warmupEpochs: number } & (
  | { schedule: 'constant' }
  | { schedule: 'step'; stepSize: number; gamma: number }
  | { schedule: 'exponential'; gamma: number }
  | { schedule: 'cosine'; min: number }
);

/**
 * Reads the schedule from {...spec.training, ...spec.model.options, ...params}. `lrMin` is compared with
 * `learningRate` only when the merged settings hold one (spec loading checks values one at a time).
 */
export function resolveSchedule(merged: Record<string, unknown>): LrSchedule {
  return readSchedule(settingsReader(merged, (key) => `training setting or parameter "${key}"`), merged);
}

/** The schedule through `read` (over `merged`), which records the keys this schedule reads. */
export function readSchedule(read: OptionReader, merged: Record<string, unknown>): LrSchedule {
  const schedule = read.choice<LrScheduleName>('lrSchedule', LR_SCHEDULES, 'constant');
  const warmupEpochs = read.integer('warmupEpochs', 0, { min: 0 });
  switch (schedule) {
    case 'constant':
      return { schedule, warmupEpochs };
    case 'step':
      return { schedule, warmupEpochs, stepSize: read.integer('lrStepSize', 10, { min: 1 }), gamma: read.number('lrGamma', 0.1, { minExclusive: 0, max: 1 }) };
    case 'exponential':
      return { schedule, warmupEpochs, gamma: read.number('lrGamma', 0.95, { minExclusive: 0, max: 1 }) };
    case 'cosine': {
      const min = read.number('lrMin', 0, { min: 0 });
      const base = merged.learningRate;
      if (typeof base === 'number' && min > base) {
        const problem = `must be at most learningRate (${base}), got ${min}`;
        throw new InvalidConfigurationError(`training setting or parameter "lrMin" ${problem}`, { key: 'lrMin', problem });
      }
      return { schedule, warmupEpochs, min };
    }
  }
}

/**
 * The learning rate of 1-based `epoch` in a trial of `totalEpochs` epochs. Cosine follows PyTorch's
 * CosineAnnealingLR: the first epoch after warm-up trains at `base`, and the rate approaches `lrMin` at
 * the end (epochs past the total stay at `lrMin`).
 */
export function learningRateAt(base: number, schedule: LrSchedule, epoch: number, totalEpochs: number): number {
  const warmup = schedule.warmupEpochs;
  if (epoch <= warmup) return (base * epoch) / warmup;
  const t = epoch - 1 - warmup; // epochs of the schedule already done
  switch (schedule.schedule) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.gamma ** Math.floor(t / schedule.stepSize);
    case 'exponential':
      return base * schedule.gamma ** t;
    case 'cosine': {
      const span = Math.max(1, totalEpochs - warmup);
      return schedule.min + ((base - schedule.min) * (1 + Math.cos((Math.PI * Math.min(t, span)) / span))) / 2;
    }
  }
}

/** Whether the rates depend on the trial's total epochs (so checkpoints must record the total). */
export function dependsOnTotalEpochs(schedule: LrSchedule): boolean {
  return schedule.schedule === 'cosine';
}
