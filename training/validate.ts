// Checks of data set and model settings that need no data and no TensorFlow: spec loading runs them so
// a bad value (e.g. `imageSize: 6`) fails when the spec loads, with its line, instead of in every trial.
import { DATASETS } from './datasets';
import { InvalidConfigurationError, type SettingProblem } from './errors';
import { MODELS } from './models';
import { rejectUnreadTrainingKeys, resolveTrainingSettings } from './config';
import { OPTIMIZERS } from './optimizer';
import { LR_SCHEDULES } from './schedule';

function problemOf(check: () => void): SettingProblem | null {
  try {
    check();
    return null;
  } catch (error) {
    if (!(error instanceof InvalidConfigurationError)) throw error;
    return error.setting ?? { key: '', problem: error.message };
  }
}

/** The first problem with a registered data set's options, or null (also for an unknown data set). */
export function checkDatasetOptions(dataset: string, options: Record<string, unknown>): SettingProblem | null {
  const module = DATASETS[dataset];
  return module ? problemOf(() => module.validateOptions(options)) : null;
}

/**
 * The first problem with model settings: the family's own options, then the training settings
 * (optimizer, learning-rate schedule, label smoothing), under every optimizer and schedule when none is
 * named (undefined), since e.g. `momentum` is only read by sgd and rmsprop, `lrGamma` only by step and
 * exponential. When both are named (null: the default), a training key they ignore is a problem too.
 * Keys nobody reads at all are not reported here: the spec check names them.
 */
export function checkModelOptions(family: string, options: Record<string, unknown>): SettingProblem | null {
  const model = MODELS[family];
  if (!model) return null;
  const optimizers = options.optimizer === undefined ? OPTIMIZERS : [options.optimizer];
  const schedules = options.lrSchedule === undefined ? LR_SCHEDULES : [options.lrSchedule];
  return problemOf(() => {
    model.validateOptions(options);
    for (const optimizer of optimizers) {
      for (const lrSchedule of schedules) resolveTrainingSettings(model, { ...options, optimizer, lrSchedule });
    }
    if (options.optimizer !== undefined && options.lrSchedule !== undefined) rejectUnreadTrainingKeys(model, options, Object.keys(options));
  });
}
